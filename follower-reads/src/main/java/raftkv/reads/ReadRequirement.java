package raftkv.reads;

import raftkv.v1.Consistency;

/**
 * What a read demands of the replica serving it, decoded and validated from the request.
 * Immutable.
 *
 * @param level the consistency level
 * @param neededIndex SESSION: the session token's index; otherwise 0
 * @param maxLagEntries BOUNDED_STALENESS: the bound in entries, 0 = none
 * @param maxLagMs BOUNDED_STALENESS: the bound in milliseconds, 0 = none
 * @param waitBudgetMs how long the replica may wait to catch up; 0 = fail at once
 */
public record ReadRequirement(Consistency level, long neededIndex, long maxLagEntries,
    long maxLagMs, long waitBudgetMs) {

  /** With only an entry bound, the leader must have confirmed the node this recently. */
  static final long DEFAULT_FRESHNESS_MS = 1000;

  /** How old the node's last confirmed freshness may be for this read. */
  long allowedFreshnessAgeMs() {
    return maxLagMs > 0 ? maxLagMs : DEFAULT_FRESHNESS_MS;
  }

  boolean withinBounds(ReplicaProgress.Lag lag) {
    return lag.freshnessAgeMs() <= allowedFreshnessAgeMs()
        && (maxLagEntries == 0 || lag.entries() <= maxLagEntries)
        && (maxLagMs == 0 || lag.millis() <= maxLagMs);
  }
}
