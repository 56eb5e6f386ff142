package raftkv.server;

import java.util.ArrayList;
import java.util.List;

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
   * The events of {@code set} this stream follows, or null when there are none; either way
   * the position moves to the set's index. When it follows every event of the set the result
   * is the set's own list (the same instance), so that the hub can send every such stream one
   * shared response.
   */
  List<WatchEvent> take(ChangeSet set) {
    List<WatchEvent> events = set.getEventsList();
    int matched = 0;
    for (WatchEvent event : events) {
      if (filter.matches(event.getKv().getKey())) {
        matched++;
      }
    }
    List<WatchEvent> taken = null;
    if (matched == events.size()) {
      taken = events;
    } else if (matched > 0) {
      taken = new ArrayList<>(matched);
      for (WatchEvent event : events) {
        if (filter.matches(event.getKv().getKey())) {
          taken.add(event);
        }
      }
    }
    advanceTo(set.getIndex());
    if (taken != null && skipNextChange) {
      skipNextChange = false;
      return null;
    }
    return taken;
  }

  void sent(long nowNanos) {
    lastSentNanos = nowNanos;
  }

  boolean progressDue(long nowNanos) {
    return nowNanos - lastSentNanos >= progressIntervalNanos;
  }
}
