package raftkv.core;

/**
 * Observes a node's state machine: leader changes, applied batches and the leases they
 * granted or ended. For metrics and the leader's lease deadlines; a listener must never change
 * what apply does.
 *
 * <p>Thread-safety: jraft calls every method on the node's single state machine thread, so
 * an implementation must be quick and never block (it delays apply) and must not call
 * jraft's getters, which take the node's lock (see {@link RaftNode#addAppliedListener}).
 */
public interface NodeEventListener {

  /**
   * This node learned of a new leader in {@code term}: itself ({@code self} true, from
   * onLeaderStart) or another node (from onStartFollowing).
   */
  default void leaderChanged(long term, boolean self) {}

  /** A RocksDB write batch of {@code entries} log entries was committed to the store. */
  default void batchApplied(int entries) {}

  /**
   * A committed batch granted or ended leases (already in the store). The leader's lease
   * keeper tracks deadlines from it; {@code changes} is reused after the call returns.
   */
  default void leasesChanged(LeaseChanges changes) {}
}
