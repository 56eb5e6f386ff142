package raftkv.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import raftkv.reads.ReadObserver;
import raftkv.v1.Consistency;

/**
 * How reads are admitted on this node: {@code raftkv_read_wait_seconds} (how long a read
 * waited before this replica could serve it, by level) and {@code raftkv_reads_refused_total}
 * (reads refused because this replica is behind or was removed, by level and reason). See
 * {@link NodeMetrics}.
 *
 * <p>Every meter is registered up front, so each series exists from the first scrape (a rate
 * over a series that appears with its first event misses that event) and recording is a
 * lookup in a fixed map. Thread-safe.
 */
final class ReadMetrics implements ReadObserver {
  static final String WAIT = "raftkv.read.wait";
  static final String REFUSED = "raftkv.reads.refused";
  /** From admitted at once to the default 1 s wait budget and beyond. */
  private static final Duration[] BUCKETS = {
      Duration.ofNanos(100_000), Duration.ofMillis(1), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5)};

  private final Map<Consistency, Timer> waits = new EnumMap<>(Consistency.class);
  private final Map<Consistency, Map<Refusal, Counter>> refusals =
      new EnumMap<>(Consistency.class);

  ReadMetrics(MeterRegistry registry) {
    for (Consistency level : Consistency.values()) {
      if (level == Consistency.UNRECOGNIZED) {
        continue; // refused by validation before it reaches the read path
      }
      String tag = ReadLevels.tag(level);
      // UNSPECIFIED shares LINEARIZABLE's meters (registering the same id returns the same meter).
      waits.put(level, Timer.builder(WAIT)
          .description("Time a read waited for this replica to be allowed to serve it "
              + "(SESSION: to apply the token's index; BOUNDED_STALENESS: a fresh enough "
              + "confirmation; LINEARIZABLE: the ReadIndex round)")
          .tag("level", tag).serviceLevelObjectives(BUCKETS).register(registry));
      Map<Refusal, Counter> byReason = new EnumMap<>(Refusal.class);
      for (Refusal reason : Refusal.values()) {
        byReason.put(reason, Counter.builder(REFUSED)
            .description("Reads this replica refused because it is behind what the read "
                + "needs, or was removed; the client then tries another replica or the "
                + "leader, or fails, as its lag policy says")
            .tag("level", tag).tag("reason", reason.name().toLowerCase(Locale.ROOT))
            .register(registry));
      }
      refusals.put(level, byReason);
    }
  }

  @Override
  public void admitted(Consistency level, long waitedMicros) {
    Timer timer = waits.get(level);
    if (timer != null) {
      timer.record(waitedMicros, TimeUnit.MICROSECONDS);
    }
  }

  @Override
  public void refused(Consistency level, Refusal reason) {
    Map<Refusal, Counter> byReason = refusals.get(level);
    if (byReason != null) {
      byReason.get(reason).increment();
    }
  }
}
