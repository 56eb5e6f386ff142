package raftkv.history;

/**
 * The consistency level a read was served at, from strongest to weakest. Only writes, CASes and
 * {@link #LINEARIZABLE} reads are judged by {@link LinearizabilityChecker}; the other levels have
 * their own checkers.
 */
public enum ReadLevel {
  /** The state at some point inside the read's interval. */
  LINEARIZABLE,
  /** A state at least as new as the client's session token (read-your-writes, monotonic reads). */
  SESSION,
  /** A state no more than a bound (in ms) behind the log. */
  BOUNDED,
  /** Any replica's state: only a consistent prefix of the log is promised. */
  EVENTUAL
}
