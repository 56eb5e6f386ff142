package raftkv.client;

import raftkv.v1.WatchResponse;

/**
 * Receives what a {@link Watcher} sees, for {@link KvClient#watch(raftkv.v1.WatchRequest,
 * WatchListener)}.
 *
 * <p>Calls come one at a time and in order, on a client network thread, across every node the
 * watch resumes on. While a call runs the watch asks for no further message, so a slow
 * listener slows the stream down rather than filling memory; a node that sees its watcher fall
 * too far behind ends the stream, and the watch resumes where the listener left off. A call
 * must not wait for another call of the same client (that answer needs the thread it blocks).
 * An exception thrown by a call is logged and ends the watch as a failure ({@link #onError}).
 */
public interface WatchListener {
  /**
   * Changes to the watched keys at one log index, in index order: each change is delivered
   * exactly once, also across resumes. {@code response.getEventsList()} is never empty, and
   * {@code response.getPosition()} and {@code getSessionToken()} say where the watch stands.
   */
  void onEvents(WatchResponse response);

  /**
   * The watch stands at {@code response.getPosition()}: nothing changed in the watched keys up
   * to there. Given for the message that starts the watch ({@code getCreated()}) and for the
   * node's progress notifications ({@code getProgress()}), never for a resumed stream's start.
   */
  default void onProgress(WatchResponse response) {}

  /**
   * The stream broke for {@code cause} (its node went down, fell behind, or the stream went
   * quiet) and the watch is resuming on a node of the cluster after {@code position}, with no
   * gap and no duplicate. For information only: nothing needs doing.
   */
  default void onResume(KvException cause, long position) {}

  /**
   * The watch failed for good and delivers nothing more: the start is older than the history
   * the node keeps (OUT_OF_RANGE, {@link KvException#historyCompacted()}), the request is
   * invalid, the caller may not watch, or no node of the cluster can be reached at all. Not
   * called when the caller closes the watch.
   */
  default void onError(KvException error) {}
}
