package raftkv.core;

/**
 * The leader's replicator for one peer, as jraft reports it: what it is doing, how many RPCs
 * to the peer failed in a row, how far behind the peer is, and jraft's text for the last
 * failure. A value read at one moment; immutable.
 *
 * @param phase what the replicator is doing (jraft's {@code Replicator.State})
 * @param consecutiveErrors RPCs to the peer that failed since the last one that succeeded
 * @param logLagEntries entries of the leader's log the peer has not received (jraft's
 *     {@code log-lags}); meaningful only while {@link #replicating}: a replicator starts with
 *     its next index at the leader's last index + 1, so a peer that is down reads as 0
 * @param lastError jraft's message for the last failed RPC to the peer; empty when none has
 *     failed since the replicator was created
 */
public record ReplicatorStatus(Phase phase, long consecutiveErrors, long logLagEntries,
    String lastError) {

  /** jraft's replicator states, minus Destroyed (a destroyed replicator is no replicator). */
  public enum Phase {
    /** Just created or looking for the last index the peer and the leader agree on. */
    PROBING,
    /** Sending the peer a snapshot because the log it needs was truncated. */
    INSTALLING_SNAPSHOT,
    /** Sending log entries as they are appended. */
    REPLICATING
  }

  /**
   * jraft's own notion of replicating: phase REPLICATING and no failed RPC since the last
   * success. Strict: jraft moves a replicator to PROBING when one heartbeat fails and back only
   * when it next sends entries, so in an idle group a peer that missed one heartbeat reads as
   * not replicating until the next write (see {@link #inSync}).
   */
  public boolean replicating() {
    return phase == Phase.REPLICATING && consecutiveErrors == 0;
  }

  /**
   * The last RPC to the peer succeeded: it answers the leader. The leader sends a heartbeat
   * every election timeout / heartbeat factor, one at a time, each failing after half an
   * election timeout at most, so a peer that stops answering shows within that.
   */
  public boolean answering() {
    return consecutiveErrors == 0;
  }

  /**
   * The peer answers and receives the log: {@link #replicating}, or PROBING with nothing left
   * to send (the idle-group case of {@link #replicating}). Not while it installs a snapshot.
   * Right after a leader change a replicator probes with a guessed next index, so for a moment
   * a lagging peer may read as in sync; jraft corrects the guess at its first answer.
   */
  public boolean inSync() {
    return answering() && (phase == Phase.REPLICATING
        || (phase == Phase.PROBING && logLagEntries == 0));
  }
}
