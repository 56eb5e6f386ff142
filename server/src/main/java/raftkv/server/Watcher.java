package raftkv.server;

import io.grpc.stub.ServerCallStreamObserver;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchResponse;
import raftkv.v1.internal.ChangeSet;

/**
 * One open Watch stream: its call, the keys it follows and its position.
 *
 * <p>Invariant: every change to the followed keys with an index at or below {@link #position}
 * has been sent on the stream (or, with {@link raftkv.reads.BrokenOnPurpose#WATCH_SKIPS_ON_RESUME},
 * dropped on purpose). Positions only grow. It holds no queue: what it has not sent yet is
 * read again from the hub's window or the store.
 *
 * <p>Owned by the {@link WatchHub}: every field is read and written, and every call on the
 * stream made, on the hub's dispatcher thread only.
 */
final class Watcher {
  final ServerCallStreamObserver<WatchResponse> call;
  final KeyFilter filter;
  private final long progressIntervalNanos;
  private long position;
  private long lastSentNanos;
  /** Broken on purpose: drop the next change set that has events for this stream. */
  private boolean skipNextChange;
  private boolean open;

  Watcher(ServerCallStreamObserver<WatchResponse> call, KeyFilter filter,
      long progressIntervalMs) {
    this.call = call;
    this.filter = filter;
    this.progressIntervalNanos = progressIntervalMs * 1_000_000;
  }

  /** Marks the stream open at {@code start}, as the created message about to be sent says. */
  void open(long start, boolean skipFirstChange, long nowNanos) {
    position = start;
    skipNextChange = skipFirstChange;
    lastSentNanos = nowNanos;
    open = true;
  }

  boolean isOpen() {
    return open;
  }

  void close() {
    open = false;
  }

  long position() {
    return position;
  }

  /** Reached {@code index} with nothing more to send up to it. */
  void advanceTo(long index) {
    position = Math.max(position, index);
  }

  /**
   * The events of {@code set} this stream follows, as a response to send (without its
   * position and metadata), or null when there are none; either way the position moves to
   * the set's index.
   */
  WatchResponse.Builder take(ChangeSet set) {
    WatchResponse.Builder response = null;
    for (WatchEvent event : set.getEventsList()) {
      if (filter.matches(event.getKv().getKey())) {
        if (response == null) {
          response = WatchResponse.newBuilder();
        }
        response.addEvents(event);
      }
    }
    advanceTo(set.getIndex());
    if (response != null && skipNextChange) {
      skipNextChange = false;
      return null;
    }
    return response;
  }

  void sent(long nowNanos) {
    lastSentNanos = nowNanos;
  }

  boolean progressDue(long nowNanos) {
    return nowNanos - lastSentNanos >= progressIntervalNanos;
  }
}
