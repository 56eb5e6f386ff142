package raftkv.faultproxy;

import java.time.Duration;
import java.util.Objects;

/** What a {@link LinkProxy} currently does to the traffic of its link. */
public sealed interface LinkMode {

  /** Forward bytes both ways unchanged. */
  LinkMode PASS = new Pass();

  /** Nothing passes: connections are closed, new ones are accepted and closed at once. */
  LinkMode CUT = new Cut();

  static LinkMode delay(Duration fixed, Duration jitter) {
    return new Delay(fixed, jitter);
  }

  static LinkMode drop(double probability) {
    return new Drop(probability);
  }

  /** Forward bytes both ways unchanged. */
  record Pass() implements LinkMode {
    @Override
    public String toString() {
      return "PASS";
    }
  }

  /** Nothing passes. */
  record Cut() implements LinkMode {
    @Override
    public String toString() {
      return "CUT";
    }
  }

  /**
   * Every chunk read from either side is forwarded {@code fixed + uniform(0..jitter)} later,
   * never reordered within a direction.
   */
  record Delay(Duration fixed, Duration jitter) implements LinkMode {
    public Delay {
      Objects.requireNonNull(fixed, "fixed");
      Objects.requireNonNull(jitter, "jitter");
      if (fixed.isNegative() || jitter.isNegative()) {
        throw new IllegalArgumentException("negative delay: fixed=" + fixed + " jitter=" + jitter);
      }
      // Fails early (ArithmeticException) for durations the proxy cannot schedule.
      Math.addExact(fixed.toNanos(), jitter.toNanos());
    }

    @Override
    public String toString() {
      return "DELAY(" + fixed.toMillis() + "ms+0.." + jitter.toMillis() + "ms)";
    }
  }

  /**
   * For each chunk forwarded, with this probability the connection is cut (both sockets
   * closed), as a lossy link does to a TCP stream. New connections are still accepted.
   */
  record Drop(double probability) implements LinkMode {
    public Drop {
      if (!(probability >= 0.0 && probability <= 1.0)) {
        throw new IllegalArgumentException("drop probability not in [0, 1]: " + probability);
      }
    }

    @Override
    public String toString() {
      return "DROP(" + probability + ")";
    }
  }
}
