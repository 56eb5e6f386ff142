package raftkv.bench;

import com.google.protobuf.ByteString;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.v1.Consistency;

/**
 * One bench run against a cluster: preload, warmup, measured window, drain, report. Prints a
 * live line each second while it runs.
 *
 * <p>Not thread-safe: one run per instance ({@link #run}). The caller owns the client.
 */
public final class Bench {
  private static final int PRELOAD_IN_FLIGHT = 64;

  private final KvClient client;
  private final BenchOptions options;
  private final Consumer<String> live;
  private final ConsistencyChecker checker = new ConsistencyChecker();
  private final OpStats writes = new OpStats();
  private final Map<Consistency, OpStats> reads = new EnumMap<>(Consistency.class);
  private volatile boolean warm;
  private volatile long startedNanos;
  // Guarded by this: running totals at the last live line, to print the last second's share.
  private long staleAtLastTick;
  private long errorsAtLastTick;

  private Bench(KvClient client, BenchOptions options, Consumer<String> live) {
    this.client = client;
    this.options = options;
    this.live = live;
    boolean readsAtAll = options.pattern() == Pattern.WRITE_THEN_READ || options.readRatio() > 0;
    for (Consistency level : readsAtAll ? options.consistency().levels() : List.<Consistency>of()) {
      reads.put(level, new OpStats());
    }
  }

  /**
   * Runs {@code options} against the cluster {@code client} talks to, blocking the calling
   * thread for the warmup and duration (plus preload and drain).
   *
   * @param live receives one line per second of progress (and a few lines about phases)
   * @throws KvException if the preload fails
   */
  public static BenchReport run(KvClient client, BenchOptions options, Consumer<String> live)
      throws InterruptedException {
    return new Bench(client, options, live).run();
  }

