package raftkv.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Watch streams of this node: {@code raftkv_watchers_open} (gauge), {@code
 * raftkv_watch_events_sent_total} and {@code raftkv_watchers_ended_total} by {@code reason}
 * ({@code cancelled}, {@code lagging}, {@code compacted}, {@code shutdown},
 * {@code storage_error}). See {@link NodeMetrics}. Every meter is registered up front, so each
 * series exists from the first scrape. Thread-safe.
 */
final class WatchMetrics implements WatchObserver {
  private final AtomicInteger open = new AtomicInteger();
  private final Counter events;
  private final Map<EndReason, Counter> ended = new EnumMap<>(EndReason.class);

  WatchMetrics(MeterRegistry registry) {
    Gauge.builder("raftkv.watchers.open", open, AtomicInteger::get)
        .description("Watch streams this node serves now").register(registry);
    events = Counter.builder("raftkv.watch.events.sent")
        .description("Change events this node sent on Watch streams").register(registry);
    for (EndReason reason : EndReason.values()) {
      ended.put(reason, Counter.builder("raftkv.watchers.ended")
          .description("Watch streams this node ended (or saw end), by why")
          .tag("reason", reason.tag()).register(registry));
    }
  }

  @Override
  public void opened() {
    open.incrementAndGet();
  }

  @Override
  public void eventsSent(int count) {
    events.increment(count);
  }

  @Override
  public void ended(EndReason reason) {
    open.decrementAndGet();
    ended.get(reason).increment();
  }
}
