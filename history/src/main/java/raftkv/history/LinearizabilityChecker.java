package raftkv.history;

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

  /** One verdict per key, keys in natural order. */
  public Map<String, Verdict> check(History history) {
    Map<String, Verdict> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Op>> e : history.byKey().entrySet()) {
      out.put(e.getKey(), new KeySearch(e.getKey(), maxStatesPerKey).run(e.getValue()));
    }
    return Collections.unmodifiableMap(out);
  }
}
