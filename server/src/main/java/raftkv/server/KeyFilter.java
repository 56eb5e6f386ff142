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
    return new KeyFilter(ByteString.EMPTY, prefix, prefixEnd(prefix));
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

  /**
   * The first key after every key that starts with {@code prefix}: the prefix with its last
   * byte below 0xff incremented and what follows dropped; empty (no end) for an all-0xff one.
   */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] bytes = prefix.toByteArray();
    for (int i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] != (byte) 0xff) {
        bytes[i]++;
        return ByteString.copyFrom(bytes, 0, i + 1);
      }
    }
    return ByteString.EMPTY;
  }
}
