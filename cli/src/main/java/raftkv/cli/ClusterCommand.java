package raftkv.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.v1.StatusResponse;

/** {@code raftkv cluster start|stop|status|restart-node}: a local cluster of node processes. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "Runs a local cluster: one separate process per node, on free loopback ports.",
    subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class,
        ClusterCommand.Status.class, ClusterCommand.RestartNode.class})
final class ClusterCommand {
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
      System.out.printf("cluster of %d voters and %d learners running in %s; leader %s%n",
          voters, learners, dir, started.leader().getNodeId());
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
      description = "Stops every node of the cluster in DIR (SIGTERM, then SIGKILL after 15 s).")
  static final class Stop implements Callable<Integer> {
    @Option(names = "--dir", required = true) Path dir;

    @Override
    public Integer call() {
      ClusterFile cluster = ClusterFile.read(dir);
      LocalCluster.stopAll(cluster);
      System.out.println("stopped " + cluster.nodes().size() + " nodes in " + dir);
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows each node's process and Raft state, then the leader's view of "
          + "replication to each other member.")
  static final class Status implements Callable<Integer> {
    @Option(names = "--dir", required = true) Path dir;
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
      return 0;
    }
  }

  @Command(name = "restart-node", mixinStandardHelpOptions = true,
      description = "Starts a node of the cluster again (same addresses and data) if its process is gone.")
  static final class RestartNode implements Callable<Integer> {
    @Option(names = "--dir", required = true) Path dir;
    @Option(names = "--id", required = true) String id;

    @Override
    public Integer call() throws IOException {
      ClusterFile cluster = ClusterFile.read(dir);
      ClusterFile.Node node = cluster.node(id);
      if (LocalCluster.alive(node.pid())) {
        System.err.println("node " + id + " is running (pid " + node.pid() + ")");
        return 1;
      }
      long pid = LocalCluster.launch(node.command(), Path.of(node.logFile()));
      cluster.replace(node.withPid(pid)).write(dir);
      System.out.println("restarted " + id + " as pid " + pid);
      return 0;
    }
  }

}
