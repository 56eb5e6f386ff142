package raftkv.token;

import java.util.HexFormat;

/**
 * A session's position in one cluster's log: the highest log index the session has seen,
 * and the identity of the cluster whose log that index belongs to. Immutable.
 *
 * <p>The printable form is fixed-size (38 characters), so one process can hand it to
 * another: {@code rkv1.<cluster id: 16 hex>.<index: 16 hex>}. Clients treat it as opaque
 * apart from {@link #max}; servers refuse a token of another cluster.
 */
public record SessionToken(long clusterId, long index) {
  private static final String PREFIX = "rkv1.";
  public static final int LENGTH = PREFIX.length() + 16 + 1 + 16;

  public String encode() {
    return PREFIX + HexFormat.of().toHexDigits(clusterId) + "." + HexFormat.of().toHexDigits(index);
  }

  /**
   * @throws IllegalArgumentException naming what is wrong with {@code text}
   */
  public static SessionToken parse(String text) {
    if (text == null || text.length() != LENGTH || !text.startsWith(PREFIX)
        || text.charAt(PREFIX.length() + 16) != '.') {
      throw new IllegalArgumentException("malformed session token '" + abbreviate(text)
          + "': expected " + LENGTH + " characters like rkv1.<16 hex>.<16 hex>");
    }
    try {
      long cluster = HexFormat.fromHexDigitsToLong(text, PREFIX.length(), PREFIX.length() + 16);
      long index = HexFormat.fromHexDigitsToLong(text, PREFIX.length() + 17, LENGTH);
      if (index < 0) {
        throw new IllegalArgumentException("index out of range");
      }
      return new SessionToken(cluster, index);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed session token '" + abbreviate(text)
          + "': " + e.getMessage());
    }
  }

  /** The later of two positions in the same cluster's log. */
  public static SessionToken max(SessionToken a, SessionToken b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    if (a.clusterId != b.clusterId) {
      throw new IllegalArgumentException("session tokens of two clusters ("
          + HexFormat.of().toHexDigits(a.clusterId) + ", " + HexFormat.of().toHexDigits(b.clusterId)
          + ") cannot be merged");
    }
    return a.index >= b.index ? a : b;
  }

  /** The cluster id as it appears in tokens and in Admin.Status. */
  public static String clusterIdText(long clusterId) {
    return HexFormat.of().toHexDigits(clusterId);
  }

  private static String abbreviate(String text) {
    if (text == null) {
      return "null";
    }
    return text.length() <= 48 ? text : text.substring(0, 45) + "...";
  }
}
