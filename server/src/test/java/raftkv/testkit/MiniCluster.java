package raftkv.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.rocksdb.RocksDBException;
import raftkv.core.IndexedRead;
import raftkv.server.PeerSpec;
import raftkv.server.RaftkvServer;
import raftkv.server.ServerConfig;

/**
 * N raftkv nodes in one JVM on free loopback ports, each with its own data directory under
 * a test's temporary directory, with stop / restart / wait-for-leader helpers. Every wait
 * has a deadline. Stopping a node here is a shutdown of its Raft node and gRPC server: the
 * data directory stays, as after a crash; real SIGKILL is covered by process-level tests.
 *
 * <p>Not thread-safe: drive it from the test thread. {@link #close} stops every node.
 */
public final class MiniCluster implements AutoCloseable {
  public static final Duration LEADER_TIMEOUT = Duration.ofSeconds(30);
  private static final String LOOPBACK = "127.0.0.1";
  private static final java.util.Set<Integer> HANDED_OUT =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Map<String, ServerConfig> configs = new LinkedHashMap<>();
  private final Map<String, RaftkvServer> running = new LinkedHashMap<>();

  private MiniCluster() {}

  /** Starts {@code voters} voters with default settings. */
  public static MiniCluster start(int voters, Path baseDir) {
    return start(voters, 0, baseDir, UnaryOperator.identity());
  }

  /**
   * Starts {@code voters} voters; {@code customize} adjusts each node's configuration (for
   * example a short snapshot interval).
   */
  public static MiniCluster start(int voters, Path baseDir, UnaryOperator<ServerConfig> customize) {
    return start(voters, 0, baseDir, customize);
  }

  /**
   * Starts {@code voters} voters (ids n1..) and {@code learners} learners (ids l1..), all in
   * the initial configuration.
   */
  public static MiniCluster start(int voters, int learners, Path baseDir,
      UnaryOperator<ServerConfig> customize) {
    return start(voters, learners, baseDir, LOOPBACK, customize);
  }

