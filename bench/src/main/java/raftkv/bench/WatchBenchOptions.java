package raftkv.bench;

import java.time.Duration;

/**
 * What {@link WatchBench} runs. Immutable.
 *
 * @param watchers watch streams opened on the prefix, through the client's watch routing
 *     (replicas, learners first)
 * @param writers puts in flight at once (closed loop) when {@code rate} is 0
 * @param rate puts per second (open loop, paced), or 0 for as fast as {@code writers} allow
 * @param duration the measured window
 * @param warmup writes before the window, not measured
 * @param keys distinct keys written under the prefix
 * @param valueSize bytes per value
 * @param prefix the key prefix every watcher watches
 */
public record WatchBenchOptions(int watchers, int writers, int rate, Duration duration,
    Duration warmup, int keys, int valueSize, String prefix) {

  public WatchBenchOptions {
    positive("watchers", watchers);
    positive("writers", writers);
    if (rate < 0) {
      throw new IllegalArgumentException("rate must be >= 0 puts/s (0 = closed loop), got " + rate);
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("duration must be > 0, got " + duration);
    }
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
    }
    positive("keys", keys);
    if (valueSize < 1 || valueSize > 1 << 20) {
      throw new IllegalArgumentException("value size must be 1..1048576 bytes, got " + valueSize);
    }
    if (prefix.isEmpty()) {
      throw new IllegalArgumentException("prefix must not be empty");
    }
  }

  private static void positive(String name, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, got " + value);
    }
  }
}
