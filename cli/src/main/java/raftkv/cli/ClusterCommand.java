package raftkv.cli;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/** {@code raftkv cluster start|stop|status|restart-node}: a local cluster of node processes. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "Runs a local cluster: one separate process per node, on free loopback ports.",
    subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class,
        ClusterCommand.Status.class, ClusterCommand.RestartNode.class})
final class ClusterCommand {
  static final Duration LEADER_WAIT = Duration.ofSeconds(60);

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

    @Option(names = "--heap", defaultValue = "256m", description = "Each node's -Xmx (default ${DEFAULT-VALUE}).")
    String heap;

    @Option(names = "--snapshot-interval-s", defaultValue = "3600",
        description = "Seconds between snapshots on every node (default ${DEFAULT-VALUE}).")
    int snapshotIntervalSecs;

    @Override
    public Integer call() throws IOException, InterruptedException {
      if (voters < 1 || learners < 0) {
        System.err.println("--voters must be >= 1 and --learners >= 0");
        return 2;
      }
      Files.createDirectories(dir);
      if (Files.exists(dir.resolve(ClusterFile.NAME))
          && ClusterFile.read(dir).nodes().stream().anyMatch(n -> alive(n.pid()))) {
        System.err.println("a cluster is already running in " + dir
            + "; stop it first with 'raftkv cluster stop --dir " + dir + "'");
        return 1;
      }
      List<String[]> members = new ArrayList<>();
      StringBuilder peers = new StringBuilder();
      for (int i = 1; i <= voters + learners; i++) {
        boolean learner = i > voters;
        String id = (learner ? "l" + (i - voters) : "n" + i);
        String raft = "127.0.0.1:" + freePort();
        String grpc = "127.0.0.1:" + freePort();
        members.add(new String[] {id, raft, grpc, learner ? "LEARNER" : "VOTER"});
        peers.append(peers.length() == 0 ? "" : ",").append(id).append('=').append(raft)
            .append('/').append(grpc).append(learner ? "/learner" : "");
      }
      // A fresh name per cluster: tokens of an older cluster in the same directory are refused.
      String clusterName = "local-" + java.util.UUID.randomUUID();
      List<ClusterFile.Node> nodes = new ArrayList<>();
      for (String[] m : members) {
        Path dataDir = dir.resolve(m[0]).toAbsolutePath();
        Files.createDirectories(dataDir);
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx" + heap,
            "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
            Raftkv.class.getName(), "server", "--id", m[0], "--peers", peers.toString(),
            "--data-dir", dataDir.toString(), "--snapshot-interval-s",
            Integer.toString(snapshotIntervalSecs), "--cluster-name", clusterName));
        Path log = dataDir.resolve("node.log");
        long pid = launch(command, log);
        nodes.add(new ClusterFile.Node(m[0], m[3], m[1], m[2], pid, dataDir.toString(),
            log.toString(), command));
      }
      ClusterFile cluster = new ClusterFile(nodes);
      cluster.write(dir);
      Optional<StatusResponse> leader = awaitLeader(cluster, LEADER_WAIT);
      if (leader.isEmpty()) {
        System.err.println("no leader within " + LEADER_WAIT.toSeconds() + " s; node logs are in "
            + dir + "/*/node.log. Stopping the nodes.");
        stopAll(cluster);
        return 1;
      }
      System.out.printf("cluster of %d voters and %d learners running in %s; leader %s%n",
          voters, learners, dir, leader.get().getNodeId());
      for (ClusterFile.Node n : nodes) {
        System.out.printf("  %-4s %-8s grpc %-21s raft %-21s pid %d%n", n.id(), n.role(),
            n.grpcAddress(), n.raftAddress(), n.pid());
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
      stopAll(cluster);
      System.out.println("stopped " + cluster.nodes().size() + " nodes in " + dir);
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Shows each node's process and Raft state.")
  static final class Status implements Callable<Integer> {
    @Option(names = "--dir", required = true) Path dir;
    @Mixin Output output;

    @Override
    public Integer call() {
      ClusterFile cluster = ClusterFile.read(dir);
      List<Map<String, Object>> rows = new ArrayList<>();
      for (ClusterFile.Node n : cluster.nodes()) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", n.id());
        row.put("pid", n.pid());
        row.put("alive", alive(n.pid()));
        row.put("grpcAddress", n.grpcAddress());
        Optional<StatusResponse> status = status(n.grpcAddress(), Duration.ofSeconds(2));
        row.put("role", status.map(s -> s.getRole().name()).orElse("DOWN"));
        row.put("term", status.map(StatusResponse::getTerm).orElse(0L));
        row.put("leaderId", status.map(StatusResponse::getLeaderId).orElse(""));
        row.put("appliedIndex", status.map(StatusResponse::getAppliedIndex).orElse(0L));
        row.put("commitIndex", status.map(StatusResponse::getCommitIndex).orElse(0L));
        rows.add(row);
      }
      output.table(Map.of("nodes", rows), rows);
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
      if (alive(node.pid())) {
        System.err.println("node " + id + " is running (pid " + node.pid() + ")");
        return 1;
      }
      long pid = launch(node.command(), Path.of(node.logFile()));
      cluster.replace(node.withPid(pid)).write(dir);
      System.out.println("restarted " + id + " as pid " + pid);
      return 0;
    }
  }

  static long launch(List<String> command, Path log) throws IOException {
    Process process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    return process.pid();
  }

  static void stopAll(ClusterFile cluster) {
    List<ProcessHandle> handles = new ArrayList<>();
    for (ClusterFile.Node n : cluster.nodes()) {
      ProcessHandle.of(n.pid()).filter(ProcessHandle::isAlive).ifPresent(h -> {
        h.destroy();
        handles.add(h);
      });
    }
    for (ProcessHandle h : handles) {
      try {
        h.onExit().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Polls every node until one reports itself leader, or the wait runs out. */
  static Optional<StatusResponse> awaitLeader(ClusterFile cluster, Duration wait)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      for (String address : cluster.grpcAddresses()) {
        Optional<StatusResponse> status = status(address, Duration.ofMillis(500));
        if (status.isPresent() && status.get().getRole() == Role.LEADER) {
          return status;
        }
      }
      Thread.sleep(100);
    }
    return Optional.empty();
  }

  static Optional<StatusResponse> status(String address, Duration timeout) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      return Optional.of(AdminGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .status(StatusRequest.getDefaultInstance()));
    } catch (RuntimeException unreachable) {
      return Optional.empty();
    } finally {
      channel.shutdownNow();
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
