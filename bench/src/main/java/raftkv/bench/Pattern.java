package raftkv.bench;

/** The shape of each operation a session runs. */
public enum Pattern {
  /**
   * Each operation is a read (with probability {@code --read-ratio}, at a level drawn from the
   * mix) or a put of a fresh unique value, of a key drawn from the key distribution.
   */
  MIXED,
  /**
   * Each operation is a put of a fresh value to the session's own key followed, as soon as
   * it is acknowledged, by a read of that key at a level drawn from the mix: "I posted, and my
   * page must show it". Reads that miss the session's own write are read-your-writes
   * violations.
   */
  WRITE_THEN_READ;

  /** Parses {@code mixed} or {@code write-then-read}. */
  public static Pattern parse(String name) {
    return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "mixed" -> MIXED;
      case "write-then-read" -> WRITE_THEN_READ;
      default -> throw new IllegalArgumentException("unknown --pattern '" + name
          + "'; patterns are mixed, write-then-read");
    };
  }

  /** The name on the command line and in reports. */
  public String cliName() {
    return this == MIXED ? "mixed" : "write-then-read";
  }
}
