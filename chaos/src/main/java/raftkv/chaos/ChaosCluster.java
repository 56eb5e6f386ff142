package raftkv.chaos;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.KvClient;
import raftkv.faultproxy.Network;
import raftkv.v1.AddLearnerRequest;
import raftkv.v1.AdminGrpc;
import raftkv.v1.DigestRequest;
import raftkv.v1.DigestResponse;
import raftkv.v1.StatusRequest;
import raftkv.v1.Member;
import raftkv.v1.RemoveLearnerRequest;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;

/**
 * A cluster of node processes on one machine whose Raft traffic runs through one TCP proxy per
 * directed link, so that any link can be cut, delayed or made lossy.
 *
 * <p>How a link is routed: every node's Raft identity is a host name ({@code n2:4102}). Each
 * node JVM resolves host names through its own hosts file ({@code -Djdk.net.hosts.file}),
 * which maps every other node to the loopback address private to the resolving node
 * (127.0.0.(10+ordinal)). The proxy for link A→B listens on A's private address at B's
 * identity port and forwards to the port B's Raft transport really binds. So A reaches B only
 * through link A→B, and B's answers come back on the same connection.
 *
 * <p>One spare learner ({@code m1}) is reserved from the start (hosts entries and links) so
 * that membership changes need no change to the running nodes' name resolution.
 *
 * <p>Thread-safety: the node list is fixed at creation; process control on a node is
 * synchronized on that node; the network is thread-safe. {@link #close} stops everything.
 */
