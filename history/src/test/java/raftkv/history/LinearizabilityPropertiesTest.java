package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Generated histories of a correct register pass; the same histories with one planted violation
 * fail. Each mutation is made only where it is a violation whatever the interleaving: values are
 * unique, so "which op could have written this" is always a single op.
 */
@PropertyTimeout(seconds = 120)
@AddLifecycleHook(PropertyTimeout.Hook.class)
class LinearizabilityPropertiesTest {

  /**
   * Refuting a history means exhausting its interleavings: with 8 concurrent processes a
   * planted stale read in 126 ops needed more than the default 500,000 states (the sample
   * failed as UNKNOWN, which a chaos run reports as undecided, not as a pass). Detection is
   * what these properties assert, so they give the search more room (~500 MB at most).
   */
  private static final long REFUTATION_BUDGET = 5_000_000;

  private final LinearizabilityChecker checker = new LinearizabilityChecker(REFUTATION_BUDGET);

  @Property(tries = 300)
  void historiesOfALinearizableRegisterPass(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 8) int processes,
      @ForAll @IntRange(min = 0, max = 150) int ops,
      @ForAll @IntRange(min = 1, max = 3) int keys) {
    History h = RegisterSimulation.generate(seed, processes, ops, keys, 0.1, 0.1);
    Map<String, Verdict> verdicts = checker.check(h);
    assertThat(verdicts.values()).allSatisfy(v ->
        assertThat(v.status()).as(v.explanation()).isEqualTo(Verdict.Status.OK));
  }

  /** A read returns a value overwritten by a write that completed before the read began. */
  @Property(tries = 200, maxDiscardRatio = 20)
  void plantedStaleReadFails(@ForAll long seed,
      @ForAll @IntRange(min = 2, max = 8) int processes,
      @ForAll @IntRange(min = 10, max = 150) int ops) {
    List<Op> h = RegisterSimulation.generate(seed, processes, ops, 1, 0.1, 0.1).ops();
    Random rnd = new Random(seed);
    List<int[]> sites = new ArrayList<>(); // {read, old write}
    for (Op r : h) {
      if (!isOkRead(r)) continue;
      for (Op overwrite : h) {
        if (!isDefiniteWrite(overwrite) || overwrite.completeNanos() >= r.invokeNanos()) continue;
        for (Op old : h) {
          if (isDefiniteWrite(old) && old.completeNanos() < overwrite.invokeNanos()) {
            sites.add(new int[] {r.id(), old.id()});
          }
        }
      }
    }
    Assume.that(!sites.isEmpty());
    int[] site = sites.get(rnd.nextInt(sites.size()));
    assertViolation(withResults(h, Map.of(site[0], h.get(site[1]).value())));
  }

  /**
   * An acknowledged write is lost: the first read to see it, invoked after it completed, returns
   * the value before it instead (which was written before the lost write began, or absent).
   */
  @Property(tries = 200, maxDiscardRatio = 20)
  void lostWriteFails(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 8) int processes,
      @ForAll @IntRange(min = 5, max = 150) int ops) {
    RegisterSimulation.Run run = RegisterSimulation.run(seed, processes, ops, 1, 0.1, 0.1);
    List<Op> h = run.history().ops();
    Map<String, Op> writerOf = writers(h);
    Map<Integer, String> before = new HashMap<>(); // write id -> value it replaced
    String state = null;
    for (Op e : run.effects()) {
      if (e.kind() == Op.Kind.READ) continue;
      if (e.kind() == Op.Kind.CAS && !java.util.Objects.equals(state, e.expected())) continue;
      before.put(e.id(), state);
      state = e.value();
    }
    List<int[]> sites = new ArrayList<>();
    for (Op r : h) {
      if (!isOkRead(r) || r.result() == null) continue;
      Op w = writerOf.get(r.result());
      if (!isDefiniteWrite(w) || w.completeNanos() >= r.invokeNanos()) continue;
      String prev = before.get(w.id());
      Op prevWriter = prev == null ? null : writerOf.get(prev);
      if (prev == null || (isDefiniteWrite(prevWriter)
          && prevWriter.completeNanos() < w.invokeNanos())) {
        sites.add(new int[] {r.id(), w.id()});
      }
    }
    Assume.that(!sites.isEmpty());
    int[] site = sites.get(new Random(seed).nextInt(sites.size()));
    Map<Integer, String> mutation = new HashMap<>();
    mutation.put(site[0], before.get(site[1]));
    assertViolation(withResults(h, mutation));
  }

  /**
   * Two sequential reads around a write swap what they returned: the first now returns the value
   * of a write invoked only after it completed.
   */
  @Property(tries = 200, maxDiscardRatio = 20)
  void reorderedPairOfReadsFails(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 8) int processes,
      @ForAll @IntRange(min = 5, max = 150) int ops) {
    List<Op> h = RegisterSimulation.generate(seed, processes, ops, 1, 0.1, 0.1).ops();
    Map<String, Op> writerOf = writers(h);
    List<int[]> sites = new ArrayList<>();
    for (Op r2 : h) {
      if (!isOkRead(r2) || r2.result() == null) continue;
      Op w = writerOf.get(r2.result());
      if (w.completeNanos() >= r2.invokeNanos()) continue;
      for (Op r1 : h) {
        if (isOkRead(r1) && r1.completeNanos() < w.invokeNanos()
            && !r2.result().equals(r1.result())) {
          sites.add(new int[] {r1.id(), r2.id()});
        }
      }
    }
    Assume.that(!sites.isEmpty());
    int[] site = sites.get(new Random(seed).nextInt(sites.size()));
    Map<Integer, String> mutation = new HashMap<>();
    mutation.put(site[0], h.get(site[1]).result());
    mutation.put(site[1], h.get(site[0]).result());
    assertViolation(withResults(h, mutation));
  }

  private void assertViolation(History mutated) {
    Verdict v = checker.check(mutated).get("k0");
    assertThat(v.status()).as(v.explanation()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
    assertThat(v.unplaced()).isNotEmpty();
  }

  private static boolean isOkRead(Op op) {
    return op.kind() == Op.Kind.READ && op.outcome() == Op.Outcome.OK;
  }

  /** Certainly took effect, setting its value. */
  private static boolean isDefiniteWrite(Op op) {
    return op != null && op.outcome() == Op.Outcome.OK
        && (op.kind() == Op.Kind.WRITE || Boolean.TRUE.equals(op.succeeded()));
  }

  private static Map<String, Op> writers(List<Op> h) {
    Map<String, Op> out = new HashMap<>();
    for (Op op : h) {
      if (op.kind() != Op.Kind.READ) out.put(op.value(), op);
    }
    return out;
  }

  /** The history with the given reads' results replaced (ids index the list). */
  private static History withResults(List<Op> h, Map<Integer, String> results) {
    List<Op> out = new ArrayList<>(h);
    results.forEach((id, result) -> {
      Op r = h.get(id);
      out.set(id, new Op(r.id(), r.process(), r.kind(), r.key(), r.expected(), r.value(),
          r.invokeNanos(), r.completeNanos(), r.outcome(), result, r.succeeded()));
    });
    return History.of(out);
  }
}
