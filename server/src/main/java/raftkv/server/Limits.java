package raftkv.server;

import raftkv.core.RaftNode;

/**
 * Request limits. Immutable. A request over any of them is refused with INVALID_ARGUMENT
 * naming the limit, and nothing is written.
 *
 * @param maxKeyBytes largest key, in bytes (keys are 1..maxKeyBytes)
 * @param maxValueBytes largest value, in bytes
 * @param maxRequestBytes largest serialized request, in bytes; must hold one key and value
 * @param maxTxnOps most compares + success ops + failure ops in one transaction
 * @param maxRangeLimit largest Range page, in keys; also the page size when limit is 0
 * @param maxRangeResponseBytes a Range page ends early (with more = true) once its keys and
 *     values reach this many bytes, so a page of large values stays sendable
 */
public record Limits(int maxKeyBytes, int maxValueBytes, int maxRequestBytes, int maxTxnOps,
    int maxRangeLimit, int maxRangeResponseBytes) {

  public static final Limits DEFAULTS =
      new Limits(4096, 1 << 20, 3 << 19, 128, 10_000, 4 << 20);

  /**
   * Ceiling of maxRequestBytes: a write becomes one Raft log entry of about its request's size
   * plus its write id and timestamp, and replication is sized for entries up to
   * {@link RaftNode#MAX_COMMAND_BYTES}.
   */
  public static final int MAX_REQUEST_BYTES_CEILING = RaftNode.MAX_COMMAND_BYTES - (4 << 10);

  /** Throws {@link IllegalArgumentException} naming the first invalid field. */
  public Limits validate() {
    positive("maxKeyBytes", maxKeyBytes);
    positive("maxValueBytes", maxValueBytes);
    positive("maxTxnOps", maxTxnOps);
    positive("maxRangeLimit", maxRangeLimit);
    if (maxRequestBytes > MAX_REQUEST_BYTES_CEILING) {
      throw new IllegalArgumentException("maxRequestBytes (" + maxRequestBytes + ") must be <= "
          + MAX_REQUEST_BYTES_CEILING + ": a write is replicated as one log entry, and "
          + "replication is sized for entries up to " + RaftNode.MAX_COMMAND_BYTES + " bytes");
    }
    if (maxRequestBytes < maxKeyBytes + maxValueBytes) {
      throw new IllegalArgumentException("maxRequestBytes (" + maxRequestBytes
          + ") must be >= maxKeyBytes + maxValueBytes (" + (maxKeyBytes + maxValueBytes) + ")");
    }
    if (maxRangeResponseBytes < maxKeyBytes + maxValueBytes) {
      throw new IllegalArgumentException("maxRangeResponseBytes (" + maxRangeResponseBytes
          + ") must be >= maxKeyBytes + maxValueBytes (" + (maxKeyBytes + maxValueBytes) + ")");
    }
    return this;
  }

  private static void positive(String field, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(field + " must be >= 1, got " + value);
    }
  }
}
