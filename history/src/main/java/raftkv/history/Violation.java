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
  /** A watch stream's events out of index order, repeated, or outside its keys or indexes. */
  public static final String WATCH_ORDER = "watch-order";
  /** A change a watch stream covers but did not deliver. */
  public static final String WATCH_GAP = "watch-gap";
  /** A watch event that contradicts the log or another stream at its index. */
  public static final String WATCH_AGREEMENT = "watch-agreement";
  /** A watch event nothing in the run explains (a value no write wrote, a delete no lease end). */
  public static final String WATCH_PHANTOM = "watch-phantom";
  /** A lease whose keys were deleted at more than one index. */
  public static final String LEASE_END = "lease-end";

  /** Every guarantee name, in the order above. */
  public static final List<String> GUARANTEES = List.of(LINEARIZABILITY, READ_YOUR_WRITES,
      MONOTONIC_READS, MONOTONIC_WRITES, WRITES_FOLLOW_READS, CONSISTENT_PREFIX, BOUNDED_STALENESS,
      LOST_WRITE, CONVERGENCE, WATCH_ORDER, WATCH_GAP, WATCH_AGREEMENT, WATCH_PHANTOM, LEASE_END);

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
