package raftkv.server;

/**
 * How this node serves Watch streams. Immutable. (How much history it keeps is
 * {@link raftkv.core.StoreOptions#historyEntries()} / {@code historyAgeMs()}.)
 *
 * @param maxLagEntries a stream whose receiver is not reading (flow control says not ready)
 *     and whose position is more than this many log indexes behind the node's applied index
 *     is ended with RESOURCE_EXHAUSTED; its client resumes from the last position it got.
 *     Bounds nothing in memory (a stream holds no queue) but the catch-up work it would cost.
 * @param progressIntervalMs default interval of progress notifications on a silent stream,
 *     for requests that leave progress_interval_ms at 0
 */
public record WatchConfig(long maxLagEntries, long progressIntervalMs) {
  public static final WatchConfig DEFAULTS = new WatchConfig(10_000, 5_000);

  /** Throws {@link IllegalArgumentException} naming the field, its value and the rule. */
  public WatchConfig validate() {
    if (maxLagEntries < 1) {
      throw new IllegalArgumentException("watch-max-lag must be >= 1 entries, got "
          + maxLagEntries);
    }
    if (progressIntervalMs < WatchRequests.MIN_PROGRESS_INTERVAL_MS
        || progressIntervalMs > WatchRequests.MAX_PROGRESS_INTERVAL_MS) {
      throw new IllegalArgumentException("watch-progress-interval must be "
          + WatchRequests.MIN_PROGRESS_INTERVAL_MS + " ms.." + WatchRequests.MAX_PROGRESS_INTERVAL_MS
          + " ms, got " + progressIntervalMs + " ms");
    }
    return this;
  }
}
