package raftkv.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides, key by key, whether a recorded history is linearizable for a register whose initial
 * state is "absent": whether its ops can be put in one order that respects real time (an op that
 * completed before another was invoked comes first) and in which every read returns the latest
 * value written and every CAS compares against it.
 *
 * <p>Keys are independent (a linearizable store is linearizable per key, and per-key checking is
 * exponentially cheaper), so a violation spanning keys is not detected. FAILED ops are dropped;
 * UNKNOWN ops may take effect any time after their invocation or never; UNKNOWN reads are dropped.
 * See {@code KeySearch} for the algorithm.
 *
 * <p>Only writes, CASes and {@link ReadLevel#LINEARIZABLE} reads are judged: reads served at a
 * weaker level are dropped first ({@link #linearizablePart}), since they may legally be stale.
 * Ops recorded without served information count as LINEARIZABLE.
 *
 * <p>Immutable and thread-safe. Memory grows with the states explored, bounded by the budget.
 */
public final class LinearizabilityChecker {

  /** Distinct configurations explored per key before giving up; about 100 bytes each, plus 8 bytes per
   * 64 ops between the earliest op not yet linearized and the latest one linearized. */
  public static final long DEFAULT_MAX_STATES_PER_KEY = 500_000;

  private final long maxStatesPerKey;

  public LinearizabilityChecker() {
    this(DEFAULT_MAX_STATES_PER_KEY);
  }

  /**
   * @param maxStatesPerKey configurations one key's search may explore before its verdict is
   *     {@link Verdict.Status#UNKNOWN}; must be positive
   */
  public LinearizabilityChecker(long maxStatesPerKey) {
    if (maxStatesPerKey <= 0) throw new IllegalArgumentException("maxStatesPerKey must be > 0");
    this.maxStatesPerKey = maxStatesPerKey;
  }

  /** One verdict per key of {@link #linearizablePart}, keys in natural order. */
  public Map<String, Verdict> check(History history) {
    Map<String, Verdict> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Op>> e : linearizablePart(history).byKey().entrySet()) {
      out.put(e.getKey(), new KeySearch(e.getKey(), maxStatesPerKey).run(e.getValue()));
    }
    return Collections.unmodifiableMap(out);
  }

  /** {@link #check} as a {@link CheckResult} (see {@link #toCheckResult}). */
  public CheckResult checkResult(History history) {
    return toCheckResult(check(history));
  }

  /** The ops this checker judges: every write and CAS, and the LINEARIZABLE-level reads. */
  public static History linearizablePart(History history) {
    List<Op> kept = new ArrayList<>(history.ops().size());
    for (Op op : history.ops()) {
      if (op.kind() != Op.Kind.READ || op.served().level() == ReadLevel.LINEARIZABLE) kept.add(op);
    }
    return kept.size() == history.ops().size() ? history : History.of(kept);
  }

  /**
   * Per-key verdicts as one result named "linearizability": each NOT_LINEARIZABLE key is a
   * violation (its explanation, its unplaced ops); UNKNOWN keys are counted as undecided.
   */
  public static CheckResult toCheckResult(Map<String, Verdict> verdicts) {
    List<Violation> violations = new ArrayList<>();
    long checked = 0;
    long undecided = 0;
    for (Verdict v : verdicts.values()) {
      checked += v.opsChecked();
      switch (v.status()) {
        case NOT_LINEARIZABLE -> violations.add(new Violation(Violation.LINEARIZABILITY,
            "key " + v.key() + " is " + v.explanation(), v.unplaced()));
        case UNKNOWN -> undecided++;
        case OK -> { }
      }
    }
    return new CheckResult(Violation.LINEARIZABILITY, checked, undecided, violations);
  }
}
