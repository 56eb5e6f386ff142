package raftkv.server;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import raftkv.core.RaftNodeOptions;
import raftkv.core.RaftTlsOptions;
import raftkv.core.StoreOptions;
import raftkv.reads.BrokenOnPurpose;

/**
 * Everything one node needs to start. Immutable; {@link #validate} names the field, the
 * value and the rule of the first problem.
 *
 * @param nodeId this node's id; must be one of {@code peers}
 * @param peers every member of the initial configuration, this node included, identical on
 *     every node (voters and learners, with both their Raft and gRPC addresses)
 * @param dataDir where the node keeps its Raft log, metadata, snapshots and store
 * @param electionTimeoutMs see {@link RaftNodeOptions#electionTimeoutMs()}
 * @param heartbeatFactor see {@link RaftNodeOptions#heartbeatFactor()}
 * @param snapshotIntervalSecs see {@link RaftNodeOptions#snapshotIntervalSecs()}
 * @param limits request limits
 * @param store RocksDB and exactly-once table settings
 * @param clusterName the cluster's name, identical on every node (like etcd's
 *     initial-cluster-token); session tokens carry a hash of it and a node refuses tokens of
 *     another cluster. Empty: derived from the initial voters (ids and Raft addresses), which
 *     learners added later share; set it explicitly if voters may change.
 * @param raftListenAddress where this node's Raft transport listens, if not on its Raft
 *     address (its identity in {@code peers}); empty: on the identity. For the chaos tool's
 *     fault proxies, which listen on the identity addresses and forward to these. See
 *     {@link RaftNodeOptions#raftListenAddress()} (Bolt binds every interface on its port).
 * @param broken read-admission bugs to switch on, for checker tests only (see
 *     {@link BrokenOnPurpose}); the server adds those named in the {@code raftkv.broken}
 *     system property. Empty in any real deployment.
 * @param tls TLS on the client API ({@link TlsConfig#OFF}: plaintext)
 * @param auth who may call the client API ({@link AuthConfig#DISABLED}: everybody)
 * @param metrics the HTTP metrics and health endpoint ({@link MetricsConfig#OFF}: none)
 * @param transport hardening of the client API's transport
 * @param raftTls TLS between nodes on the Raft transport ({@link RaftTlsOptions#OFF}: plain
 *     TCP; see {@link RaftTlsOptions})
 * @param watch how Watch streams are served ({@link WatchConfig#DEFAULTS})
 */
