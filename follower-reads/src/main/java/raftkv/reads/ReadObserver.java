package raftkv.reads;

import raftkv.v1.Consistency;

/**
 * Observes how {@link ReadPath} admits reads: how long each waited and which were refused
 * because this replica is behind. For metrics; an observer must never change the outcome.
 *
 * <p>Thread-safety: called from whichever thread completes the read (a transport thread,
 * the read executor, the timer or a jraft thread): implementations must be thread-safe,
 * quick and non-blocking.
 */
public interface ReadObserver {
  /** Observes nothing. */
  ReadObserver NONE = new ReadObserver() {};

  /** Why a read was refused. */
  enum Refusal {
    /** Still behind once the read's wait budget ran out. */
    WAIT_BUDGET_EXHAUSTED,
    /** Behind, and the read allowed no wait (lag policy FAIL): refused at once. */
    NO_WAIT,
    /** This node was removed from the configuration; it serves EVENTUAL reads only. */
    REMOVED_FROM_CLUSTER
  }

  /**
   * A read was admitted after waiting {@code waitedMicros} for this node to be allowed to
   * serve it (0 when admitted at once; for LINEARIZABLE the ReadIndex round).
   */
  default void admitted(Consistency level, long waitedMicros) {}

  /** A read was refused for lag or membership; the client may go elsewhere. */
  default void refused(Consistency level, Refusal reason) {}
}
