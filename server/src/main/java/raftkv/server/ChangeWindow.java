package raftkv.server;

import raftkv.v1.internal.ChangeSet;

/**
 * The most recent change sets of the watch history, in index order, held in memory so that
 * a dispatch round reads each new change set from RocksDB once however many streams follow
 * it. Bounded by a count and by serialized bytes; the oldest go first.
 *
 * <p>Invariant: every change set with an index in ({@link #floor}, {@link #top}] is in the
 * window (indexes without one changed no user key). Owned by the watch dispatcher thread;
 * not thread-safe.
 */
final class ChangeWindow {
  private final ChangeSet[] ring;
  private final long maxBytes;
  private int head;
  private int size;
  private long bytes;
  private long floor;
  private long top;

  /** An empty window at {@code index}. */
  ChangeWindow(int maxSets, long maxBytes, long index) {
    this.ring = new ChangeSet[maxSets];
    this.maxBytes = maxBytes;
    reset(index);
  }

  /** Forgets every change set; the window covers nothing below {@code index} from now on. */
  void reset(long index) {
    java.util.Arrays.fill(ring, null);
    head = 0;
    size = 0;
    bytes = 0;
    floor = index;
    top = index;
  }

  /**
   * Adds the change sets of a history page read after {@link #top}, which then becomes
   * {@code through}; drops the oldest beyond the bounds.
   */
  void append(java.util.List<ChangeSet> sets, long through) {
    for (ChangeSet set : sets) {
      if (size == ring.length) {
        dropOldest();
      }
      ring[(head + size) % ring.length] = set;
      size++;
      bytes += set.getSerializedSize();
      while (bytes > maxBytes && size > 1) {
        dropOldest();
      }
    }
    top = Math.max(top, through);
  }

  private void dropOldest() {
    ChangeSet oldest = ring[head];
    ring[head] = null;
    head = (head + 1) % ring.length;
    size--;
    bytes -= oldest.getSerializedSize();
    floor = oldest.getIndex();
  }

  /** A stream at {@code position} can be served from here. */
  boolean covers(long position) {
    return position >= floor;
  }

  long floor() {
    return floor;
  }

  long top() {
    return top;
  }

  int size() {
    return size;
  }

  ChangeSet get(int i) {
    return ring[(head + i) % ring.length];
  }

  /** The position of the first change set with an index above {@code position}; size() if none. */
  int firstAfter(long position) {
    int lo = 0;
    int hi = size;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (get(mid).getIndex() <= position) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
