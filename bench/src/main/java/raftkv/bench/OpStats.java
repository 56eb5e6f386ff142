package raftkv.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The measurements of one kind of operation (writes, or reads at one level): latency and the
 * servers' session wait in microseconds (HdrHistogram, 3 significant digits), where reads were
 * served, and failures by status code.
 *
 * <p>Thread-safety: the {@code record*} methods are called from any thread, lock-free.
 * {@link #tick()}, {@link #reset()} and {@link #snapshot()} are serialised on this object:
 * a tick moves what was recorded since the last one into the totals.
 */
final class OpStats {
  private final Recorder latency = new Recorder(3);
  private final Recorder waits = new Recorder(3);
  private final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  // Guarded by this.
  private final Histogram totalLatency = new Histogram(3);
  private final Histogram totalWaits = new Histogram(3);
  private Histogram intervalLatency;
  private Histogram intervalWaits;

  void recordOk(long latencyMicros) {
    latency.recordValue(Math.max(0, latencyMicros));
  }

  void recordRead(String servedByNode, long waitedMicros) {
    waits.recordValue(Math.max(0, waitedMicros));
    servedBy.computeIfAbsent(servedByNode, n -> new LongAdder()).increment();
  }

  void recordError(String code) {
    errors.computeIfAbsent(code, c -> new LongAdder()).increment();
  }

  /** Moves what was recorded since the last tick into the totals; returns that interval's latencies. */
  synchronized Histogram tick() {
    intervalLatency = latency.getIntervalHistogram(intervalLatency);
    intervalWaits = waits.getIntervalHistogram(intervalWaits);
    totalLatency.add(intervalLatency);
    totalWaits.add(intervalWaits);
    return intervalLatency;
  }

  /** Forgets everything recorded so far (the end of the warmup). */
  synchronized void reset() {
    tick();
    totalLatency.reset();
    totalWaits.reset();
    servedBy.clear();
    errors.clear();
  }

  synchronized Snapshot snapshot() {
    return new Snapshot(totalLatency.copy(), totalWaits.copy(), sum(servedBy), sum(errors));
  }

  /** Failures recorded since the last reset, all codes. */
  long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  private static Map<String, Long> sum(Map<String, LongAdder> counters) {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Totals since the last reset; the histograms are copies the caller owns. */
  record Snapshot(Histogram latencyMicros, Histogram waitMicros, Map<String, Long> servedBy,
      Map<String, Long> errors) {}
}
