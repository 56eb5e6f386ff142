package raftkv.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.KvClient;
import raftkv.history.FinalValue;
import raftkv.history.History;
import raftkv.history.HistoryRecorder;
import raftkv.history.LeaseEnd;
import raftkv.history.ReplicaState;
import raftkv.history.WatchStream;
import raftkv.v1.Consistency;
import raftkv.v1.GetResponse;

/**
 * One chaos run, start to verdict: starts a {@link ChaosCluster} and the run's own {@link
 * CpuLoad} if any, runs the recorded {@link Workload}, {@link Watchers} and {@link
 * LeaseHolder} while the {@link Nemesis} injects faults
 * for at least the run's duration and until every requested kind has run once (never starting
 * one after the ceiling), heals everything, lets the workload run a little longer on the healed
 * cluster, stops the workload and the load, lets the watchers catch up with the last
 * acknowledged write, reads the final state of every key linearizably,
 * waits for every replica to reach the same applied index and collects their state hashes,
 * then runs every checker ({@link Checks}).
 *
 * <p>Not thread-safe: one run per instance, on the calling thread (plus the workload's and the
 * cluster's own threads, all stopped before {@link #run} returns).
 */
public final class ChaosRun {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosRun.class);
  private static final Duration RECOVERY = Duration.ofSeconds(3);
  /**
   * Only ends a failed run, so generous: a replica restarted by the last fault may still be
   * starting its JVM on a loaded machine.
   */
  private static final Duration CONVERGENCE_WAIT = Duration.ofSeconds(120);
  /** How long the healed cluster gets to elect a leader (after a restart of every node). */
  private static final Duration HEALED_LEADER_WAIT = Duration.ofSeconds(120);
  /** How long open watchers get to reach the last acknowledged write once the load stops. */
  private static final Duration WATCH_SETTLE = Duration.ofSeconds(30);

  private ChaosRun() {}

  /**
   * Runs one chaos run in {@code dir} (created if missing; its contents are the nodes' data
   * and logs, left for inspection). {@code progress} receives one line per phase.
   *
   * @throws IllegalStateException if the cluster or the CPU load cannot be started, or the
   *     cluster never recovers
   */
  public static ChaosReport run(ChaosOptions options, NodeLauncher launcher, Path dir,
      Consumer<String> progress) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Random random = new Random(options.seed());
    progress.accept("starting " + options.voters() + " voters + " + options.learners()
        + " learners behind fault proxies in " + dir);
    try (ChaosCluster cluster = ChaosCluster.start(dir, launcher, options, random);
        CpuLoad load = CpuLoad.start(launcher, options.cpuLoad(), dir)) {
      // Ctrl-C or SIGTERM must not leave node processes or the load behind.
      Thread stopAll = new Thread(() -> {
        load.close();
        cluster.close();
      }, "chaos-stop-nodes");
      Runtime.getRuntime().addShutdownHook(stopAll);
      try {
        return measure(options, cluster, load, random, dir, progress);
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(stopAll);
        } catch (IllegalStateException shuttingDown) {
          // The hook is running already.
        }
      }
    }
  }

  private static ChaosReport measure(ChaosOptions options, ChaosCluster cluster, CpuLoad load,
      Random random, Path dir, Consumer<String> progress)
      throws IOException, InterruptedException {
    long startNanos = System.nanoTime();
    LongSupplier elapsedMs = () -> (System.nanoTime() - startNanos) / 1_000_000;
    HistoryRecorder recorder = new HistoryRecorder();
    KeySchedule keys =
        new KeySchedule(options.keysPerEpoch(), options.epoch().toMillis(), elapsedMs);
    Workload workload = new Workload(cluster, options, recorder, keys);
    Nemesis nemesis = new Nemesis(cluster, options, random, elapsedMs);
    LeaseHolder leaseHolder = new LeaseHolder(cluster, recorder,
        new Random(options.seed() * 31 + 7), options.electionTimeoutMs());
    progress.accept("running " + options.sessions() + " sessions + "
        + cluster.initialMembers().size() + " pinned readers + watchers + a lease holder for at"
        + " least " + options.duration().toSeconds() + " s, until each of "
        + Fault.names(options.faults())
        + " has been injected once, starting no fault after "
        + options.maxDuration().toSeconds() + " s (seed " + options.seed() + ")"
        + (load.threads() == 0 ? "" : "; CPU load: " + load.threads() + " busy thread"
            + (load.threads() == 1 ? "" : "s")));
    try (Watchers watchers = new Watchers(cluster, keys, workload::recentWriteToken)) {
      watchers.start();
      leaseHolder.start();
      workload.start();
      try {
        Set<Fault> missing = nemesis.run(options.duration().toMillis(),
            options.maxDuration().toMillis());
        if (!missing.isEmpty()) {
          progress.accept("max duration " + options.maxDuration().toSeconds() + " s reached;"
              + " never injected: " + Fault.names(missing) + "; healing and checking what ran");
        }
        cluster.healAll();
        if (cluster.awaitLeader(HEALED_LEADER_WAIT).isEmpty()) {
          throw new IllegalStateException("no leader within " + HEALED_LEADER_WAIT.toSeconds()
              + " s after healing; logs in " + dir);
        }
        Thread.sleep(RECOVERY.toMillis()); // the healed cluster under load, recorded too
      } finally {
        try {
          workload.stop();
          leaseHolder.stop();
        } finally {
          // Before the final reads and the convergence wait: their deadlines are for the store.
          load.close();
        }
      }
      long workloadMs = elapsedMs.getAsLong();
      History recorded = recorder.history();
      History history = History.of(recorded.ops().stream()
          .filter(op -> !LeaseHolder.owns(op.key())).toList());
      writeHistory(recorded, dir.resolve("history.txt"));
      long lastWrite = Math.max(lastAcknowledgedIndex(recorded), leaseHolder.leaseEnds()
          .stream().mapToLong(LeaseEnd::index).max().orElse(0));
      progress.accept("workload stopped after " + workloadMs / 1000 + " s: "
          + recorded.ops().size() + " operations recorded, " + nemesis.events().size()
          + " faults injected; waiting for the watchers to reach index " + lastWrite);
      List<String> behind = watchers.settle(lastWrite, WATCH_SETTLE);
      watchers.close();
      WatchActivity watches = new WatchActivity(watchers.streams(), leaseHolder.leaseEnds(),
          watchers.watches().stream().mapToLong(RecordedWatch::resumes).sum(),
          watchers.watches().stream().mapToLong(RecordedWatch::restarts).sum(), behind,
          watchers.refused(), leaseHolder.granted());
      writeWatches(watchers.watches(), watches.leaseEnds(), dir.resolve("watches.txt"));
      progress.accept("checking");
      Map<String, FinalValue> finalState = finalState(cluster, history);
      List<ReplicaState> replicas = converge(cluster);
      return Checks.run(options, history, recorded, watches, finalState, replicas,
          nemesis.events(), workloadMs, load.cpu());
    }
  }

  private static long lastAcknowledgedIndex(History history) {
    return history.ops().stream()
        .filter(op -> op.kind() != raftkv.history.Op.Kind.READ
            && op.outcome() == raftkv.history.Op.Outcome.OK)
        .mapToLong(op -> op.served().index()).max().orElse(0);
  }

  /** Each watcher's stream and the lease ends, for reading a watch violation in context. */
  private static void writeWatches(List<RecordedWatch> watchers, List<LeaseEnd> leaseEnds,
      Path file) throws IOException {
    try (var out = Files.newBufferedWriter(file)) {
      for (LeaseEnd end : leaseEnds) {
        out.write(end.toString());
        out.newLine();
      }
      for (RecordedWatch w : watchers) {
        WatchStream stream = w.stream();
        out.write("watcher " + stream.watcher() + " " + stream.keys() + " after "
            + stream.startIndex() + " through " + stream.finalPosition() + ", resumed "
            + w.resumes() + ", restarted " + w.restarts()
            + (w.failure().isEmpty() ? "" : ", last failure " + w.failure()));
        out.newLine();
        for (WatchStream.Event e : stream.events()) {
          out.write("  " + e);
          out.newLine();
        }
      }
    }
  }

  /** One op per line, for reading a violation in context. */
  private static void writeHistory(History history, Path file) throws IOException {
    try (var out = Files.newBufferedWriter(file)) {
      for (raftkv.history.Op op : history.ops()) {
        out.write(op.toString());
        out.newLine();
      }
    }
  }

  /** Every key of the history, read LINEARIZABLE from the healed cluster. */
  private static Map<String, FinalValue> finalState(ChaosCluster cluster, History history) {
    Map<String, FinalValue> out = new HashMap<>();
    try (KvClient client = KvClient.builder()
        .endpoints(cluster.initialMembers().stream().map(n -> n.grpcAddress).toList())
        .defaultDeadline(Duration.ofSeconds(30)).build()) {
      for (String key : new TreeSet<>(history.byKey().keySet())) {
        GetResponse response = client.blocking().get(key, Consistency.LINEARIZABLE);
        if (response.getFound()) {
          out.put(key, new FinalValue(response.getKv().getValue().toStringUtf8(),
              response.getKv().getVersion()));
        }
      }
    }
    return out;
  }

  /**
   * Waits until every initial member reports the same applied index, then returns each one's
   * state hash; after {@link #CONVERGENCE_WAIT} returns what they report (the convergence
   * checker then names the difference).
   */
  private static List<ReplicaState> converge(ChaosCluster cluster) throws InterruptedException {
    long deadline = System.nanoTime() + CONVERGENCE_WAIT.toNanos();
    List<ReplicaState> states = List.of();
    while (System.nanoTime() < deadline) {
      states = digests(cluster);
      boolean allAnswered = states.size() == cluster.initialMembers().size();
      if (allAnswered && states.stream().map(ReplicaState::appliedIndex).distinct().count() == 1) {
        return states;
      }
      Thread.sleep(200); // replicas still applying: poll their digests again
    }
    LOG.warn("replicas did not reach one applied index within {} s: {}",
        CONVERGENCE_WAIT.toSeconds(), states);
    return states;
  }

  private static List<ReplicaState> digests(ChaosCluster cluster) {
    List<ReplicaState> states = new ArrayList<>();
    for (ChaosNode node : cluster.initialMembers()) {
      cluster.digest(node).ifPresent(d ->
          states.add(new ReplicaState(node.id, d.getAppliedIndex(), d.getStateHash())));
    }
    return states;
  }

  /** Deletes a run directory and everything in it. */
  public static void deleteTree(Path root) throws IOException {
    ChaosCluster.deleteTree(root);
  }
}
