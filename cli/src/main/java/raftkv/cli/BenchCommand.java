package raftkv.cli;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.v1.Consistency;

/**
 * {@code raftkv bench}: a closed-loop load of durable writes or reads with a fixed number of
 * requests in flight. Latency percentiles come from HdrHistogram, per completed request.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Closed-loop load: --clients requests in flight for --duration, after --warmup.")
final class BenchCommand extends DataCommand {
  @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class)
  Duration duration;

  @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class)
  Duration warmup;

  @Option(names = "--clients", defaultValue = "1", description = "Requests in flight (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--op", defaultValue = "put", description = "put, get (linearizable) or get-eventual.")
  String op;

  @Option(names = "--keys", defaultValue = "10000", description = "Distinct keys (default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--value-size", defaultValue = "100", description = "Bytes per value (default ${DEFAULT-VALUE}).")
  int valueSize;

  private final Recorder recorder = new Recorder(3);
  private final LongAdder completed = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final AtomicLong keyCounter = new AtomicLong();
  private volatile long stopAtNanos;

  @Override
  void run(KvClient client) throws Exception {
    if (clients < 1 || keys < 1 || valueSize < 0) {
      throw new IllegalArgumentException("--clients and --keys must be >= 1, --value-size >= 0");
    }
    if (!java.util.List.of("put", "get", "get-eventual").contains(op)) {
      throw new IllegalArgumentException("--op must be put, get or get-eventual, got '" + op + "'");
    }
    ByteString value = ByteString.copyFrom(new byte[valueSize]);
    if (!op.equals("put")) {
      for (int k = 0; k < Math.min(keys, 10_000); k++) {
        client.blocking().put(key(k), value);
      }
    }
    long start = System.nanoTime();
    stopAtNanos = start + warmup.toNanos() + duration.toNanos();
    CompletableFuture<?>[] loops = new CompletableFuture<?>[clients];
    for (int i = 0; i < clients; i++) {
      loops[i] = new CompletableFuture<Void>();
      next(client, value, (CompletableFuture<Void>) loops[i]);
    }
    Thread.sleep(warmup.toMillis());
    recorder.getIntervalHistogram();
    completed.reset();
    errors.clear();
    long measuredFrom = System.nanoTime();
    CompletableFuture.allOf(loops).join();
    double seconds = (System.nanoTime() - measuredFrom) / 1e9;
    Histogram h = recorder.getIntervalHistogram();

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
    output.print(result, String.format(
        "%s x%d in flight: %d ops in %.1f s = %d ops/s; latency ms p50 %s p90 %s p99 %s p99.9 %s max %s; errors %s",
        op, clients, completed.sum(), seconds, Math.round(completed.sum() / seconds),
        latency.get("p50"), latency.get("p90"), latency.get("p99"), latency.get("p999"),
        latency.get("max"), errorCounts));
  }

  private void next(KvClient client, ByteString value, CompletableFuture<Void> loop) {
    if (System.nanoTime() >= stopAtNanos) {
      loop.complete(null);
      return;
    }
    ByteString key = key((int) (keyCounter.getAndIncrement() % keys));
    long started = System.nanoTime();
    CompletableFuture<?> call = switch (op) {
      case "put" -> client.async().put(key, value);
      case "get" -> client.async().get(key, Consistency.LINEARIZABLE);
      case "get-eventual" -> client.async().get(key, Consistency.EVENTUAL);
      default -> CompletableFuture.failedFuture(
          new IllegalArgumentException("--op must be put, get or get-eventual"));
    };
    call.whenComplete((r, failure) -> {
      if (failure == null) {
        recorder.recordValue((System.nanoTime() - started) / 1000);
        completed.increment();
      } else if (failure instanceof IllegalArgumentException) {
        loop.completeExceptionally(failure);
        return;
      } else {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException
            && failure.getCause() != null ? failure.getCause() : failure;
        String code = cause instanceof KvException kv ? kv.code().name() : cause.getClass().getSimpleName();
        errors.computeIfAbsent(code, c -> new LongAdder()).increment();
      }
      next(client, value, loop);
    });
  }

  private static ByteString key(int k) {
    return ByteString.copyFromUtf8(String.format("bench-%08d", k));
  }

  private static double ms(long micros) {
    return Math.round(micros / 10.0) / 100.0;
  }
}
