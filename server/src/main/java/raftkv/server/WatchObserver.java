package raftkv.server;

import java.util.Locale;

/**
 * What the watch dispatcher reports about its streams (to {@link WatchMetrics} when metrics
 * are on). Called on the dispatcher thread only.
 */
interface WatchObserver {
  /** Why a stream that was open ended. */
  enum EndReason {
    /** The client cancelled it or went away. */
    CANCELLED,
    /** Its receiver stopped reading and it fell more than --watch-max-lag behind. */
    LAGGING,
    /** The history it still needed was trimmed or replaced by a snapshot. */
    COMPACTED,
    /** The node is shutting down. */
    SHUTDOWN,
    /** Reading the history failed. */
    STORAGE_ERROR;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  WatchObserver NONE = new WatchObserver() {
    @Override
    public void opened() {}

    @Override
    public void eventsSent(int events) {}

    @Override
    public void ended(EndReason reason) {}
  };

  void opened();

  void eventsSent(int events);

  void ended(EndReason reason);
}
