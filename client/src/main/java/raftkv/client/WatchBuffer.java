package raftkv.client;

import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import raftkv.v1.WatchResponse;

/**
 * The bounded buffer behind {@link Watcher#events()}: the watch puts messages in, the caller
 * pulls responses with changes out. It holds at most {@code capacity} messages; the watch asks
 * the node for a message only when there is room, so a caller that stops pulling stops the
 * stream (gRPC flow control) instead of filling memory.
 *
 * <p>Progress and created messages are consumed on the way (they move the watcher's
 * position) and never returned. After a failure the buffered changes are still returned, then
 * {@link #hasNext()} throws it; after a close, {@link #hasNext()} answers false at once.
 *
 * <p>Thread-safe: one thread (or several, taking turns) pulls while the watch puts.
 */
final class WatchBuffer implements WatchSink, Iterator<WatchResponse> {
  private final int capacity;
  private final Watcher watcher;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<WatchResponse> queue = new ArrayDeque<>();
  private boolean closed;
  private KvException failure;
  // Set once the watch exists: asks it for more once room is made.
  private volatile Runnable onRoom = () -> { };

  WatchBuffer(int capacity, Watcher watcher) {
    if (capacity < 1) {
      throw new IllegalArgumentException("a watch buffer holds at least 1 message, got "
          + capacity);
    }
    this.capacity = capacity;
    this.watcher = watcher;
  }

  void onRoom(Runnable action) {
    this.onRoom = action;
  }

  @Override
  public int room() {
    lock.lock();
    try {
      return capacity - queue.size();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void accept(WatchResponse response) {
    lock.lock();
    try {
      queue.add(response);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void resumed(KvException cause, long position) {
    // Nothing to tell a caller who pulls: the stream goes on.
  }

  @Override
  public void ended(KvException error) {
    lock.lock();
    try {
      if (error == null) {
        closed = true;
        queue.clear();
      } else {
        failure = error;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits for the next response with changes: true when there is one, false once the watch is
   * closed.
   *
   * @throws KvException the failure that ended the watch, once every change before it has
   *     been returned; CANCELLED if the waiting thread is interrupted
   */
  @Override
  public boolean hasNext() {
    boolean tookAny = false;
    lock.lock();
    try {
      while (true) {
        if (closed) {
          return false;
        }
        WatchResponse head = queue.peek();
        if (head != null && head.getEventsCount() > 0) {
          return true;
        }
        if (head != null) {
          queue.poll();
          watcher.delivered(head);
          tookAny = true;
          continue;
        }
        if (failure != null) {
          throw failure.rethrown();
        }
        if (tookAny) {
          // Room was made: let the watch ask for more before waiting on it.
          lock.unlock();
          try {
            onRoom.run();
          } finally {
            lock.lock();
          }
          tookAny = false;
          continue;
        }
        try {
          changed.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new KvException(Status.Code.CANCELLED, "", null,
              "CANCELLED: interrupted while waiting for a watch event", e);
        }
      }
    } finally {
      lock.unlock();
      if (tookAny) {
        onRoom.run();
      }
    }
  }

  /** The next response with changes, waiting for one; see {@link #hasNext()}. */
  @Override
  public WatchResponse next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the watch is closed");
    }
    WatchResponse next;
    lock.lock();
    try {
      next = queue.poll();
    } finally {
      lock.unlock();
    }
    if (next == null) {
      // Closed between hasNext and here.
      throw new NoSuchElementException("the watch is closed");
    }
    watcher.delivered(next);
    onRoom.run();
    return next;
  }
}
