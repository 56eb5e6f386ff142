package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.history.ReplicatedLogSimulation.MS;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Histories of a correct replicated log ({@link ReplicatedLogSimulation}) pass every checker; the
 * same histories with one planted fault are caught by the checker for the broken guarantee. Each
 * mutation is planted only where it is a violation whatever else the history holds.
 */
@PropertyTimeout(seconds = 60)
@AddLifecycleHook(PropertyTimeout.Hook.class)
class ConsistencyPropertiesTest {

  private static ReplicatedLogSimulation.Run run(long seed, int sessions, int ops, int keys) {
    return ReplicatedLogSimulation.run(seed,
        new ReplicatedLogSimulation.Config(sessions, ops, keys, 3, 0.05, 0.05, 0.1));
  }

  // ---- Valid histories pass.

  @Property(tries = 250)
  void validHistoriesHaveConsistentPrefixes(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 0, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 4) int keys) {
    History h = run(seed, sessions, ops, keys).history();
    CheckResult r = new ConsistentPrefixChecker().check(h);
    assertOk(r);
    long servedReads = h.ops().stream().filter(o -> o.kind() == Op.Kind.READ
        && o.outcome() == Op.Outcome.OK && o.served().index() > 0).count();
    assertThat(r.opsChecked()).isGreaterThanOrEqualTo(servedReads);
  }

  @Property(tries = 250)
  void validHistoriesKeepSessionGuarantees(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 0, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 4) int keys) {
    assertOk(new SessionGuaranteesChecker().check(run(seed, sessions, ops, keys).history()));
  }

  @Property(tries = 250)
  void validHistoriesKeepStalenessBounds(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 0, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 4) int keys) {
    // Slack 0: the simulated store keeps the bound exactly.
    assertOk(new BoundedStalenessChecker(0).check(run(seed, sessions, ops, keys).history()));
  }

  @Property(tries = 250)
  void validHistoriesLoseNoWrite(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 0, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 4) int keys) {
    ReplicatedLogSimulation.Run run = run(seed, sessions, ops, keys);
    assertOk(new LostWriteChecker().check(run.history(), run.finalState()));
  }

  @Property(tries = 250)
  void validRunsConverge(@ForAll long seed, @ForAll @IntRange(min = 0, max = 100) int ops) {
    assertOk(new ConvergenceChecker().check(run(seed, 3, ops, 2).replicas()));
  }

  @Property(tries = 250)
  void linearizablePartOfValidHistoriesIsLinearizable(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 0, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 4) int keys) {
    assertOk(new LinearizabilityChecker().checkResult(run(seed, sessions, ops, keys).history()));
  }

  // ---- Planted faults are caught.

  /** A SESSION read is re-served just below a write its own session completed before it began. */
  @Property(tries = 200, maxDiscardRatio = 20)
  void staleSessionReadBreaksReadYourWrites(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 20, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 3) int keys) {
    ReplicatedLogSimulation.Run run = run(seed, sessions, ops, keys);
    List<Op> h = run.history().ops();
    List<Op[]> sites = new ArrayList<>(); // {read, own write}
    for (Op r : h) {
      if (!isOkRead(r) || r.served().level() != ReadLevel.SESSION) continue;
      for (Op w : h) {
        if (knownSet(w) && w.process().equals(r.process()) && w.key().equals(r.key())
            && w.completeNanos() < r.invokeNanos()) {
          sites.add(new Op[] {r, w});
        }
      }
    }
    Assume.that(!sites.isEmpty());
    Op[] site = sites.get(new Random(seed).nextInt(sites.size()));
    Op stale = run.reservedAt(site[0], site[1].served().index() - 1);
    CheckResult res = new SessionGuaranteesChecker().check(replace(run.history(), stale));
    assertCaught(res, Violation.READ_YOUR_WRITES, stale);
  }

  /**
   * A SESSION read is re-served below a write to its key that an earlier read of its session
   * (any key, any level) had already seen.
   */
  @Property(tries = 200, maxDiscardRatio = 20)
  void staleSessionReadBreaksMonotonicReads(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 20, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 3) int keys) {
    ReplicatedLogSimulation.Run run = run(seed, sessions, ops, keys);
    List<Op> h = run.history().ops();
    List<long[]> sites = new ArrayList<>(); // {r2 id, index of a write r1 had seen}
    for (Op r2 : h) {
      if (!isOkRead(r2) || r2.served().level() != ReadLevel.SESSION) continue;
      for (Op r1 : h) {
        if (!isOkRead(r1) || !r1.process().equals(r2.process()) || r1.served().index() == 0
            || r1.completeNanos() >= r2.invokeNanos()) {
          continue;
        }
        long seen = 0;
        for (Op w : h) {
          if (knownSet(w) && w.key().equals(r2.key()) && w.served().index() <= r1.served().index()) {
            seen = Math.max(seen, w.served().index());
          }
        }
        if (seen > 0) sites.add(new long[] {r2.id(), seen});
      }
    }
    Assume.that(!sites.isEmpty());
    long[] site = sites.get(new Random(seed).nextInt(sites.size()));
    Op stale = run.reservedAt(h.get((int) site[0]), site[1] - 1);
    CheckResult res = new SessionGuaranteesChecker().check(replace(run.history(), stale));
    assertCaught(res, Violation.MONOTONIC_READS, stale);
  }

  /** Two writes of one session have their log indexes swapped. */
  @Property(tries = 200, maxDiscardRatio = 20)
  void swappedWritesBreakMonotonicWrites(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 10, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 3) int keys) {
    History history = run(seed, sessions, ops, keys).history();
    List<Op> h = history.ops();
    List<Op[]> sites = new ArrayList<>();
    for (Op w2 : h) {
      if (!isAckedWrite(w2)) continue;
      for (Op w1 : h) {
        if (isAckedWrite(w1) && w1.process().equals(w2.process())
            && w1.completeNanos() < w2.invokeNanos()) {
          sites.add(new Op[] {w1, w2});
        }
      }
    }
    Assume.that(!sites.isEmpty());
    Op[] site = sites.get(new Random(seed).nextInt(sites.size()));
    Op w1 = site[0].withServed(site[1].served());
    Op w2 = site[1].withServed(site[0].served());
    CheckResult res = new SessionGuaranteesChecker().check(replace(history, w1, w2));
    assertCaught(res, Violation.MONOTONIC_WRITES, w2);
  }

  /**
   * An EVENTUAL read keeps its served index but returns an older value, overwritten at or below
   * that index. The linearizability checker does not judge it.
   */
  @Property(tries = 200, maxDiscardRatio = 20)
  void eventualReadOfAnOverwrittenValueBreaksConsistentPrefix(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 10, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 3) int keys) {
    ReplicatedLogSimulation.Run run = run(seed, sessions, ops, keys);
    List<Op[]> sites = new ArrayList<>(); // {read, the latest known write it must see}
    for (Op r : run.history().ops()) {
      if (!isOkRead(r) || r.served().level() != ReadLevel.EVENTUAL || r.served().index() == 0) {
        continue;
      }
      Op latest = null;
      for (Op w : run.history().ops()) {
        if (knownSet(w) && w.key().equals(r.key()) && w.served().index() <= r.served().index()
            && (latest == null || w.served().index() > latest.served().index())) {
          latest = w;
        }
      }
      if (latest != null) sites.add(new Op[] {r, latest});
    }
    Assume.that(!sites.isEmpty());
    Op[] site = sites.get(new Random(seed).nextInt(sites.size()));
    Op r = site[0];
    Op older = run.reservedAt(r, site[1].served().index() - 1);
    Op stale = new Op(r.id(), r.process(), r.kind(), r.key(), null, null, r.invokeNanos(),
        r.completeNanos(), r.outcome(), older.result(),
        null, Served.read(ReadLevel.EVENTUAL, r.served().node(), r.served().index(),
            older.served().valueIndex(), 0, 0));
    History mutated = replace(run.history(), stale);
    assertCaught(new ConsistentPrefixChecker().check(mutated), Violation.CONSISTENT_PREFIX, stale);
    assertOk(new LinearizabilityChecker().checkResult(mutated));
  }

  /** A BOUNDED read is re-served below a write that completed longer than its bound before it. */
  @Property(tries = 200, maxDiscardRatio = 20)
  void boundedReadTooFarBehindBreaksBoundedStaleness(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 50, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 3) int keys) {
    ReplicatedLogSimulation.Run run = run(seed, sessions, ops, keys);
    BoundedStalenessChecker checker = new BoundedStalenessChecker();
    List<long[]> sites = new ArrayList<>(); // {read id, index it must have applied}
    for (Op r : run.history().ops()) {
      if (!isOkRead(r) || r.served().level() != ReadLevel.BOUNDED) continue;
      long deadline = r.invokeNanos() - (r.served().boundMs() + checker.slackMs()) * MS;
      long need = 0;
      for (Op w : run.history().ops()) {
        if (isAckedWrite(w) && w.completeNanos() < deadline) {
          need = Math.max(need, w.served().index());
        }
      }
      if (need > 1) sites.add(new long[] {r.id(), need}); // served index 0 would mean "unknown"
    }
    Assume.that(!sites.isEmpty());
    long[] site = sites.get(new Random(seed).nextInt(sites.size()));
    Op stale = run.reservedAt(run.history().ops().get((int) site[0]), site[1] - 1);
    assertCaught(checker.check(replace(run.history(), stale)), Violation.BOUNDED_STALENESS, stale);
  }

  /**
   * The final state of a key rolls back to before an acknowledged write: that write and every
   * later acknowledged write to the key are reported, each once.
   */
  @Property(tries = 200, maxDiscardRatio = 20)
  void rolledBackFinalStateLosesWrites(@ForAll long seed,
      @ForAll @IntRange(min = 1, max = 6) int sessions,
      @ForAll @IntRange(min = 5, max = 300) int ops,
      @ForAll @IntRange(min = 1, max = 3) int keys,
      @ForAll boolean dropKey) {
    ReplicatedLogSimulation.Run run = run(seed, sessions, ops, keys);
    List<Op> acked = run.history().ops().stream()
        .filter(w -> knownSet(w) && w.outcome() == Op.Outcome.OK).toList();
    Assume.that(!acked.isEmpty());
    Op lost = acked.get(new Random(seed).nextInt(acked.size()));
    String k = lost.key();
    Map<String, FinalValue> rolledBack = new HashMap<>(run.finalState());
    ReplicatedLogSimulation.Entry before = run.valueAt(k, lost.served().index() - 1);
    if (dropKey) {
      rolledBack.remove(k);
    } else {
      rolledBack.put(k, before == null ? FinalValue.ABSENT
          : new FinalValue(before.value(), before.index()));
    }
    long from = dropKey ? 1 : lost.served().index();
    Set<Integer> expected = acked.stream()
        .filter(w -> w.key().equals(k) && w.served().index() >= from)
        .map(Op::id).collect(Collectors.toSet());

    CheckResult res = new LostWriteChecker().check(run.history(), rolledBack);
    assertThat(res.count(Violation.CONSISTENT_PREFIX)).isZero();
    Set<Integer> reported = res.violations().stream().map(v -> v.ops().get(0).id())
        .collect(Collectors.toSet());
    assertThat(reported).as("%s", res.violations()).containsAll(expected).contains(lost.id());
    assertThat(res.count(Violation.LOST_WRITE)).isEqualTo(reported.size());
  }

  @Property(tries = 200)
  void divergentReplicaBreaksConvergence(@ForAll long seed,
      @ForAll @IntRange(min = 0, max = 100) int ops, @ForAll boolean lagging) {
    List<ReplicaState> replicas = new ArrayList<>(run(seed, 3, ops, 2).replicas());
    ReplicaState r = replicas.get(new Random(seed).nextInt(replicas.size()));
    replicas.set(replicas.indexOf(r), lagging
        ? new ReplicaState(r.node(), r.appliedIndex() + 1, r.stateHash())
        : new ReplicaState(r.node(), r.appliedIndex(), r.stateHash() + "x"));
    CheckResult res = new ConvergenceChecker().check(replicas);
    assertThat(res.violations()).hasSize(1);
    assertThat(res.violations().get(0).explanation()).contains(r.node());
  }

  // ---- Helpers.

  private static void assertOk(CheckResult r) {
    assertThat(r.violations()).as("%s", r.violations()).isEmpty();
    assertThat(r.ok()).isTrue();
  }

  private static void assertCaught(CheckResult r, String guarantee, Op culprit) {
    assertThat(r.violations()).filteredOn(v -> v.guarantee().equals(guarantee))
        .as("%s violations in %s", guarantee, r.violations())
        .anySatisfy(v -> assertThat(v.ops().get(0).id()).isEqualTo(culprit.id()));
    assertThat(r.ok()).isFalse();
  }

  private static boolean isOkRead(Op op) {
    return op.kind() == Op.Kind.READ && op.outcome() == Op.Outcome.OK;
  }

  /** An OK write or CAS whose log index was acknowledged. */
  private static boolean isAckedWrite(Op op) {
    return op.kind() != Op.Kind.READ && op.outcome() == Op.Outcome.OK && op.served().index() > 0;
  }

  /** Acknowledged at an index and certainly set its value. */
  private static boolean knownSet(Op op) {
    return isAckedWrite(op)
        && (op.kind() == Op.Kind.WRITE || Boolean.TRUE.equals(op.succeeded()));
  }

  private static History replace(History h, Op... ops) {
    List<Op> out = new ArrayList<>(h.ops());
    for (Op op : ops) out.set(op.id(), op);
    return History.of(out);
  }
}