  private BenchReport run() throws InterruptedException {
    String preloadToken = preload();
    List<SessionSlot> slots = new ArrayList<>(options.sessions());
    for (int i = 0; i < options.sessions(); i++) {
      slots.add(new SessionSlot(i, client.session(preloadToken), options));
    }
    Workload workload = new Workload(options, checker, writes, reads);
    LoadDriver driver = new LoadDriver(workload::run, slots, options.clients(), options.rate(),
        options.seed());
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-ticker");
      t.setDaemon(true);
      return t;
    });
    try (ClusterSampler sampler = new ClusterSampler(client)) {
      startedNanos = System.nanoTime();
      driver.start();
      ticker.scheduleAtFixedRate(this::tick, 1, 1, TimeUnit.SECONDS);
      TimeUnit.MILLISECONDS.sleep(options.warmup().toMillis());
      synchronized (this) {
        writes.reset();
        reads.values().forEach(OpStats::reset);
        checker.resetCounts();
        sampler.resetLag();
        staleAtLastTick = 0;
        errorsAtLastTick = 0;
        warm = true;
      }
      long cpuFrom = cpuNanos();
      long measuredFrom = System.nanoTime();
      Map<String, Double> nodesCpuFrom = ClusterSampler.cpuSecondsNow(client);
      TimeUnit.MILLISECONDS.sleep(options.duration().toMillis());
      long drainMillis = client.async().deadline().toMillis() + 5_000;
      if (!driver.stopAndDrain(drainMillis)) {
        live.accept("some operations were still in flight " + drainMillis
            + " ms after the end; the report leaves them out");
      }
      double seconds = (System.nanoTime() - measuredFrom) / 1e9;
      long cpu = cpuNanos() - cpuFrom;
      Map<String, Double> nodesCpuTo = ClusterSampler.cpuSecondsNow(client);
      ticker.shutdownNow();
      ticker.awaitTermination(5, TimeUnit.SECONDS);
      synchronized (this) {
        writes.tick();
        reads.values().forEach(OpStats::tick);
      }
      return report(seconds, cpu, nodesCpuFrom, nodesCpuTo, sampler, driver);
    } finally {
      ticker.shutdownNow();
    }
  }

  /** Writes the first {@code preloadKeys} keys, pipelined; returns the token after them. */
  private String preload() throws InterruptedException {
    int n = options.preloadKeys();
    if (n == 0) {
      return "";
    }
    live.accept("preloading " + n + " keys");
    var session = client.newSession();
    Semaphore inFlight = new Semaphore(PRELOAD_IN_FLIGHT);
    java.util.concurrent.atomic.AtomicReference<Throwable> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    ByteString value = ByteString.copyFrom(new byte[options.valueSize()]);
    for (int k = 0; k < n && failure.get() == null; k++) {
      inFlight.acquire();
      session.async().put(SessionSlot.key(k), value).whenComplete((r, t) -> {
        if (t != null) {
          failure.compareAndSet(null, t);
        }
        inFlight.release();
      });
    }
    inFlight.acquire(PRELOAD_IN_FLIGHT);
    if (failure.get() != null) {
      Throwable t = failure.get() instanceof java.util.concurrent.CompletionException c
          && c.getCause() != null ? c.getCause() : failure.get();
      if (t instanceof KvException kv) {
        throw kv;
      }
      throw new IllegalStateException("preload failed: " + t, t);
    }
    return session.token();
  }

  /**
   * The live line: what the last second did (each rate is a count over that second), then
   * the one running total, guarantee violations, which must stay 0 for SESSION and
   * LINEARIZABLE. Counts start again when the warmup ends.
   */
  private synchronized void tick() {
    Histogram writeInterval = writes.tick();
    Histogram readInterval = new Histogram(3);
    long errors = writes.errorCount();
    for (OpStats s : reads.values()) {
      readInterval.add(s.tick());
      errors += s.errorCount();
    }
    long stale = 0;
    for (Counts c : checker.counts().values()) {
      stale += c.staleReads();
    }
    long seconds = Math.round((System.nanoTime() - startedNanos) / 1e9);
    StringBuilder line = new StringBuilder(String.format("%4d s %-8s  writes/s %5d (p99 %s)",
        seconds, warm ? "measured" : "warmup", writeInterval.getTotalCount(),
        p99Millis(writeInterval)));
    if (!reads.isEmpty()) {
      line.append(String.format("  reads/s %5d (p99 %s)  stale reads/s %d",
          readInterval.getTotalCount(), p99Millis(readInterval), stale - staleAtLastTick));
    }
    line.append(String.format("  errors/s %d  guarantee violations (total) %d",
        errors - errorsAtLastTick, checker.guaranteeViolations()));
    staleAtLastTick = stale;
    errorsAtLastTick = errors;
    live.accept(line.toString());
  }

  private static String p99Millis(Histogram micros) {
    return micros.getTotalCount() == 0 ? "-" : String.format("%.2f ms",
        micros.getValueAtPercentile(99) / 1000.0);
  }

  private BenchReport report(double seconds, long cpuNanos, Map<String, Double> nodesCpuFrom,
      Map<String, Double> nodesCpuTo, ClusterSampler sampler, LoadDriver driver) {
    Map<String, Long> errors = new TreeMap<>();
    OpStats.Snapshot w = writes.snapshot();
    w.errors().forEach((code, n) -> errors.merge(code, n, Long::sum));
    WriteCounts wc = checker.writeCounts();
    BenchReport.Ops writeOps = new BenchReport.Ops(w.latencyMicros().getTotalCount(),
        rate(w.latencyMicros().getTotalCount(), seconds), BenchReport.Latency.of(w.latencyMicros()),
        null, new BenchReport.Violations(null, null, wc.monotonicWrites()), null, null, null,
        w.errors());
    long ops = writeOps.ops();
    Map<String, BenchReport.Ops> levels = new LinkedHashMap<>();
    for (Map.Entry<Consistency, OpStats> e : reads.entrySet()) {
      OpStats.Snapshot r = e.getValue().snapshot();
      r.errors().forEach((code, n) -> errors.merge(code, n, Long::sum));
      Counts c = checker.counts(e.getKey());
      long n = r.latencyMicros().getTotalCount();
      ops += n;
      levels.put(LevelMix.name(e.getKey()), new BenchReport.Ops(n, rate(n, seconds),
          BenchReport.Latency.of(r.latencyMicros()), BenchReport.Latency.of(r.waitMicros()),
          new BenchReport.Violations(c.readYourWrites(), c.monotonicReads(), null),
          c.staleReads(), sampler.byRole(r.servedBy()), r.servedBy(), r.errors()));
    }
    long errorCount = errors.values().stream().mapToLong(Long::longValue).sum();
    return new BenchReport(config(), Math.round(seconds * 100) / 100.0, levels, writeOps,
        errors, new BenchReport.Total(ops, rate(ops, seconds), errorCount),
        new BenchReport.Tool(BenchReport.round2(cpuNanos / 1e9),
            BenchReport.round2(cpuNanos / 1e9 / seconds), BenchReport.perOp(cpuNanos / 1e9, ops)),
        BenchReport.Cluster.between(nodesCpuFrom, nodesCpuTo, seconds, ops),
        sampler.learnerLag(),
        options.openLoop() ? new BenchReport.Arrivals(driver.droppedArrivals(),
            driver.unsentAtStop()) : null);
  }

  private Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("pattern", options.pattern().cliName());
    c.put("consistency", options.consistency().toString());
    c.put("durationSec", options.duration().toMillis() / 1000.0);
    c.put("warmupSec", options.warmup().toMillis() / 1000.0);
    c.put("clients", options.clients());
    c.put("sessions", options.sessions());
    c.put("rate", options.rate());
    c.put("readRatio", options.readRatio());
    c.put("keys", options.keys());
    c.put("keyDist", options.keyDistribution().name().toLowerCase(java.util.Locale.ROOT));
    c.put("valueSize", options.valueSize());
    c.put("maxStalenessMs", options.maxStaleness().toMillis());
    c.put("seed", options.seed());
    return c;
  }

  private static double rate(long ops, double seconds) {
    return Math.round(ops / seconds * 10) / 10.0;
  }

  /** This process's CPU time so far, in nanoseconds (0 where the JVM does not say). */
  static long cpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0;
  }
}
