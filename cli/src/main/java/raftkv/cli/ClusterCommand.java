package raftkv.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.v1.StatusResponse;

/**
 * {@code raftkv cluster start|stop|status|restart-node}: a local cluster of node processes.
 * Exit status {@value #NOT_RUNNING} says no node of the cluster is running, as {@code
 * systemctl status} and LSB init scripts say of a service that is not running; stop on a
 * stopped cluster says so too, instead of reporting nodes it did not stop.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = {"Runs a local cluster: one separate process per node, on free loopback ports.",
        "Exit status: 0 done; 1 failed; 2 usage error; " + ClusterCommand.NOT_RUNNING
            + " no node of the cluster is running (stop, status)."},
    subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class,
        ClusterCommand.Status.class, ClusterCommand.RestartNode.class})
final class ClusterCommand {
  /** Exit status of stop and status when no node of the cluster is running. */
  static final int NOT_RUNNING = 3;

  /** How long restart-node waits for the node to be ready, as start waits for a leader. */
  static final int READY_WAIT_SECONDS = 60;

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = "Starts the nodes, writes DIR/cluster.json, returns once a leader is elected.")
  static final class Start implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "Cluster directory (data, logs, cluster.json).")
    Path dir;

    @Option(names = "--voters", defaultValue = "3", description = "Voting members (default ${DEFAULT-VALUE}).")
    int voters;

    @Option(names = "--learners", defaultValue = "0",
        description = "Non-voting replicas that apply the log and serve reads (default ${DEFAULT-VALUE}).")
    int learners;

    @Option(names = "--heap", defaultValue = LocalCluster.DEFAULT_HEAP, description = "Each node's -Xmx (default ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--snapshot-interval-s", defaultValue = LocalCluster.DEFAULT_SNAPSHOT_INTERVAL_S,
        description = "Seconds between snapshots on every node (default ${DEFAULT-VALUE}).")
    int snapshotIntervalSecs;

    @Option(names = "--jvm-options", defaultValue = LocalCluster.DEFAULT_JVM_OPTIONS,
        description = "Each node's JVM options besides -Xmx, space-separated (default, for "
            + "several nodes sharing a few cores: ${DEFAULT-VALUE}).")
    String jvmOptions;

    @Option(names = "--secure",
        description = "Generate a CA, node and admin certificates and an admin token under "
            + "DIR/tls; nodes serve TLS and require the token or the admin certificate. Verbs "
            + "given --cluster DIR use them. Without it nodes are plaintext, authentication off.")
    boolean secure;

    @Override
    public Integer call() throws IOException, InterruptedException {
      if (voters < 1 || learners < 0) {
        System.err.println("--voters must be >= 1 and --learners >= 0");
        return 2;
      }
      Files.createDirectories(dir);
      if (Files.exists(dir.resolve(ClusterFile.NAME))
          && ClusterFile.read(dir).nodes().stream().anyMatch(n -> LocalCluster.alive(n.pid()))) {
        System.err.println("a cluster is already running in " + dir
            + "; stop it first with 'raftkv cluster stop --dir " + dir + "'");
        return 1;
      }
      LocalCluster.Started started;
      try {
        started = LocalCluster.start(dir, voters, learners, heap, snapshotIntervalSecs,
            LocalCluster.jvmOptions(jvmOptions), secure);
      } catch (IllegalStateException e) {
        System.err.println(e.getMessage());
        return 1;
      }
      List<ClusterFile.Node> nodes = started.cluster().nodes();
      System.out.printf("cluster of %s and %s running in %s; leader %s%n",
          Plural.of(voters, "voter"), Plural.of(learners, "learner"), dir,
          started.leader().getNodeId());
      if (secure) {
        System.out.printf("  TLS and authentication on: CA %s, admin token in %s%n",
            started.cluster().caFile(), started.cluster().tokenFile());
      }
      for (ClusterFile.Node n : nodes) {
        System.out.printf("  %-4s %-8s grpc %-21s raft %-21s metrics %-21s pid %d%n", n.id(),
            n.role(), n.grpcAddress(), n.raftAddress(), n.metricsAddress(), n.pid());
      }
      return 0;
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true,
      description = {"Stops every node of the cluster in DIR (SIGTERM, then SIGKILL after "
          + "15 s), the leader last.",
          "Exit status " + NOT_RUNNING + " if no node was running (nothing stopped)."})
  static final class Stop implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "The cluster's directory.")
    Path dir;

    @Override
    public Integer call() {
      ClusterFile cluster = ClusterFile.read(dir);
      List<String> stopped = LocalCluster.stopAll(cluster);
      List<String> notRunning = cluster.nodes().stream().map(ClusterFile.Node::id)
          .filter(id -> !stopped.contains(id)).toList();
      if (stopped.isEmpty()) {
        System.err.println("raftkv: no node of the cluster in " + dir
            + " was running; nothing to stop");
        return NOT_RUNNING;
      }
      System.out.println("stopped " + Plural.of(stopped.size(), "node") + " in " + dir
          + (notRunning.isEmpty() ? ""
              : "; " + String.join(", ", notRunning) + (notRunning.size() == 1 ? " was" : " were")
                  + " not running"));
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = {"Shows each node's process and Raft state, then the leader's view of "
          + "replication to each other member.",
          "Exit status " + NOT_RUNNING + " if no node is running, 1 if none answers."})
  static final class Status implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "The cluster's directory.")
    Path dir;
    @Mixin Output output;

    @Override
    public Integer call() {
      ClusterFile cluster = ClusterFile.read(dir);
      Credentials credentials = Credentials.of(cluster);
      List<Map<String, Object>> rows = new ArrayList<>();
      List<StatusResponse> answers = new ArrayList<>();
      for (ClusterFile.Node n : cluster.nodes()) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", n.id());
        row.put("pid", n.pid());
        row.put("alive", LocalCluster.alive(n.pid()));
        row.put("grpcAddress", n.grpcAddress());
        row.put("metricsAddress", n.metricsAddress() == null ? "" : n.metricsAddress());
        Optional<StatusResponse> status =
            LocalCluster.status(n.grpcAddress(), Duration.ofSeconds(2), credentials);
        row.put("role", status.map(s -> s.getRole().name()).orElse("DOWN"));
        row.put("term", status.map(StatusResponse::getTerm).orElse(0L));
        row.put("leaderId", status.map(StatusResponse::getLeaderId).orElse(""));
        row.put("appliedIndex", status.map(StatusResponse::getAppliedIndex).orElse(0L));
        row.put("commitIndex", status.map(StatusResponse::getCommitIndex).orElse(0L));
        rows.add(row);
        status.ifPresent(answers::add);
      }
      Optional<StatusResponse> leader = ReplicationView.leader(answers);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("nodes", rows);
      leader.ifPresent(l -> json.put("replication", ReplicationView.json(l)));
      output.table(json, rows);
      if (!output.json) {
        leader.ifPresent(l -> ReplicationView.print(l, output));
      }
      if (!answers.isEmpty()) {
        return 0;
      }
      List<String> alive = cluster.nodes().stream().filter(n -> LocalCluster.alive(n.pid()))
          .map(ClusterFile.Node::id).toList();
      if (alive.isEmpty()) {
        System.err.println("raftkv: no node of the cluster in " + dir + " is running; start "
            + "it with 'raftkv cluster start --dir " + dir + "' or a node with 'raftkv cluster "
            + "restart-node --dir " + dir + " --id ID'");
        return NOT_RUNNING;
      }
      System.err.println("raftkv: no node of the cluster in " + dir + " answers, though the "
          + "processes of " + String.join(", ", alive) + " are alive (starting, or stuck?); "
          + "their logs are in " + dir + "/*/node.log");
      return 1;
    }
  }

  @Command(name = "restart-node", mixinStandardHelpOptions = true,
      description = {"Starts a node of the cluster again (same addresses and data) if its "
          + "process is gone, and returns once the node is ready: it knows a leader and is the "
          + "leader or has caught up to within its lag bound (its /ready).",
          "Exit status 1 if it is not ready within " + READY_WAIT_SECONDS
              + " s (it keeps running)."})
  static final class RestartNode implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "The cluster's directory.")
    Path dir;

    @Option(names = "--id", required = true, description = "The node to start, e.g. n1.")
    String id;

    @Override
    public Integer call() throws IOException, InterruptedException {
      ClusterFile cluster = ClusterFile.read(dir);
      ClusterFile.Node node = cluster.node(id);
      if (LocalCluster.alive(node.pid())) {
        System.err.println("raftkv: node " + id + " is running (pid " + node.pid() + ")");
        return 1;
      }
      long started = System.nanoTime();
      long pid = LocalCluster.launch(node.command(), Path.of(node.logFile()));
      ClusterFile.Node restarted = node.withPid(pid);
      cluster.replace(restarted).write(dir);
      LocalCluster.Readiness ready = LocalCluster.awaitReady(restarted, Credentials.of(cluster),
          Duration.ofSeconds(READY_WAIT_SECONDS));
      String seconds = String.format(Locale.ROOT, "%.1f s",
          (System.nanoTime() - started) / 1e9);
      if (!ready.ready()) {
        System.err.println("raftkv: restarted " + id + " as pid " + pid + ", but it is not "
            + "ready after " + seconds + ": " + ready.reason());
        return 1;
      }
      System.out.println("restarted " + id + " as pid " + pid + "; ready after " + seconds);
      return 0;
    }
  }

}
