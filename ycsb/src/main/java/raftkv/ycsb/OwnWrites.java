package raftkv.ycsb;

import com.google.protobuf.ByteString;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One YCSB thread's (one session's) recent writes, to count its reads that missed them: a
 * read-your-writes miss is a read of a record this session wrote at log index {@code i} that
 * returned the record as it was before {@code i}.
 *
 * <p>The check compares log indexes, not values: a field's version is the index of its last
 * write, so a read saw this session's write (or a later one by anyone) exactly when the
 * record's newest field version is at least {@code i}. Comparing values would count a later
 * write by another thread as a miss. A record not found after this session wrote it is a miss
 * only if the serving node had not applied {@code i} (otherwise someone deleted it since); a
 * record found after this session deleted it is a miss only if its newest version is below
 * the delete's index.
 *
 * <p>Remembers the {@value #CAPACITY} keys written last (least recently written dropped
 * first), so memory stays bounded whatever the record count; reads of keys it no longer
 * remembers are not checked. Not thread-safe: one per YCSB thread.
 */
final class OwnWrites {
  static final int CAPACITY = 100_000;

  private record Write(long index, boolean deleted) {}

  private final Map<ByteString, Write> last = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<ByteString, Write> eldest) {
      return size() > CAPACITY;
    }
  };
  private long checked;
  private long misses;

  void wrote(ByteString record, long index) {
    last.put(record, new Write(index, false));
  }

  void deleted(ByteString record, long index) {
    last.put(record, new Write(index, true));
  }

  /**
   * Counts a read of {@code record} if this session wrote it, and a miss if the read did not
   * see that write.
   *
   * @param found whether the read returned any field
   * @param newestVersion the highest version among the fields returned (0 if none)
   * @param servedAt the applied index of the node that served the read
   * @return true if the read missed this session's write
   */
  boolean check(ByteString record, boolean found, long newestVersion, long servedAt) {
    Write own = last.get(record);
    if (own == null) {
      return false;
    }
    checked++;
    boolean missed;
    if (own.deleted()) {
      missed = found && newestVersion < own.index();
    } else {
      missed = found ? newestVersion < own.index() : servedAt < own.index();
    }
    if (missed) {
      misses++;
    }
    return missed;
  }

  /** Reads of records this session had written. */
  long checked() {
    return checked;
  }

  /** Those of {@link #checked()} that did not see this session's write. */
  long misses() {
    return misses;
  }
}
