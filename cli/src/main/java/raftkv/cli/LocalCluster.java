package raftkv.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import raftkv.client.KvClient;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;

/**
 * A local cluster of node processes on loopback ports, described by {@code DIR/cluster.json}:
 * launching, stopping and asking nodes for their status. Used by {@code raftkv cluster} and
 * {@code raftkv demo}. Stateless; every method is thread-safe.
 */
final class LocalCluster {
  static final Duration LEADER_WAIT = Duration.ofSeconds(60);

  /** Each node's -Xmx unless {@code cluster start --heap} says otherwise. */
  static final String DEFAULT_HEAP = "256m";

  /** Seconds between snapshots unless {@code cluster start --snapshot-interval-s} says otherwise. */
  static final String DEFAULT_SNAPSHOT_INTERVAL_S = "3600";

  /**
   * JVM options of every node by default: a local cluster runs several node JVMs on a few
   * shared cores, where the optimising JIT compiler's CPU and the default heap, GC and Netty
   * arenas' memory cost more than they give. Measured on 2 cores with 3 voters + 2 learners:
   * node RSS under load from 240-410 MB to 170-250 MB, and 1-in-flight writes 70/s to 137/s.
   * C2 measured again after the efficiency work (docs/performance.md): reads gain after a
   * minute of load, but for that minute its compiler threads cost writes a quarter of their
   * throughput and idle CPU doubles, and each node holds ~50 MB more; C1 stays the local
   * default. Not meant for a node with a machine of its own (there the JVM's default, C2).
   */
  static final String DEFAULT_JVM_OPTIONS = "-XX:+UseSerialGC -Xms32m -XX:TieredStopAtLevel=1 "
      + "-XX:ReservedCodeCacheSize=48m -Dio.netty.allocator.maxOrder=9 "
      + "-Dio.grpc.netty.shaded.io.netty.allocator.maxOrder=9";

  private LocalCluster() {}

  /** What {@link #start} launched, and the first leader it saw. */
  record Started(ClusterFile cluster, StatusResponse leader) {}

