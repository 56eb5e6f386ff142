package raftkv.server;

import raftkv.v1.Consistency;

/** The {@code level} tag of read metrics: a small, fixed set of lower-case values. Stateless. */
final class ReadLevels {
  /** Writes and admin calls, which have no read level. */
  static final String NONE = "none";

  private ReadLevels() {}

  /** The level a read is served at: UNSPECIFIED is served as LINEARIZABLE, so tagged so. */
  static String tag(Consistency level) {
    return switch (level) {
      case CONSISTENCY_UNSPECIFIED, LINEARIZABLE -> "linearizable";
      case SESSION -> "session";
      case BOUNDED_STALENESS -> "bounded_staleness";
      case EVENTUAL -> "eventual";
      // Refused by validation; one value keeps the tag's cardinality fixed.
      default -> "unrecognized";
    };
  }
}