  /**
   * As {@link #start(int, int, Path, UnaryOperator)}, with every node's Raft identity on
   * {@code raftHost} (a free port each; gRPC stays on 127.0.0.1). A name such as "localhost"
   * exercises host-name identities; with {@link ServerConfig#withRaftListenAddress} in
   * {@code customize}, a test can put a forwarder on each identity. {@code customize} runs
   * just before its node starts, in id order.
   */
  public static MiniCluster start(int voters, int learners, Path baseDir, String raftHost,
      UnaryOperator<ServerConfig> customize) {
    MiniCluster cluster = new MiniCluster();
    List<PeerSpec> peers = new ArrayList<>();
    for (int i = 1; i <= voters; i++) {
      peers.add(new PeerSpec("n" + i, raftHost + ":" + freePort(), LOOPBACK + ":" + freePort(),
          false));
    }
    for (int i = 1; i <= learners; i++) {
      peers.add(new PeerSpec("l" + i, raftHost + ":" + freePort(), LOOPBACK + ":" + freePort(),
          true));
    }
    try {
      for (PeerSpec peer : peers) {
        ServerConfig config = customize.apply(
            ServerConfig.of(peer.id(), peers, baseDir.resolve(peer.id())));
        cluster.configs.put(peer.id(), config);
        cluster.running.put(peer.id(), RaftkvServer.start(config));
      }
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  /**
   * A port free now and never handed out before in this JVM: the kernel may offer a port it
   * just released again, and two nodes of one cluster given the same port fail validation.
   */
  public static int freePort() {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0)) {
        socket.setReuseAddress(true);
        if (HANDED_OUT.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  public List<String> ids() {
    return List.copyOf(configs.keySet());
  }

  /** gRPC addresses of every node, running or not, as "h:p,h:p". */
  public String endpoints() {
    return String.join(",", configs.values().stream().map(c -> c.self().grpcAddress()).toList());
  }

  public String grpcAddress(String id) {
    return configs.get(id).self().grpcAddress();
  }

  public RaftkvServer node(String id) {
    return Objects.requireNonNull(running.get(id), () -> "node " + id + " is not running");
  }

  public boolean isRunning(String id) {
    return running.containsKey(id);
  }

  /** Waits until exactly one running node is leader and returns its id. */
  public String awaitLeader() {
    String[] leader = new String[1];
    await("a single leader among " + running.keySet()).atMost(LEADER_TIMEOUT)
        .pollInterval(Duration.ofMillis(50)).until(() -> {
          List<String> leaders = running.entrySet().stream()
              .filter(e -> e.getValue().node().isLeader()).map(Map.Entry::getKey).toList();
          leader[0] = leaders.size() == 1 ? leaders.get(0) : null;
          return leader[0] != null;
        });
    return leader[0];
  }

  /** Running voters other than the current leader. */
  public List<String> followers() {
    String leader = awaitLeader();
    return running.keySet().stream()
        .filter(id -> !id.equals(leader) && !configs.get(id).self().learner()).toList();
  }

  /** Running learners. */
  public List<String> learners() {
    return running.keySet().stream().filter(id -> configs.get(id).self().learner()).toList();
  }

  /**
   * Starts a learner that is not in the configuration yet (as an operator would before
   * {@code admin add-learner}): its initial configuration is the current voters plus itself.
   */
  public PeerSpec startNewLearner(String id, Path baseDir) {
    return startNewNode(id, baseDir, true);
  }

  /**
   * Starts a voter that is not in the configuration yet (as an operator would before
   * {@code admin add-voter}): its initial configuration is the current voters plus itself.
   * Until the leader adds it, its pre-votes fail (the others hear from the leader), so it
   * cannot disturb the group.
   */
  public PeerSpec startNewVoter(String id, Path baseDir) {
    return startNewNode(id, baseDir, false);
  }

  private PeerSpec startNewNode(String id, Path baseDir, boolean learner) {
    PeerSpec spec = new PeerSpec(id, "127.0.0.1:" + freePort(), "127.0.0.1:" + freePort(), learner);
    List<PeerSpec> peers = new ArrayList<>(configs.values().stream()
        .map(ServerConfig::self).filter(p -> !p.learner()).toList());
    peers.add(spec);
    ServerConfig any = configs.values().iterator().next();
    ServerConfig config = new ServerConfig(id, peers, baseDir.resolve(id), any.electionTimeoutMs(),
        any.heartbeatFactor(), any.snapshotIntervalSecs(), any.limits(), any.store(),
        any.clusterName()).withTls(any.tls()).withAuth(any.auth());
    configs.put(id, config);
    running.put(id, RaftkvServer.start(config));
    return spec;
  }

  /** Stops a node; its data directory is kept for {@link #restart}. */
  public void stop(String id) {
    RaftkvServer server = running.remove(id);
    if (server != null) {
      server.close();
    }
  }

  /** Starts a stopped node again on the same addresses and data directory. */
  public void restart(String id) {
    if (running.containsKey(id)) {
      throw new IllegalStateException("node " + id + " is running");
    }
    running.put(id, RaftkvServer.start(configs.get(id)));
  }

  /** The node's state digest and the index it is at. */
  public IndexedRead<String> stateHash(String id) {
    try {
      return node(id).node().store().stateHash();
    } catch (RocksDBException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Waits until every running node holds the same state at the same applied index. */
  public void awaitConverged() {
    await("every running node at the same applied index with the same state hash")
        .atMost(LEADER_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> {
          List<IndexedRead<String>> hashes =
              running.keySet().stream().map(this::stateHash).toList();
          return hashes.stream().distinct().count() == 1;
        });
  }

  @Override
  public void close() {
    for (String id : List.copyOf(running.keySet())) {
      try {
        stop(id);
      } catch (RuntimeException e) {
        // keep stopping the others
      }
    }
  }
}
