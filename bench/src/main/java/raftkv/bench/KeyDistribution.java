package raftkv.bench;

/** How keys are drawn from {@code bench-00000000 .. bench-<keys-1>}. */
public enum KeyDistribution {
  /** Every key equally likely. */
  UNIFORM,
  /** Key rank {@code r} (from 1) drawn with probability proportional to {@code 1/r^s}. */
  ZIPF;

  /** Parses {@code uniform} or {@code zipf}. */
  public static KeyDistribution parse(String name) {
    return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "uniform" -> UNIFORM;
      case "zipf" -> ZIPF;
      default -> throw new IllegalArgumentException("unknown --key-dist '" + name
          + "'; distributions are uniform, zipf");
    };
  }
}
