package raftkv.client;

import raftkv.v1.WatchResponse;

/**
 * Where a {@link ResumingWatch} puts what it receives, once deduplicated: a {@link
 * WatchListener} or the {@link WatchBuffer} behind {@link Watcher#events()}. The watch calls
 * these one at a time, never two at once.
 */
interface WatchSink {
  /**
   * How many more messages the sink can take now without growing past its bound; the watch
   * asks the node for no more than that. May be called from any thread.
   */
  int room();

  /**
   * One message to hand on: changes (events not empty, none delivered before), the first
   * stream's created message, or a progress notification.
   */
  void accept(WatchResponse response);

  /** The stream broke for {@code cause}; the watch resumes after {@code position}. */
  void resumed(KvException cause, long position);

  /** The watch ended: {@code error} if it failed for good, null if its owner closed it. */
  void ended(KvException error);
}