  /**
   * Launches {@code voters + learners} node JVMs with data under {@code dir}, writes
   * {@code dir/cluster.json}, and returns once one reports itself leader. With {@code secure}
   * the nodes serve TLS and require a token or the admin certificate ({@link
   * LocalClusterSecurity}); otherwise they are plaintext with authentication off.
   *
   * @throws IllegalStateException if no leader is elected within {@link #LEADER_WAIT}; the
   *     nodes are stopped first
   */
  static Started start(Path dir, int voters, int learners, String heap, int snapshotIntervalSecs,
      List<String> jvmOptions, boolean secure) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    List<String[]> members = new ArrayList<>();
    StringBuilder peers = new StringBuilder();
    for (int i = 1; i <= voters + learners; i++) {
      boolean learner = i > voters;
      String id = (learner ? "l" + (i - voters) : "n" + i);
      String raft = "127.0.0.1:" + freePort();
      String grpc = "127.0.0.1:" + freePort();
      String metrics = "127.0.0.1:" + freePort();
      members.add(new String[] {id, raft, grpc, learner ? "LEARNER" : "VOTER", metrics});
      peers.append(peers.length() == 0 ? "" : ",").append(id).append('=').append(raft)
          .append('/').append(grpc).append(learner ? "/learner" : "");
    }
    // A fresh name per cluster: tokens of an older cluster in the same directory are refused.
    String clusterName = "local-" + java.util.UUID.randomUUID();
    LocalClusterSecurity security = secure
        ? LocalClusterSecurity.create(dir, members.stream().map(m -> m[0]).toList()) : null;
    List<ClusterFile.Node> nodes = new ArrayList<>();
    for (String[] m : members) {
      Path dataDir = dir.resolve(m[0]).toAbsolutePath();
      Files.createDirectories(dataDir);
      List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx" + heap));
      command.addAll(jvmOptions);
      command.add("-XX:+ExitOnOutOfMemoryError");
      command.addAll(inheritedJvmOptions());
      command.addAll(List.of(Raftkv.class.getName(), "server", "--id", m[0], "--peers", peers.toString(),
          "--data-dir", dataDir.toString(), "--snapshot-interval-s",
          Integer.toString(snapshotIntervalSecs), "--cluster-name", clusterName,
          "--metrics-listen", m[4]));
      command.addAll(secure ? security.serverOptions(m[0]) : List.of("--auth", "none"));
      Path log = dataDir.resolve("node.log");
      long pid = launch(command, log);
      nodes.add(new ClusterFile.Node(m[0], m[3], m[1], m[2], pid, dataDir.toString(),
          log.toString(), command, m[4]));
    }
    ClusterFile cluster = secure ? security.describe(nodes) : ClusterFile.plaintext(nodes);
    cluster.write(dir);
    Optional<StatusResponse> leader = awaitLeader(cluster, LEADER_WAIT);
    if (leader.isEmpty()) {
      stopAll(cluster);
      throw new IllegalStateException("no leader within " + LEADER_WAIT.toSeconds()
          + " s; node logs are in " + dir + "/*/node.log. The nodes were stopped.");
    }
    return new Started(cluster, leader.get());
  }

  /** Space-separated JVM options as a list (an empty string gives none). */
  static List<String> jvmOptions(String spaceSeparated) {
    return java.util.Arrays.stream(spaceSeparated.trim().split("\\s+"))
        .filter(o -> !o.isEmpty()).toList();
  }

  static long launch(List<String> command, Path log) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command);
    // glibc's per-thread malloc arenas multiply RocksDB's and Netty's native memory.
    builder.environment().putIfAbsent("MALLOC_ARENA_MAX", "2");
    Process process = builder
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    return process.pid();
  }

  /**
   * Stops every node: SIGTERM, then SIGKILL after 15 s. The leader goes last. A leader that
   * gets SIGTERM hands leadership to a voter first; stopped all at once, it picked a voter that
   * was itself stopping, waited for it to take over until the transfer gave up (3 s), and
   * logged "stopping as leader without handing over: ABORTED". Stopped last, it finds no
   * voter to hand over to, says so in one line and stops at once. (Stopping the leader first
   * only moves the problem: its successor would then be stopped together with the rest.)
   *
   * @return the ids of the nodes whose process was running, in the order they were stopped
   */
  static List<String> stopAll(ClusterFile cluster) {
    Optional<String> leader = currentLeader(cluster);
    List<String> stopped = new ArrayList<>();
    stopped.addAll(stop(cluster.nodes().stream()
        .filter(n -> leader.map(l -> !l.equals(n.id())).orElse(true)).toList()));
    stopped.addAll(stop(cluster.nodes().stream()
        .filter(n -> leader.map(l -> l.equals(n.id())).orElse(false)).toList()));
    return stopped;
  }

  /**
   * SIGTERM to each live node process, then waits for each (SIGKILL after 15 s); returns the
   * ids of those that were running.
   */
  private static List<String> stop(List<ClusterFile.Node> nodes) {
    List<ProcessHandle> handles = new ArrayList<>();
    List<String> stopped = new ArrayList<>();
    for (ClusterFile.Node n : nodes) {
      ProcessHandle.of(n.pid()).filter(ProcessHandle::isAlive).ifPresent(h -> {
        h.destroy();
        handles.add(h);
        stopped.add(n.id());
      });
    }
    for (ProcessHandle h : handles) {
      try {
        h.onExit().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
    return stopped;
  }

  /**
   * The id of the leader as the first live node that answers sees it (itself, or the leader
   * it follows); empty when none answers or none knows a leader.
   */
  private static Optional<String> currentLeader(ClusterFile cluster) {
    Credentials credentials = Credentials.of(cluster);
    for (ClusterFile.Node n : cluster.nodes()) {
      if (!alive(n.pid())) {
        continue;
      }
      Optional<StatusResponse> status = status(n.grpcAddress(), Duration.ofSeconds(1), credentials);
      if (status.isPresent() && status.get().getRole() == Role.LEADER) {
        return Optional.of(status.get().getNodeId());
      }
      if (status.isPresent() && !status.get().getLeaderId().isEmpty()) {
        return Optional.of(status.get().getLeaderId());
      }
    }
    return Optional.empty();
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Polls every node until one reports itself leader, or the wait runs out. */
  static Optional<StatusResponse> awaitLeader(ClusterFile cluster, Duration wait)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    Credentials credentials = Credentials.of(cluster);
    while (System.nanoTime() < deadline) {
      for (String address : cluster.grpcAddresses()) {
        Optional<StatusResponse> status = status(address, Duration.ofMillis(500), credentials);
        if (status.isPresent() && status.get().getRole() == Role.LEADER) {
          return status;
        }
      }
      Thread.sleep(100);
    }
    return Optional.empty();
  }

  /** Whether a node is ready, and the node's (or this tool's) reason. */
  record Readiness(boolean ready, String reason) {}

  /**
   * Polls the node until it is ready, its process exits, or {@code wait} runs out. Ready is
   * what the node's {@code GET /ready} says (a leader known, and this node the leader or
   * within its lag bound); a node without a metrics address (a cluster.json written before
   * nodes had one) is ready once its Status names a leader.
   */
  static Readiness awaitReady(ClusterFile.Node node, Credentials credentials, Duration wait)
      throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    Readiness last = new Readiness(false, "not answering yet");
    while (System.nanoTime() < deadline) {
      if (!alive(node.pid())) {
        return new Readiness(false, "its process exited; see " + node.logFile());
      }
      last = node.metricsAddress() == null ? readyByStatus(node, credentials)
          : readyByProbe(http, node.metricsAddress());
      if (last.ready()) {
        return last;
      }
      Thread.sleep(200);
    }
    return last;
  }

  private static Readiness readyByProbe(HttpClient http, String metricsAddress)
      throws InterruptedException {
    try {
      HttpResponse<String> response = http.send(HttpRequest
              .newBuilder(URI.create("http://" + metricsAddress + "/ready"))
              .timeout(Duration.ofSeconds(1)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new Readiness(response.statusCode() == 200, response.body().strip());
    } catch (IOException notYetListening) {
      return new Readiness(false, "not answering yet");
    }
  }

  private static Readiness readyByStatus(ClusterFile.Node node, Credentials credentials) {
    Optional<StatusResponse> status = status(node.grpcAddress(), Duration.ofSeconds(1), credentials);
    if (status.isEmpty()) {
      return new Readiness(false, "not answering yet");
    }
    boolean ready = status.get().getRole() == Role.LEADER
        || !status.get().getLeaderId().isEmpty();
    return new Readiness(ready, status.get().getRole() + ", leader '"
        + status.get().getLeaderId() + "'");
  }

  /** {@link #status(String, Duration, Credentials)} over plaintext without a token. */
  static Optional<StatusResponse> status(String address, Duration timeout) {
    return status(address, timeout, Credentials.NONE);
  }

  /**
   * The node's status, or empty if it cannot be reached or refuses the call. Asked through a
   * client built with {@code credentials}, so TLS and the token work as for every verb.
   */
  static Optional<StatusResponse> status(String address, Duration timeout,
      Credentials credentials) {
    try (KvClient client = credentials.applyTo(KvClient.builder().endpoints(List.of(address))
        .defaultDeadline(timeout)).build()) {
      return Optional.of(client.admin().blockingStatus(address, timeout));
    } catch (RuntimeException unreachable) {
      return Optional.empty();
    }
  }

  static int freePort() {
    return raftkv.chaos.FreePorts.next();
  }

  /**
   * What a node process takes from this JVM: its class path, and its library path, where
   * bin/raftkv (and the build, for tests) put the RocksDB JNI library unpacked once. Without
   * it every node copies the library into the temporary directory, and a SIGKILLed node
   * leaves its 13.6 MB copy there.
   */
  static List<String> inheritedJvmOptions() {
    List<String> options = new ArrayList<>(List.of("-cp", System.getProperty("java.class.path")));
    String libraryPath = System.getProperty("java.library.path");
    if (libraryPath != null && !libraryPath.isEmpty()) {
      options.add("-Djava.library.path=" + libraryPath);
    }
    return options;
  }

  static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
