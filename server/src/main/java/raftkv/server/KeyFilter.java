package raftkv.server;

import com.google.protobuf.ByteString;
import java.util.Comparator;

/**
 * Which keys a watch follows: one key, or the keys in [{@code start}, {@code end}) (a prefix
 * is the range of keys that begin with it). Immutable and thread-safe.
 *
 * @param key the one key followed, or empty for a range
 * @param start inclusive start of the range (ignored for a key)
 * @param end exclusive end of the range; empty = to the last key
 */
record KeyFilter(ByteString key, ByteString start, ByteString end) {
  private static final Comparator<ByteString> ORDER = ByteString.unsignedLexicographicalComparator();

  static KeyFilter key(ByteString key) {
    return new KeyFilter(key, ByteString.EMPTY, ByteString.EMPTY);
  }

  static KeyFilter prefix(ByteString prefix) {
    return new KeyFilter(ByteString.EMPTY, prefix, RangeCursors.prefixEnd(prefix));
  }

  static KeyFilter range(ByteString start, ByteString end) {
    return new KeyFilter(ByteString.EMPTY, start, end);
  }

  boolean matches(ByteString candidate) {
    if (!key.isEmpty()) {
      return key.equals(candidate);
    }
    return ORDER.compare(candidate, start) >= 0
        && (end.isEmpty() || ORDER.compare(candidate, end) < 0);
  }
}
