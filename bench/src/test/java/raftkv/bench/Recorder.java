package raftkv.bench;

import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.Map;
import raftkv.v1.Consistency;

/**
 * Replays a recorded history into a checker the way the bench reports it: one call per
 * response, each session's token advanced as the client's is (to the highest index of every
 * response), and the token before each read passed along. Single-threaded.
 */
final class Recorder {
  final ConsistencyChecker checker = new ConsistencyChecker();
  private final Map<String, Long> tokens = new HashMap<>();

  static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** The unique value the history's write at {@code index} wrote. */
  static ByteString valueAt(long index) {
    return bytes("value@" + index);
  }

  long token(String session) {
    return tokens.getOrDefault(session, 0L);
  }

  /** {@code session} put {@code key}, acknowledged at {@code index}, value {@link #valueAt}. */
  void put(String session, String key, long index) {
    checker.writeAcked(session, bytes(key), valueAt(index), index);
    tokens.merge(session, index, Math::max);
  }

  /** A read that found {@code key} at {@code version} holding {@link #valueAt}(version). */
  ReadVerdict get(String session, Consistency level, String key, long version, long served) {
    return get(session, level, key, version, valueAt(version), served);
  }

  /** A read that found {@code key} at {@code version} holding {@code value}. */
  ReadVerdict get(String session, Consistency level, String key, long version,
      ByteString value, long served) {
    ReadVerdict v = checker.readReturned(session, level, bytes(key), true, value, version,
        served, token(session));
    tokens.merge(session, served, Math::max);
    return v;
  }

  /** A read that did not find {@code key}. */
  ReadVerdict absent(String session, Consistency level, String key, long served) {
    ReadVerdict v = checker.readReturned(session, level, bytes(key), false, null, 0, served,
        token(session));
    tokens.merge(session, served, Math::max);
    return v;
  }
}
