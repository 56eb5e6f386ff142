package raftkv.cli;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.bench.ConsistencyChecker;
import raftkv.bench.Counts;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.Session;
import raftkv.v1.GetResponse;
import raftkv.v1.Consistency;

/**
 * {@code raftkv bench}: a closed-loop load of durable writes or reads with a fixed number of
 * requests in flight. Latency percentiles come from HdrHistogram, per completed request.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Closed-loop load: --clients requests in flight for --duration, after --warmup.",
        "--op put | get (linearizable) | get-eventual | session-get (each loop a session, reads "
            + "routed to replicas) | write-then-read (each loop a session writes its own key and "
            + "reads it back at once: read-your-writes is checked and the servers' wait measured).",
        "Learners' lag (entries, ms) is sampled from Admin.Status every 100 ms."})
final class BenchCommand extends DataCommand {
  @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class)
  Duration duration;

  @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class)
  Duration warmup;

  @Option(names = "--clients", defaultValue = "1", description = "Requests in flight (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--op", defaultValue = "put",
      description = "put, get, get-eventual, session-get or write-then-read (default ${DEFAULT-VALUE}).")
  String op;

  @Option(names = "--keys", defaultValue = "10000", description = "Distinct keys (default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--value-size", defaultValue = "100", description = "Bytes per value (default ${DEFAULT-VALUE}).")
  int valueSize;

  private static final List<String> OPS =
      List.of("put", "get", "get-eventual", "session-get", "write-then-read");

  private final Recorder recorder = new Recorder(3);
  private final Recorder sessionWaitMicros = new Recorder(3);
  private final Recorder learnerLagMs = new Recorder(3);
  private final Recorder learnerLagEntries = new Recorder(3);
  private final Map<String, LongAdder> servedBy = new ConcurrentHashMap<>();
  private ConsistencyChecker checker = new ConsistencyChecker();
  private final LongAdder completed = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final AtomicLong keyCounter = new AtomicLong();
  private volatile long stopAtNanos;

  @Override
  void run(KvClient client) throws Exception {
    if (clients < 1 || keys < 1 || valueSize < 0) {
      throw new IllegalArgumentException("--clients and --keys must be >= 1, --value-size >= 0");
    }
    if (!OPS.contains(op)) {
      throw new IllegalArgumentException("--op must be one of " + OPS + ", got '" + op + "'");
    }
    ByteString value = ByteString.copyFrom(new byte[valueSize]);
    String preloadToken = "";
    if (!op.equals("put") && !op.equals("write-then-read")) {
      Session preload = client.newSession();
      for (int k = 0; k < Math.min(keys, 10_000); k++) {
        preload.blocking().put(key(k), value);
      }
      preloadToken = preload.token();
    }
    java.util.concurrent.ScheduledExecutorService sampler =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "bench-lag-sampler");
          t.setDaemon(true);
          return t;
        });
    sampler.scheduleAtFixedRate(() -> sampleLearnerLag(client), 100, 100,
        java.util.concurrent.TimeUnit.MILLISECONDS);
    long start = System.nanoTime();
    stopAtNanos = start + warmup.toNanos() + duration.toNanos();
    CompletableFuture<?>[] loops = new CompletableFuture<?>[clients];
    for (int i = 0; i < clients; i++) {
      loops[i] = new CompletableFuture<Void>();
      Session session = client.session(preloadToken);
      next(client, session, i, value, (CompletableFuture<Void>) loops[i]);
    }
    Thread.sleep(warmup.toMillis());
    recorder.getIntervalHistogram();
    sessionWaitMicros.getIntervalHistogram();
    learnerLagMs.getIntervalHistogram();
    learnerLagEntries.getIntervalHistogram();
    completed.reset();
    errors.clear();
    servedBy.clear();
    checker = new ConsistencyChecker();
    long measuredFrom = System.nanoTime();
    CompletableFuture.allOf(loops).join();
    double seconds = (System.nanoTime() - measuredFrom) / 1e9;
    sampler.shutdownNow();
    Histogram h = recorder.getIntervalHistogram();
    Histogram waits = sessionWaitMicros.getIntervalHistogram();
    Histogram lagMs = learnerLagMs.getIntervalHistogram();
    Histogram lagEntries = learnerLagEntries.getIntervalHistogram();

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("op", op);
    result.put("clients", clients);
    result.put("ops", completed.sum());
    result.put("throughputOpsPerSec", Math.round(completed.sum() / seconds));
    Map<String, Object> latency = new LinkedHashMap<>();
    for (double p : new double[] {50, 90, 99, 99.9}) {
      latency.put("p" + (p == 99.9 ? "999" : Integer.toString((int) p)), ms(h.getValueAtPercentile(p)));
    }
    latency.put("max", ms(h.getMaxValue()));
    result.put("latencyMs", latency);
    Map<String, Long> errorCounts = new LinkedHashMap<>();
    errors.forEach((k, v) -> errorCounts.put(k, v.sum()));
    result.put("errors", errorCounts);
    Map<String, Object> session = new LinkedHashMap<>();
    session.put("readWaitMs", Map.of("p50", ms(waits.getValueAtPercentile(50)),
        "p99", ms(waits.getValueAtPercentile(99)), "max", ms(waits.getMaxValue())));
    Counts checked = checker.counts(op.equals("get-eventual") ? Consistency.EVENTUAL
        : op.equals("get") ? Consistency.LINEARIZABLE : Consistency.SESSION);
    session.put("checked", checked.reads());
    session.put("readYourWritesViolations", checked.readYourWrites());
    session.put("monotonicReadViolations", checked.monotonicReads());
    session.put("staleReads", checked.staleReads());
    Map<String, Long> served = new java.util.TreeMap<>();
    servedBy.forEach((k, v) -> served.put(k, v.sum()));
    session.put("readsServedBy", served);
    result.put("reads", session);
    result.put("learnerLag", Map.of(
        "entriesP50", lagEntries.getValueAtPercentile(50), "entriesP99", lagEntries.getValueAtPercentile(99),
        "msP50", lagMs.getValueAtPercentile(50), "msP99", lagMs.getValueAtPercentile(99),
        "samples", lagMs.getTotalCount()));
    output.print(result, String.format(
        "%s x%d in flight: %d ops in %.1f s = %d ops/s; latency ms p50 %s p90 %s p99 %s p99.9 %s max %s; errors %s"
            + "%n  reads: server wait ms p50 %s p99 %s max %s; %d checked: read-your-writes "
            + "violations %d, monotonic-read violations %d, stale reads %d; served by %s"
            + "%n  learner lag: entries p50 %d p99 %d, ms p50 %d p99 %d (%d samples)",
        op, clients, completed.sum(), seconds, Math.round(completed.sum() / seconds),
        latency.get("p50"), latency.get("p90"), latency.get("p99"), latency.get("p999"),
        latency.get("max"), errorCounts,
        ms(waits.getValueAtPercentile(50)), ms(waits.getValueAtPercentile(99)), ms(waits.getMaxValue()),
        checked.reads(), checked.readYourWrites(), checked.monotonicReads(), checked.staleReads(),
        served,
        lagEntries.getValueAtPercentile(50), lagEntries.getValueAtPercentile(99),
        lagMs.getValueAtPercentile(50), lagMs.getValueAtPercentile(99), lagMs.getTotalCount()));
  }

  private void sampleLearnerLag(KvClient client) {
    for (String endpoint : client.admin().endpoints()) {
      client.admin().status(endpoint, Duration.ofMillis(200)).thenAccept(s -> {
        if (s.getRole() == raftkv.v1.Role.LEARNER) {
          learnerLagMs.recordValue(s.getLagMs());
          learnerLagEntries.recordValue(s.getLagEntries());
        }
      });
    }
  }

  private void recordRead(GetResponse r) {
    sessionWaitMicros.recordValue(r.getMeta().getWaitedMicros());
    servedBy.computeIfAbsent(r.getMeta().getServedBy(), k -> new LongAdder()).increment();
  }

  private void next(KvClient client, Session session, int loopId, ByteString value,
      CompletableFuture<Void> loop) {
    if (System.nanoTime() >= stopAtNanos) {
      loop.complete(null);
      return;
    }
    ByteString key = key((int) (keyCounter.getAndIncrement() % keys));
    long started = System.nanoTime();
    CompletableFuture<?> call = switch (op) {
      case "put" -> client.async().put(key, value);
      case "get" -> client.async().get(key, Consistency.LINEARIZABLE);
      case "get-eventual" -> client.async().get(key, Consistency.EVENTUAL).thenAccept(this::recordRead);
      case "session-get" -> sessionRead(session, loopId, key);
      default -> writeThenRead(session, loopId);
    };
    call.whenComplete((r, failure) -> {
      if (failure == null) {
        recorder.recordValue((System.nanoTime() - started) / 1000);
        completed.increment();
      } else {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException
            && failure.getCause() != null ? failure.getCause() : failure;
        String code = cause instanceof KvException kv ? kv.code().name() : cause.getClass().getSimpleName();
        errors.computeIfAbsent(code, c -> new LongAdder()).increment();
      }
      next(client, session, loopId, value, loop);
    });
  }

  /** The session writes its own key a unique value, then reads it back at once. */
  private CompletableFuture<?> writeThenRead(Session session, int loopId) {
    String name = "session-" + loopId;
    ByteString own = ByteString.copyFromUtf8("bench-session-" + loopId);
    ByteString unique = ByteString.copyFromUtf8(loopId + "-" + System.nanoTime());
    return session.async().put(own, unique).thenCompose(w -> {
      checker.writeAcked(name, own, unique, w.getIndex());
      return sessionRead(session, loopId, own);
    });
  }

  /** A SESSION read, checked against what this session wrote and read before. */
  private CompletableFuture<?> sessionRead(Session session, int loopId, ByteString key) {
    long tokenBefore = ConsistencyChecker.tokenIndex(session.token());
    return session.async().get(key).thenAccept(r -> {
      recordRead(r);
      checker.readReturned("session-" + loopId, Consistency.SESSION, key, r.getFound(),
          r.getKv().getValue(), r.getKv().getVersion(), r.getMeta().getAppliedIndex(), tokenBefore);
    });
  }

  private static ByteString key(int k) {
    return ByteString.copyFromUtf8(String.format("bench-%08d", k));
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
