package raftkv.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Base64;
import raftkv.v1.RangeRequest;
import raftkv.v1.internal.RangeCursor;

/**
 * The bounds of a Range request, and its continuation tokens: URL-safe base64 of a
 * {@link RangeCursor} (where the next page starts, where the range ends). A token carries
 * the whole position, so it is honoured by any node and the request's own bounds are
 * ignored when one is given. Stateless.
 */
final class RangeCursors {
  private RangeCursors() {}

  /** The [start, end) of this request's page; end empty = unbounded. */
  static RangeCursor bounds(RangeRequest req) {
    if (!req.getContinuation().isEmpty()) {
      return decode(req.getContinuation());
    }
    if (!req.getPrefix().isEmpty()) {
      return RangeCursor.newBuilder().setNextStart(req.getPrefix())
          .setEnd(prefixEnd(req.getPrefix())).build();
    }
    return RangeCursor.newBuilder().setNextStart(req.getStart()).setEnd(req.getEnd()).build();
  }

  static String encode(byte[] nextStart, ByteString end) {
    byte[] raw = RangeCursor.newBuilder().setNextStart(ByteString.copyFrom(nextStart)).setEnd(end)
        .build().toByteArray();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  static RangeCursor decode(String token) {
    try {
      RangeCursor cursor = RangeCursor.parseFrom(Base64.getUrlDecoder().decode(token));
      if (!cursor.getUnknownFields().asMap().isEmpty()) {
        throw new InvalidProtocolBufferException("unknown fields");
      }
      return cursor;
    } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
      throw new InvalidRequest("continuation is not a token this server issued; pass the "
          + "continuation of the previous RangeResponse unchanged");
    }
  }

  /** The smallest key greater than every key with this prefix; empty when there is none. */
  static ByteString prefixEnd(ByteString prefix) {
    byte[] end = prefix.toByteArray();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return ByteString.copyFrom(end, 0, i + 1);
      }
    }
    return ByteString.EMPTY;
  }
}
