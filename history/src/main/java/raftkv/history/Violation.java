package raftkv.history;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One broken guarantee, explained for a human. Immutable.
 *
 * <p>Invariants: {@code guarantee} is one of the names below (they appear in user output and
 * JSON, so they are part of the API); {@code ops} holds at most {@link #MAX_OPS} ops, the most
 * relevant first (longer lists are cut).
 */
public record Violation(String guarantee, String explanation, List<Op> ops) {

  public static final String LINEARIZABILITY = "linearizability";
  public static final String READ_YOUR_WRITES = "read-your-writes";
  public static final String MONOTONIC_READS = "monotonic-reads";
  public static final String MONOTONIC_WRITES = "monotonic-writes";
  public static final String WRITES_FOLLOW_READS = "writes-follow-reads";
  public static final String CONSISTENT_PREFIX = "consistent-prefix";
  public static final String BOUNDED_STALENESS = "bounded-staleness";
  public static final String LOST_WRITE = "lost-write";
  public static final String CONVERGENCE = "convergence";

  /** Every guarantee name, in the order above. */
  public static final List<String> GUARANTEES = List.of(LINEARIZABILITY, READ_YOUR_WRITES,
      MONOTONIC_READS, MONOTONIC_WRITES, WRITES_FOLLOW_READS, CONSISTENT_PREFIX, BOUNDED_STALENESS,
      LOST_WRITE, CONVERGENCE);

  /** Ops kept per violation. */
  public static final int MAX_OPS = 5;

  private static final Set<String> KNOWN = Set.copyOf(GUARANTEES);

  public Violation {
    Objects.requireNonNull(explanation, "explanation");
    if (!KNOWN.contains(Objects.requireNonNull(guarantee, "guarantee"))) {
      throw new IllegalArgumentException("unknown guarantee " + guarantee);
    }
    ops = List.copyOf(ops.size() > MAX_OPS ? ops.subList(0, MAX_OPS) : ops);
  }
}
