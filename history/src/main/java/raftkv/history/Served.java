package raftkv.history;

import java.util.Objects;

/**
 * What the store reported about how it served one op. Immutable.
 *
 * <p>For a write or CAS: {@code level} is LINEARIZABLE and {@code index} is the log index it was
 * applied at. For a read: {@code index} is the replica's applied index when it served the read
 * (the "served index"), {@code valueIndex} the log index of the write that produced the returned
 * value. Zero means "not known" for every number (for {@code valueIndex} also "key absent");
 * {@code ""} means an unknown node.
 *
 * <p>Invariants: numbers are non-negative; {@code tokenIndex > 0} only at SESSION and
 * {@code boundMs > 0} only at BOUNDED level; {@link Op} also requires a write's or CAS's to carry
 * no read fields.
 *
 * @param tokenIndex the session token index the client sent with a SESSION read
 * @param boundMs a BOUNDED read's staleness bound in milliseconds
 */
public record Served(ReadLevel level, String node, long index, long valueIndex, long tokenIndex,
    long boundMs) {

  /** Nothing known; the level of every op recorded without served information. */
  public static final Served NONE = new Served(ReadLevel.LINEARIZABLE, "", 0, 0, 0, 0);

  public Served {
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(node, "node");
    if (index < 0 || valueIndex < 0 || tokenIndex < 0 || boundMs < 0) {
      throw new IllegalArgumentException("served numbers must be >= 0: index " + index
          + ", valueIndex " + valueIndex + ", tokenIndex " + tokenIndex + ", boundMs " + boundMs);
    }
    if (tokenIndex > 0 && level != ReadLevel.SESSION) {
      throw new IllegalArgumentException("only a SESSION read carries a token index");
    }
    if (boundMs > 0 && level != ReadLevel.BOUNDED) {
      throw new IllegalArgumentException("only a BOUNDED read carries a staleness bound");
    }
  }

  /** A write or CAS applied at log {@code index} (0 = unknown) on {@code node}. */
  public static Served write(String node, long index) {
    return new Served(ReadLevel.LINEARIZABLE, node, index, 0, 0, 0);
  }

  /** A read served at {@code level} by {@code node} whose applied index was {@code servedIndex}. */
  public static Served read(ReadLevel level, String node, long servedIndex, long valueIndex,
      long tokenIndex, long boundMs) {
    return new Served(level, node, servedIndex, valueIndex, tokenIndex, boundMs);
  }

  /** Whether this carries only read fields at their defaults (required of writes and CASes). */
  boolean fitsAWrite() {
    return level == ReadLevel.LINEARIZABLE && valueIndex == 0 && tokenIndex == 0 && boundMs == 0;
  }

  /** Compact form, empty when nothing is known: {@code @n2 idx=41 val=37 SESSION tok=30}. */
  String describe() {
    StringBuilder b = new StringBuilder();
    if (!node.isEmpty()) b.append(" @").append(node);
    if (index > 0) b.append(" idx=").append(index);
    if (valueIndex > 0) b.append(" val=").append(valueIndex);
    if (level != ReadLevel.LINEARIZABLE) b.append(' ').append(level);
    if (tokenIndex > 0) b.append(" tok=").append(tokenIndex);
    if (level == ReadLevel.BOUNDED) b.append(" bound=").append(boundMs).append("ms");
    return b.toString();
  }
}
