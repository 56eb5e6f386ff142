package raftkv.ycsb;

import java.util.Locale;
import raftkv.v1.Consistency;
import raftkv.v1.ReadOptions;

/**
 * The level YCSB's reads and scans are sent at, from {@code raftkv.consistency}: {@code
 * session} (the default), {@code eventual}, {@code bounded:<ms>} or {@code linearizable}.
 * Immutable.
 *
 * @param name the property's value as the summary prints it, lower case
 * @param options what each read request carries; a SESSION read gets its token from the
 *     thread's session when it is sent
 */
record ReadLevel(String name, ReadOptions options) {
  static final String PROPERTY = "raftkv.consistency";
  static final String DEFAULT = "session";

  /** @throws IllegalArgumentException naming the property and the accepted forms */
  static ReadLevel parse(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    if (v.startsWith("bounded:")) {
      long ms = boundMillis(value, v.substring("bounded:".length()));
      return new ReadLevel(v, ReadOptions.newBuilder()
          .setConsistency(Consistency.BOUNDED_STALENESS).setMaxLagMs(ms).build());
    }
    Consistency level = switch (v) {
      case "session" -> Consistency.SESSION;
      case "eventual" -> Consistency.EVENTUAL;
      case "linearizable" -> Consistency.LINEARIZABLE;
      default -> throw new IllegalArgumentException(PROPERTY + " must be session, eventual, "
          + "bounded:<ms> or linearizable, got '" + value + "'");
    };
    return new ReadLevel(v, ReadOptions.newBuilder().setConsistency(level).build());
  }

  boolean isSession() {
    return options.getConsistency() == Consistency.SESSION;
  }

  private static long boundMillis(String value, String digits) {
    try {
      long ms = Long.parseLong(digits);
      if (ms > 0) {
        return ms;
      }
    } catch (NumberFormatException e) {
      // the message below says what is expected
    }
    throw new IllegalArgumentException(PROPERTY + "=bounded:<ms> needs a positive whole number "
        + "of milliseconds, got '" + value + "'");
  }
}
