package raftkv.ycsb;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;

/**
 * Where a YCSB record lives in raftkv: one raftkv key per field, {@code table NUL key NUL
 * field}, the field's bytes as its value.
 *
 * <p>One key per field rather than one encoded value per record because YCSB's update writes
 * only some fields (workload A's updates write one): with a single value every update would
 * have to read the record, merge and write it back under a compare, doubling its cost and
 * making hot keys conflict. With a key per field an update is one write and a read is one
 * prefix range. NUL as the separator keeps every record's fields contiguous and records in
 * YCSB key order, which scans rely on, for any table and record key without a NUL byte.
 *
 * <p>Stateless and thread-safe.
 */
final class RecordLayout {
  private static final byte SEPARATOR = 0;

  private RecordLayout() {}

  /** The prefix every field key of {@code key} in {@code table} starts with. */
  static ByteString recordPrefix(String table, String key) {
    return tablePrefix(table).concat(utf8(key)).concat(ByteString.copyFrom(new byte[] {SEPARATOR}));
  }

  static ByteString fieldKey(ByteString recordPrefix, String field) {
    return recordPrefix.concat(utf8(field));
  }

  /** The prefix every key of {@code table} starts with. */
  static ByteString tablePrefix(String table) {
    return utf8(table).concat(ByteString.copyFrom(new byte[] {SEPARATOR}));
  }

  /** The first key after every key of {@code table}: its prefix with the NUL raised to 1. */
  static ByteString tableEnd(String table) {
    return utf8(table).concat(ByteString.copyFrom(new byte[] {SEPARATOR + 1}));
  }

  /** The field name of {@code fieldKey}, which starts with {@code recordPrefix}. */
  static String field(ByteString fieldKey, ByteString recordPrefix) {
    return fieldKey.substring(recordPrefix.size()).toStringUtf8();
  }

  /**
   * The record prefix of {@code fieldKey}, a key of the table whose prefix is {@code
   * tablePrefix}: everything up to and including the NUL after the record key.
   *
   * @throws IllegalArgumentException if the key has no NUL after the table prefix (a key
   *     YCSB did not write)
   */
  static ByteString recordPrefixOf(ByteString fieldKey, ByteString tablePrefix) {
    for (int i = tablePrefix.size(); i < fieldKey.size(); i++) {
      if (fieldKey.byteAt(i) == SEPARATOR) {
        return fieldKey.substring(0, i + 1);
      }
    }
    throw new IllegalArgumentException("key " + fieldKey.toStringUtf8()
        + " is not a YCSB field key (table NUL record NUL field)");
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }
}
