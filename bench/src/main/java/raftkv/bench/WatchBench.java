package raftkv.bench;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.HdrHistogram.Recorder;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.WatchListener;
import raftkv.client.Watcher;
import raftkv.v1.PutRequest;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * Measures watch delivery: {@code watchers} streams on one prefix (routed as the client routes
 * watches: replicas, learners first) while puts under that prefix run at a rate or closed loop.
 * Every put reaches every watcher, so events delivered = writes x watchers; the delay of each
 * event is counted from its put's acknowledgement at the writer.
 *
 * <p>Not thread-safe: one run per instance ({@link #run}). The caller owns the client.
 */
public final class WatchBench {
  private static final long DRAIN_MS = 30_000;

  private final KvClient client;
  private final WatchBenchOptions options;
  private final Consumer<String> live;
  /** Acknowledgement time (nanoTime) by log index, for the puts of the measured window. */
  private final Map<Long, Long> ackedAt = new ConcurrentHashMap<>();
  private final Recorder delayMicros = new Recorder(3);
  private final LongAdder events = new LongAdder();
  private final LongAdder beforeAck = new LongAdder();
  private final LongAdder resumes = new LongAdder();
  private final Map<String, Long> servedBy = new ConcurrentHashMap<>();
  private final AtomicLong lastWriteIndex = new AtomicLong();
  /** Events count when their index is in (windowFrom, windowTo]: the puts of the window. */
  private volatile long windowFrom = Long.MAX_VALUE;
  private volatile long windowTo = Long.MAX_VALUE;

  private WatchBench(KvClient client, WatchBenchOptions options, Consumer<String> live) {
    this.client = client;
    this.options = options;
    this.live = live;
  }

  /** Runs {@code options}, blocking for the warmup, the window and the drain. */
  public static WatchBenchReport run(KvClient client, WatchBenchOptions options,
      Consumer<String> live) throws InterruptedException {
    return new WatchBench(client, options, live).run();
  }

  private WatchBenchReport run() throws InterruptedException {
    List<Watcher> watchers = new ArrayList<>();
    List<Stream> streams = new ArrayList<>();
    try {
      WatchRequest request = WatchRequest.newBuilder()
          .setPrefix(ByteString.copyFromUtf8(options.prefix())).build();
      for (int i = 0; i < options.watchers(); i++) {
        Stream stream = new Stream();
        streams.add(stream);
        watchers.add(client.watch(request, stream));
      }
      long openDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (streams.stream().anyMatch(s -> !s.created) && System.nanoTime() < openDeadline) {
        TimeUnit.MILLISECONDS.sleep(50);
      }
      long open = streams.stream().filter(s -> s.created).count();
      live.accept(open + " of " + options.watchers() + " watch streams open, served by "
          + new TreeMap<>(servedBy));
      if (open < options.watchers()) {
        throw new IllegalStateException("only " + open + " of " + options.watchers()
            + " watch streams opened within 60 s");
      }
      Writer writer = new Writer();
      Thread writing = new Thread(writer, "watch-bench-writer");
      writing.setDaemon(true);
      writing.start();
      TimeUnit.MILLISECONDS.sleep(options.warmup().toMillis());
      long cpuFrom = Bench.cpuNanos();
      Map<String, Double> nodesFrom = ClusterSampler.cpuSecondsNow(client);
      long from = System.nanoTime();
      windowFrom = lastWriteIndex.get();
      TimeUnit.MILLISECONDS.sleep(options.duration().toMillis());
      windowTo = lastWriteIndex.get();
      double seconds = (System.nanoTime() - from) / 1e9;
      writer.stop(writing);
      long writes = ackedAt.keySet().stream().filter(this::inWindow).count();
      // Events of the window's puts still on their way count too: wait for every stream to
      // reach the last put's index (or the drain deadline).
      long last = windowTo;
      long drainDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MS);
      while (streams.stream().anyMatch(s -> s.position < last)
          && System.nanoTime() < drainDeadline) {
        TimeUnit.MILLISECONDS.sleep(20);
      }
      long cpu = Bench.cpuNanos() - cpuFrom;
      Map<String, Double> nodesTo = ClusterSampler.cpuSecondsNow(client);
      long received = events.sum();
      long behind = streams.stream().filter(s -> s.position < last).count();
      BenchReport.Cluster nodes =
          BenchReport.Cluster.between(nodesFrom, nodesTo, seconds, received);
      Map<String, Object> config = new LinkedHashMap<>();
      config.put("watchers", options.watchers());
      config.put("writers", options.writers());
      config.put("rate", options.rate());
      config.put("durationSeconds", options.duration().toMillis() / 1000.0);
      config.put("keys", options.keys());
      config.put("valueSize", options.valueSize());
      config.put("prefix", options.prefix());
      return new WatchBenchReport(config, BenchReport.round2(seconds), new TreeMap<>(servedBy),
          writes, BenchReport.round2(writes / seconds), received,
          BenchReport.round2(received / seconds), behind,
          BenchReport.Latency.of(delayMicros.getIntervalHistogram()), beforeAck.sum(),
          resumes.sum(),
          new BenchReport.Tool(BenchReport.round2(cpu / 1e9), BenchReport.round2(cpu / 1e9 / seconds),
              BenchReport.perOp(cpu / 1e9, received)),
          nodes == null ? Map.of() : nodes.cpuSecondsByNode(),
          nodes == null ? 0 : nodes.cpuMicrosPerOp());
    } finally {
      watchers.forEach(Watcher::close);
    }
  }

  /** One watch stream's bookkeeping; called back one call at a time. */
  private final class Stream implements WatchListener {
    volatile boolean created;
    volatile long position;

    @Override
    public void onEvents(WatchResponse response) {
      long now = System.nanoTime();
      position = response.getPosition();
      for (WatchEvent event : response.getEventsList()) {
        if (!inWindow(event.getIndex())) {
          continue;
        }
        events.increment();
        Long acked = ackedAt.get(event.getIndex());
        if (acked == null) {
          // The event beat its put's acknowledgement to the writer.
          beforeAck.increment();
          delayMicros.recordValue(0);
        } else {
          delayMicros.recordValue(Math.max(0, (now - acked) / 1000));
        }
      }
    }

    @Override
    public void onProgress(WatchResponse response) {
      position = Math.max(position, response.getPosition());
      if (response.getCreated() && !created) {
        servedBy.merge(response.getServedBy(), 1L, Long::sum);
        created = true;
      }
    }

    @Override
    public void onResume(KvException cause, long position) {
      resumes.increment();
    }

    @Override
    public void onError(KvException error) {
      live.accept("a watch stream failed: " + error.getMessage());
    }
  }

  private boolean inWindow(long index) {
    return index > windowFrom && index <= windowTo;
  }

  /** Puts under the prefix, closed loop ({@code writers} in flight) or paced at {@code rate}. */
  private final class Writer implements Runnable {
    private final Semaphore inFlight = new Semaphore(options.writers());
    private volatile boolean stopped;

    @Override
    public void run() {
      ByteString value = ByteString.copyFrom(new byte[options.valueSize()]);
      long start = System.nanoTime();
      for (long i = 0; !stopped; i++) {
        if (options.rate() > 0) {
          long due = start + (long) (i * 1e9 / options.rate());
          long wait = due - System.nanoTime();
          if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
          }
        }
        try {
          inFlight.acquire();
        } catch (InterruptedException e) {
          return;
        }
        PutRequest put = PutRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8(options.prefix() + (i % options.keys())))
            .setValue(value).build();
        client.async().put(put).whenComplete((response, failure) -> {
          inFlight.release();
          if (failure == null) {
            ackedAt.put(response.getIndex(), System.nanoTime());
            lastWriteIndex.accumulateAndGet(response.getIndex(), Math::max);
          }
        });
      }
    }

    void stop(Thread thread) throws InterruptedException {
      stopped = true;
      thread.interrupt();
      thread.join(5_000);
      inFlight.acquire(options.writers());
    }
  }
}
