package raftkv.chaos;

import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Which keys the workload uses now: {@code keysPerEpoch} keys per epoch, a new set every
 * epoch. Many small per-key histories instead of a few long ones keep the linearizability
 * search tractable, and an op of unknown outcome only widens the search on its own key.
 * Thread-safe (stateless besides the clock).
 */
final class KeySchedule {
  private final int keysPerEpoch;
  private final long epochMs;
  private final LongSupplier elapsedMs;

  KeySchedule(int keysPerEpoch, long epochMs, LongSupplier elapsedMs) {
    this.keysPerEpoch = keysPerEpoch;
    this.epochMs = epochMs;
    this.elapsedMs = elapsedMs;
  }

  String pick(Random random) {
    return currentPrefix() + "k" + random.nextInt(keysPerEpoch);
  }

  /** The prefix every key of the current epoch starts with, e.g. {@code "e7-"}. */
  String currentPrefix() {
    return prefix(elapsedMs.getAsLong() / epochMs);
  }

  private static String prefix(long epoch) {
    return "e" + epoch + "-";
  }
}
