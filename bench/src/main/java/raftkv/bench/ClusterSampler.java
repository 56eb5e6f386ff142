package raftkv.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Recorder;
import raftkv.client.KvClient;
import raftkv.v1.Role;

/**
 * Asks every endpoint for its {@code Admin.Status} every 100 ms during a run: the role of
 * each node (to say whether reads were served by the leader, followers or learners) and the
 * lag of each learner (entries and ms behind the leader, as the learner reports it).
 *
 * <p>Thread-safe. Owns one daemon thread until {@link #close()}.
 */
final class ClusterSampler implements AutoCloseable {
  private static final Duration PERIOD = Duration.ofMillis(100);

  private final KvClient client;
  private final Map<String, Role> roles = new ConcurrentHashMap<>();
  private final Recorder lagMs = new Recorder(3);
  private final Recorder lagEntries = new Recorder(3);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "bench-cluster-sampler");
    t.setDaemon(true);
    return t;
  });

  ClusterSampler(KvClient client) {
    this.client = client;
    timer.scheduleAtFixedRate(this::sample, 0, PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void sample() {
    for (String endpoint : client.admin().endpoints()) {
      client.admin().status(endpoint, Duration.ofMillis(500)).thenAccept(s -> {
        roles.put(s.getNodeId(), s.getRole());
        if (s.getRole() == Role.LEARNER) {
          lagMs.recordValue(s.getLagMs());
          lagEntries.recordValue(s.getLagEntries());
        }
      });
    }
  }

  /** Forgets the lag sampled so far (the end of the warmup). */
  void resetLag() {
    lagMs.reset();
    lagEntries.reset();
  }

  /** The learners' lag since the last reset. */
  BenchReport.LearnerLag learnerLag() {
    org.HdrHistogram.Histogram ms = lagMs.getIntervalHistogram();
    org.HdrHistogram.Histogram entries = lagEntries.getIntervalHistogram();
    return new BenchReport.LearnerLag(ms.getTotalCount(), entries.getValueAtPercentile(50),
        entries.getValueAtPercentile(99), entries.getMaxValue(), ms.getValueAtPercentile(50),
        ms.getValueAtPercentile(99), ms.getMaxValue());
  }

  /**
   * Reads counted per serving node, regrouped by the role each node had when last sampled:
   * leader, followers, learners, or unknown.
   */
  Map<String, Long> byRole(Map<String, Long> perNode) {
    Map<String, Long> out = new TreeMap<>();
    perNode.forEach((node, n) -> out.merge(roleName(roles.get(node)), n, Long::sum));
    return out;
  }

  private static String roleName(Role role) {
    if (role == null) {
      return "unknown";
    }
    return switch (role) {
      case LEADER -> "leader";
      case FOLLOWER -> "followers";
      case LEARNER -> "learners";
      default -> "other";
    };
  }

  /**
   * Every node's CPU time so far ({@code Admin.Status.process_cpu_seconds}), by node id,
   * asked for now; nodes that do not answer within a second are left out.
   */
  static Map<String, Double> cpuSecondsNow(KvClient client) {
    Map<String, Double> cpu = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> asked = new ArrayList<>();
    for (String endpoint : client.admin().endpoints()) {
      asked.add(client.admin().status(endpoint, Duration.ofSeconds(1))
          .thenAccept(s -> cpu.put(s.getNodeId(), s.getProcessCpuSeconds()))
          .exceptionally(unreachable -> null));
    }
    try {
      CompletableFuture.allOf(asked.toArray(new CompletableFuture<?>[0])).get(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Whatever answered is kept.
    }
    return new TreeMap<>(cpu);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
