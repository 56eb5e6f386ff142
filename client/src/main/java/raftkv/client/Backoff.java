package raftkv.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: the n-th wait (from 0) is drawn from [base/2, base] where
 * base = min(max, initial * 2^n). The random half keeps many clients that lost the same
 * leader from returning in lockstep; the fixed half keeps a retry from coming back at once.
 *
 * <p>Immutable and thread-safe.
 */
final class Backoff {
  private final long initialNanos;
  private final long maxNanos;

  Backoff(Duration initial, Duration max) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < initial <= max, got " + initial + " and " + max);
    }
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
  }

  long delayNanos(int retry) {
    long base = initialNanos;
    for (int i = 0; i < retry && base < maxNanos; i++) {
      base <<= 1;
    }
    base = Math.min(base, maxNanos);
    long half = base / 2;
    return half + ThreadLocalRandom.current().nextLong(base - half + 1);
  }
}