final class ChaosCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosCluster.class);
  static final String SPARE_LEARNER = "m1";
  /**
   * How long five node JVMs get to start and elect a leader. Generous because it only ends a
   * failed start: on a 2-core machine at load average 18 the first leader took 61 s.
   */
  static final Duration START_WAIT = Duration.ofSeconds(120);

  private final Path dir;
  private final NodeLauncher launcher;
  private final ChaosOptions options;
  private final String clusterName = "chaos-" + UUID.randomUUID();
  private final Map<String, ChaosNode> nodes = new LinkedHashMap<>();
  private final Network network;
  private final KvClient admin;

  private ChaosCluster(Path dir, NodeLauncher launcher, ChaosOptions options, Random random)
      throws IOException {
    this.dir = dir;
    this.launcher = launcher;
    this.options = options;
    int ordinal = 0;
    for (int i = 1; i <= options.voters(); i++) {
      add(new ChaosNode("n" + i, false, ++ordinal, freePort(), freePort(),
          "127.0.0.1:" + freePort(), dir.resolve("n" + i), dir.resolve("n" + i + ".log")));
    }
    for (int i = 1; i <= options.learners(); i++) {
      add(new ChaosNode("l" + i, true, ++ordinal, freePort(), freePort(),
          "127.0.0.1:" + freePort(), dir.resolve("l" + i), dir.resolve("l" + i + ".log")));
    }
    add(new ChaosNode(SPARE_LEARNER, true, ++ordinal, freePort(), freePort(),
        "127.0.0.1:" + freePort(), dir.resolve(SPARE_LEARNER),
        dir.resolve(SPARE_LEARNER + ".log")));
    network = Network.create(random);
    for (ChaosNode from : nodes.values()) {
      for (ChaosNode to : nodes.values()) {
        if (from != to) {
          network.addLink(from.id, to.id,
              new InetSocketAddress(from.privateLoopback(), to.identityPort),
              new InetSocketAddress("127.0.0.1", to.listenPort));
        }
      }
    }
    // Not the spare: a channel to a node that is down backs off its reconnects for up to
    // minutes, and the spare is down most of the time. It is asked over fresh channels.
    admin = KvClient.builder().endpoints(initialMembers().stream().map(n -> n.grpcAddress).toList())
        .defaultDeadline(Duration.ofSeconds(2)).build();
  }

  private void add(ChaosNode node) throws IOException {
    nodes.put(node.id, node);
    Files.createDirectories(node.dataDir);
  }

  /**
   * Creates the cluster under {@code dir} and starts its voters and learners (not the spare),
   * returning once a leader is elected.
   *
   * @throws IllegalStateException if no leader is elected within {@link #START_WAIT}
   *     (everything is stopped)
   */
  static ChaosCluster start(Path dir, NodeLauncher launcher, ChaosOptions options, Random random)
      throws IOException, InterruptedException {
    ChaosCluster cluster = new ChaosCluster(dir, launcher, options, random);
    try {
      for (ChaosNode node : cluster.initialMembers()) {
        cluster.launch(node, cluster.initialMembers());
      }
      if (cluster.awaitLeader(START_WAIT).isEmpty()) {
        throw new IllegalStateException("no leader within " + START_WAIT.toSeconds()
            + " s; node logs are in " + dir);
      }
      return cluster;
    } catch (RuntimeException | IOException | InterruptedException e) {
      cluster.close();
      throw e;
    }
  }

  /** The voters and learners the cluster started with (not the spare learner). */
  List<ChaosNode> initialMembers() {
    return nodes.values().stream().filter(n -> !n.id.equals(SPARE_LEARNER)).toList();
  }

  List<ChaosNode> all() {
    return List.copyOf(nodes.values());
  }

  ChaosNode node(String id) {
    ChaosNode node = nodes.get(id);
    if (node == null) {
      throw new IllegalArgumentException("no node " + id);
    }
    return node;
  }

  ChaosNode spare() {
    return node(SPARE_LEARNER);
  }

  Network network() {
    return network;
  }

  KvClient admin() {
    return admin;
  }

  String clusterName() {
    return clusterName;
  }

  private void launch(ChaosNode node, List<ChaosNode> peers) throws IOException {
    Path hosts = node.dataDir.resolve("hosts");
    Files.writeString(hosts, hostsFile(node));
    List<String> command = new ArrayList<>();
    command.add(launcher.java());
    command.addAll(launcher.jvmOptions());
    command.add("-Djdk.net.hosts.file=" + hosts.toAbsolutePath());
    if (!options.broken().isEmpty()) {
      command.add("-Draftkv.broken=" + String.join(",", options.broken()));
    }
    command.addAll(launcher.mainAndCommand());
    command.addAll(List.of("--id", node.id,
        "--peers", peers.stream().map(ChaosNode::peerSpec).collect(Collectors.joining(",")),
        "--raft-listen", "127.0.0.1:" + node.listenPort,
        "--data-dir", node.dataDir.toAbsolutePath().toString(),
        "--cluster-name", clusterName,
        "--election-timeout-ms", Integer.toString(options.electionTimeoutMs()),
        "--snapshot-interval-s", Integer.toString(options.snapshotIntervalSecs()),
        // The chaos run's clients and probes speak plaintext without credentials.
        "--auth", "none"));
    node.start(command);
  }

  /** Every other node's name resolves to this node's private loopback address. */
  private String hostsFile(ChaosNode self) {
    StringBuilder b = new StringBuilder("127.0.0.1 localhost\n127.0.0.1 ").append(self.id)
        .append('\n');
    for (ChaosNode other : nodes.values()) {
      if (other != self) {
        b.append(self.privateLoopback()).append(' ').append(other.id).append('\n');
      }
    }
    return b.toString();
  }

  /** The status of one node, or empty when it does not answer within 1 s. */
  Optional<StatusResponse> status(ChaosNode node) {
    if (!node.isRunning() || node.isPaused()) {
      return Optional.empty();
    }
    if (node.id.equals(SPARE_LEARNER)) {
      return onFreshChannel(node, stub -> stub.status(StatusRequest.getDefaultInstance()));
    }
    try {
      return Optional.of(admin.admin().status(node.grpcAddress, Duration.ofSeconds(1))
          .get(2, TimeUnit.SECONDS));
    } catch (Exception unreachable) {
      return Optional.empty();
    }
  }

  /**
   * The node's state digest, over a channel of its own: a node that was down has a reconnect
   * backoff on a long-lived channel, which would delay the end-of-run comparison.
   */
  Optional<DigestResponse> digest(ChaosNode node) {
    return onFreshChannel(node, stub -> stub.digest(DigestRequest.getDefaultInstance()));
  }

  private static <T> Optional<T> onFreshChannel(ChaosNode node,
      java.util.function.Function<AdminGrpc.AdminBlockingStub, T> call) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(node.grpcAddress).usePlaintext()
        .build();
    try {
      return Optional.of(call.apply(AdminGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS)));
    } catch (RuntimeException unreachable) {
      return Optional.empty();
    } finally {
      channel.shutdownNow();
    }
  }

  /** The node reporting itself leader with the highest term, if any answers. */
  Optional<ChaosNode> leader() {
    ChaosNode best = null;
    long bestTerm = -1;
    for (ChaosNode node : nodes.values()) {
      Optional<StatusResponse> status = status(node);
      if (status.isPresent() && status.get().getRole() == Role.LEADER
          && status.get().getTerm() > bestTerm) {
        best = node;
        bestTerm = status.get().getTerm();
      }
    }
    return Optional.ofNullable(best);
  }

  Optional<ChaosNode> awaitLeader(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<ChaosNode> leader = leader();
      if (leader.isPresent()) {
        return leader;
      }
      Thread.sleep(100); // polling a process we do not control; no condition to wait on
    }
    return Optional.empty();
  }

  /** Running voters other than {@code leader}. */
  List<ChaosNode> followers(ChaosNode leader) {
    return initialMembers().stream().filter(n -> !n.learner && n != leader).toList();
  }

  List<ChaosNode> learners() {
    return initialMembers().stream().filter(n -> n.learner).toList();
  }

  /** Starts the spare learner on an empty data directory and adds it through the leader. */
  void addSpareLearner() throws IOException, InterruptedException {
    ChaosNode spare = spare();
    List<ChaosNode> peers = new ArrayList<>(initialMembers().stream().filter(n -> !n.learner)
        .toList());
    peers.add(spare);
    launch(spare, peers);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (status(spare).isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("spare learner " + spare.id + " did not start within 60 s;"
            + " see " + spare.log());
      }
      Thread.sleep(200); // another process starting up
    }
    Member member = Member.newBuilder().setId(spare.id).setRaftAddress(spare.raftIdentity())
        .setGrpcAddress(spare.grpcAddress).build();
    onLeader(stub -> stub.addLearner(AddLearnerRequest.newBuilder().setLearner(member).build()));
  }

  /** Removes the spare learner through the leader, stops it and deletes its data. */
  void removeSpareLearner() throws IOException, InterruptedException {
    ChaosNode spare = spare();
    onLeader(stub -> stub.removeLearner(RemoveLearnerRequest.newBuilder().setId(spare.id).build()));
    spare.stop();
    deleteTree(spare.dataDir);
    Files.createDirectories(spare.dataDir);
  }

  private interface AdminCall {
    Object call(AdminGrpc.AdminBlockingStub stub);
  }

  /** Runs a membership call on the leader, retrying across leader changes for up to 30 s. */
  private void onLeader(AdminCall call) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      Optional<ChaosNode> leader = awaitLeader(Duration.ofSeconds(10));
      if (leader.isPresent()) {
        ManagedChannel channel = ManagedChannelBuilder.forTarget(leader.get().grpcAddress)
            .usePlaintext().build();
        try {
          call.call(AdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS));
          return;
        } catch (RuntimeException e) {
          last = e;
        } finally {
          channel.shutdownNow();
        }
      }
      Thread.sleep(200); // leader changing: try again shortly
    }
    throw new IllegalStateException("membership change failed for 30 s"
        + (last == null ? "" : ": " + last.getMessage()), last);
  }

  /**
   * Undoes every fault: resumes paused nodes, restarts stopped initial members and lets every
   * link pass. The spare learner stays as it is.
   */
  void healAll() throws IOException {
    network.heal();
    for (ChaosNode node : initialMembers()) {
      node.resume();
      if (!node.isRunning()) {
        node.restart();
      }
    }
  }

  @Override
  public void close() {
    for (ChaosNode node : nodes.values()) {
      try {
        node.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        LOG.warn("could not stop {}: {}", node.id, e.getMessage());
      }
    }
    network.close();
    admin.close();
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  static int freePort() {
    return FreePorts.next();
  }
}
