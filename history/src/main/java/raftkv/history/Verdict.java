package raftkv.history;

import java.util.List;

/**
 * The judgement on one key's history. Immutable.
 *
 * <p>Invariants: {@code longestPrefix} and {@code unplaced} are empty unless the status is
 * {@link Status#NOT_LINEARIZABLE}; {@code explanation} is empty when the status is OK.
 *
 * @param opsChecked ops that entered the search (FAILED ops and UNKNOWN reads are dropped first)
 * @param statesExplored distinct (linearized set, register state) configurations visited
 * @param longestPrefix the longest linearization of a subset of the ops that the search found,
 *     in linearization order
 * @param unplaced the ops that were candidates to follow that prefix and could not be placed
 */
public record Verdict(
    String key,
    Status status,
    int opsChecked,
    long statesExplored,
    List<Op> longestPrefix,
    List<Op> unplaced,
    String explanation) {

  public enum Status {
    /** A linearization exists. */
    OK,
    /** No linearization exists: a proven violation. */
    NOT_LINEARIZABLE,
    /** The search gave up on its budget: neither proven nor refuted. Never to be read as OK. */
    UNKNOWN
  }

  public Verdict {
    longestPrefix = List.copyOf(longestPrefix);
    unplaced = List.copyOf(unplaced);
  }

  public boolean isOk() {
    return status == Status.OK;
  }
}