public record ServerConfig(String nodeId, List<PeerSpec> peers, Path dataDir,
    int electionTimeoutMs, int heartbeatFactor, int snapshotIntervalSecs, Limits limits,
    StoreOptions store, String clusterName, String raftListenAddress,
    Set<BrokenOnPurpose> broken, TlsConfig tls, AuthConfig auth, MetricsConfig metrics,
    TransportLimits transport, RaftTlsOptions raftTls, WatchConfig watch) {

  public ServerConfig {
    peers = List.copyOf(peers);
    clusterName = clusterName == null ? "" : clusterName;
    raftListenAddress = raftListenAddress == null ? "" : raftListenAddress;
    broken = broken == null ? Set.of() : Set.copyOf(broken);
    tls = tls == null ? TlsConfig.OFF : tls;
    auth = auth == null ? AuthConfig.DISABLED : auth;
    metrics = metrics == null ? MetricsConfig.OFF : metrics;
    transport = transport == null ? TransportLimits.DEFAULTS : transport;
    raftTls = raftTls == null ? RaftTlsOptions.OFF : raftTls;
    watch = watch == null ? WatchConfig.DEFAULTS : watch;
  }

  /**
   * A plaintext configuration without authentication or metrics endpoint (embedded use and
   * tests; the {@code raftkv server} command makes its user choose authentication).
   */
  public ServerConfig(String nodeId, List<PeerSpec> peers, Path dataDir, int electionTimeoutMs,
      int heartbeatFactor, int snapshotIntervalSecs, Limits limits, StoreOptions store,
      String clusterName, String raftListenAddress, Set<BrokenOnPurpose> broken) {
    this(nodeId, peers, dataDir, electionTimeoutMs, heartbeatFactor, snapshotIntervalSecs, limits,
        store, clusterName, raftListenAddress, broken, TlsConfig.OFF, AuthConfig.DISABLED,
        MetricsConfig.OFF, TransportLimits.DEFAULTS, RaftTlsOptions.OFF, WatchConfig.DEFAULTS);
  }

  /** A configuration listening on its Raft identity, with nothing broken. */
  public ServerConfig(String nodeId, List<PeerSpec> peers, Path dataDir, int electionTimeoutMs,
      int heartbeatFactor, int snapshotIntervalSecs, Limits limits, StoreOptions store,
      String clusterName) {
    this(nodeId, peers, dataDir, electionTimeoutMs, heartbeatFactor, snapshotIntervalSecs, limits,
        store, clusterName, "", Set.of());
  }

  /** A configuration whose cluster name is derived from its peers. */
  public ServerConfig(String nodeId, List<PeerSpec> peers, Path dataDir, int electionTimeoutMs,
      int heartbeatFactor, int snapshotIntervalSecs, Limits limits, StoreOptions store) {
    this(nodeId, peers, dataDir, electionTimeoutMs, heartbeatFactor, snapshotIntervalSecs, limits,
        store, "");
  }

  /** The 64-bit cluster identity carried in session tokens. */
  public long clusterId() {
    String name = clusterName.isEmpty()
        ? peers.stream().filter(p -> !p.learner()).map(p -> p.id() + "=" + p.raftAddress()).sorted()
            .collect(java.util.stream.Collectors.joining(","))
        : clusterName;
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.nio.ByteBuffer.wrap(digest).getLong();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Defaults for everything but identity and membership. */
  public static ServerConfig of(String nodeId, List<PeerSpec> peers, Path dataDir) {
    return new ServerConfig(nodeId, peers, dataDir, RaftNodeOptions.DEFAULT_ELECTION_TIMEOUT_MS,
        RaftNodeOptions.DEFAULT_HEARTBEAT_FACTOR, RaftNodeOptions.DEFAULT_SNAPSHOT_INTERVAL_SECS,
        Limits.DEFAULTS, StoreOptions.DEFAULTS);
  }

  public ServerConfig withSnapshotIntervalSecs(int secs) {
    return with(f -> f.snapshotIntervalSecs = secs);
  }

  public ServerConfig withElectionTimeoutMs(int ms) {
    return with(f -> f.electionTimeoutMs = ms);
  }

  public ServerConfig withHeartbeatFactor(int factor) {
    return with(f -> f.heartbeatFactor = factor);
  }

  public ServerConfig withLimits(Limits newLimits) {
    return with(f -> f.limits = newLimits);
  }

  /** This configuration with the Raft transport listening on {@code hostPort} ("" = identity). */
  public ServerConfig withRaftListenAddress(String hostPort) {
    return with(f -> f.raftListenAddress = hostPort);
  }

  /** This configuration with {@code switches} broken on purpose (tests only). */
  public ServerConfig withBroken(Set<BrokenOnPurpose> switches) {
    return with(f -> f.broken = switches);
  }

  public ServerConfig withTls(TlsConfig newTls) {
    return with(f -> f.tls = newTls);
  }

  public ServerConfig withAuth(AuthConfig newAuth) {
    return with(f -> f.auth = newAuth);
  }

  public ServerConfig withMetrics(MetricsConfig newMetrics) {
    return with(f -> f.metrics = newMetrics);
  }

  public ServerConfig withRaftTls(RaftTlsOptions newRaftTls) {
    return with(f -> f.raftTls = newRaftTls);
  }

  public ServerConfig withTransport(TransportLimits newTransport) {
    return with(f -> f.transport = newTransport);
  }

  public ServerConfig withWatch(WatchConfig newWatch) {
    return with(f -> f.watch = newWatch);
  }

  /** These options with {@code newStore} (e.g. {@link StoreOptions#withHistory}). */
  public ServerConfig withStore(StoreOptions newStore) {
    return with(f -> f.store = newStore);
  }

  /** A copy of this configuration with what {@code change} sets, the rest as it is. */
  private ServerConfig with(Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return f.toConfig();
  }

  /**
   * The components of a configuration, to change some before {@link #toConfig()} makes a new
   * one of them: the with* methods name one field each, and only this class lists them all.
   * Lives within one with* call; not thread-safe.
   */
  private static final class Fields {
    String nodeId;
    List<PeerSpec> peers;
    Path dataDir;
    int electionTimeoutMs;
    int heartbeatFactor;
    int snapshotIntervalSecs;
    Limits limits;
    StoreOptions store;
    String clusterName;
    String raftListenAddress;
    Set<BrokenOnPurpose> broken;
    TlsConfig tls;
    AuthConfig auth;
    MetricsConfig metrics;
    TransportLimits transport;
    RaftTlsOptions raftTls;
    WatchConfig watch;

    Fields(ServerConfig c) {
      nodeId = c.nodeId;
      peers = c.peers;
      dataDir = c.dataDir;
      electionTimeoutMs = c.electionTimeoutMs;
      heartbeatFactor = c.heartbeatFactor;
      snapshotIntervalSecs = c.snapshotIntervalSecs;
      limits = c.limits;
      store = c.store;
      clusterName = c.clusterName;
      raftListenAddress = c.raftListenAddress;
      broken = c.broken;
      tls = c.tls;
      auth = c.auth;
      metrics = c.metrics;
      transport = c.transport;
      raftTls = c.raftTls;
      watch = c.watch;
    }

    ServerConfig toConfig() {
      return new ServerConfig(nodeId, peers, dataDir, electionTimeoutMs, heartbeatFactor,
          snapshotIntervalSecs, limits, store, clusterName, raftListenAddress, broken, tls, auth,
          metrics, transport, raftTls, watch);
    }
  }

  /** This node's own entry in {@code peers}. */
  public PeerSpec self() {
    return peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("nodeId '" + nodeId + "' is not among the peers "
            + peers.stream().map(PeerSpec::id).toList()));
  }

  /** Throws {@link IllegalArgumentException} naming the first invalid field. */
  public ServerConfig validate() {
    if (peers.isEmpty()) {
      throw new IllegalArgumentException("peers must list at least this node");
    }
    Set<String> ids = new HashSet<>();
    Set<String> addresses = new HashSet<>();
    for (PeerSpec p : peers) {
      if (!ids.add(p.id())) {
        throw new IllegalArgumentException("peers: id '" + p.id() + "' appears twice");
      }
      requirePort(p, p.raftAddress());
      requirePort(p, p.grpcAddress());
      if (!addresses.add(p.raftAddress()) || !addresses.add(p.grpcAddress())) {
        throw new IllegalArgumentException("peers: an address of '" + p + "' is used twice");
      }
    }
    if (peers.stream().noneMatch(p -> !p.learner())) {
      throw new IllegalArgumentException("peers must include at least one voter");
    }
    PeerSpec self = self();
    if (raftListenAddress.equals(self.grpcAddress())) {
      throw new IllegalArgumentException("raftListenAddress " + raftListenAddress
          + " is this node's gRPC address too");
    }
    limits.validate();
    transport.validate(limits);
    tls.validate();
    auth.validate();
    if (!auth.certificateRoles().isEmpty() && tls.clientAuth() == TlsConfig.ClientAuth.NONE) {
      throw new IllegalArgumentException("auth-cert-roles maps " + auth.certificateRoles().size()
          + " certificate subject(s), but tls-client-auth is none: no client presents a "
          + "certificate; set tls-client-auth to optional or require");
    }
    metrics.validate();
    watch.validate();
    raftOptions().validate();
    return this;
  }

  static void requirePort(PeerSpec peer, String hostPort) {
    int port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("peers: '" + peer + "' has port " + port
          + "; ports are 1..65535");
    }
  }

  /** The jraft side of this configuration. */
  public RaftNodeOptions raftOptions() {
    return new RaftNodeOptions(nodeId, self().raftAddress(), dataDir,
        peers.stream().filter(p -> !p.learner()).map(PeerSpec::raftAddress).toList(),
        peers.stream().filter(PeerSpec::learner).map(PeerSpec::raftAddress).toList(),
        electionTimeoutMs, heartbeatFactor, snapshotIntervalSecs, store, raftListenAddress, raftTls);
  }
}
