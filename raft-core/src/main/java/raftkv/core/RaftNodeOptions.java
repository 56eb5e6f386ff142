package raftkv.core;

import java.nio.file.Path;
import java.util.List;

/**
 * How to run one Raft node. Immutable; {@link #validate} names the field, the value and
 * the rule of the first problem it finds.
 *
 * @param nodeId the operator's name for this node (used in logs and statuses)
 * @param raftAddress host:port of this node's Raft identity, its jraft peer id: the address
 *     the other nodes send to and the one the voters and learners lists name. The host may be
 *     a name; jraft keeps it as written and Bolt resolves it when it connects.
 * @param dataDir holds {@code raft/} (log, metadata, snapshots) and {@code kv/} (the store)
 * @param voters raft addresses of the initial voting members, this node included if it votes;
 *     every node of a group must be started with the same voters and learners
 * @param learners raft addresses of the initial learners (non-voting replicas)
 * @param electionTimeoutMs follower-to-candidate timeout in ms; below 1000 elections split on
 *     a loaded 2-core machine. Heartbeats go every electionTimeoutMs / heartbeatFactor ms.
 * @param heartbeatFactor electionTimeoutMs / heartbeatFactor is the heartbeat interval; it is
 *     also how late, at most, a replica learns that an entry committed when the leader's
 *     commit broadcast did not reach it
 * @param snapshotIntervalSecs how often a snapshot is taken (when there are new entries);
 *     the log is truncated up to the previous snapshot
 * @param store RocksDB and exactly-once table settings
 * @param raftListenAddress host:port the Raft RPC server binds; empty (or null) means
 *     {@code raftAddress}. Differs from it when something forwards the identity address to
 *     this node, such as the chaos tool's per-link fault proxies. Bolt binds every interface
 *     on this port (its host part is not used for binding), so two nodes on one machine need
 *     different listen ports, and the identity port stays free for the forwarder.
 * @param raftTls TLS for this node's Raft traffic, both its Raft server and the client it
 *     reaches its peers with; {@link RaftTlsOptions#OFF} (or null) for plain TCP. Per node:
 *     nodes in one JVM may differ, but every node of a group needs the same kind (a TLS node
 *     and a plain node cannot talk to each other) and certificates the others trust.
 */
public record RaftNodeOptions(
    String nodeId,
    String raftAddress,
    Path dataDir,
    List<String> voters,
    List<String> learners,
    int electionTimeoutMs,
    int heartbeatFactor,
    int snapshotIntervalSecs,
    StoreOptions store,
    String raftListenAddress,
    RaftTlsOptions raftTls) {

  public static final int DEFAULT_ELECTION_TIMEOUT_MS = 1000;
  /**
   * Heartbeats every 100 ms at the default election timeout (jraft's default). They only
   * detect failures and keep leases: a commit reaches the replicas with the next append, or,
   * after the last write of a burst, with the leader's commit broadcast
   * ({@code CommitBroadcast}). At 20 ms, heartbeats were most of an idle cluster's CPU.
   */
  public static final int DEFAULT_HEARTBEAT_FACTOR = 10;
  public static final int DEFAULT_SNAPSHOT_INTERVAL_SECS = 3600;

  public RaftNodeOptions {
    voters = List.copyOf(voters);
    learners = List.copyOf(learners);
    raftListenAddress = raftListenAddress == null ? "" : raftListenAddress;
    raftTls = raftTls == null ? RaftTlsOptions.OFF : raftTls;
  }

  /** Options with plain-TCP Raft traffic ({@link RaftTlsOptions#OFF}). */
  public RaftNodeOptions(String nodeId, String raftAddress, Path dataDir, List<String> voters,
      List<String> learners, int electionTimeoutMs, int heartbeatFactor, int snapshotIntervalSecs,
      StoreOptions store, String raftListenAddress) {
    this(nodeId, raftAddress, dataDir, voters, learners, electionTimeoutMs, heartbeatFactor,
        snapshotIntervalSecs, store, raftListenAddress, RaftTlsOptions.OFF);
  }

  /** Options whose Raft RPC server listens on the identity address. */
  public RaftNodeOptions(String nodeId, String raftAddress, Path dataDir, List<String> voters,
      List<String> learners, int electionTimeoutMs, int heartbeatFactor, int snapshotIntervalSecs,
      StoreOptions store) {
    this(nodeId, raftAddress, dataDir, voters, learners, electionTimeoutMs, heartbeatFactor,
        snapshotIntervalSecs, store, "", RaftTlsOptions.OFF);
  }

  /** These options with {@code raftTls} instead of theirs. */
  public RaftNodeOptions withRaftTls(RaftTlsOptions raftTls) {
    return new RaftNodeOptions(nodeId, raftAddress, dataDir, voters, learners, electionTimeoutMs,
        heartbeatFactor, snapshotIntervalSecs, store, raftListenAddress, raftTls);
  }

  /** The address the Raft RPC server binds: {@code raftListenAddress}, else the identity. */
  public String listenAddress() {
    return raftListenAddress.isEmpty() ? raftAddress : raftListenAddress;
  }

  /** Throws {@link IllegalArgumentException} naming the first invalid field. */
  public RaftNodeOptions validate() {
    if (nodeId == null || nodeId.isBlank()) {
      throw new IllegalArgumentException("nodeId must be non-empty");
    }
    requireHostPort("raftAddress", raftAddress);
    if (!raftListenAddress.isEmpty()) {
      requireHostPort("raftListenAddress", raftListenAddress);
    }
    if (dataDir == null) {
      throw new IllegalArgumentException("dataDir must be set");
    }
    if (voters.isEmpty()) {
      throw new IllegalArgumentException("voters must name at least one voter");
    }
    voters.forEach(v -> requireHostPort("voters", v));
    learners.forEach(l -> requireHostPort("learners", l));
    for (String learner : learners) {
      if (voters.contains(learner)) {
        throw new IllegalArgumentException("learners: " + learner + " is also a voter");
      }
    }
    if (!voters.contains(raftAddress) && !learners.contains(raftAddress)) {
      throw new IllegalArgumentException("raftAddress " + raftAddress
          + " is neither among the voters " + voters + " nor the learners " + learners);
    }
    if (electionTimeoutMs < 100) {
      throw new IllegalArgumentException(
          "electionTimeoutMs must be >= 100 (>= 1000 recommended), got " + electionTimeoutMs);
    }
    if (heartbeatFactor < 2 || electionTimeoutMs / heartbeatFactor < 1) {
      throw new IllegalArgumentException("heartbeatFactor must be >= 2 and leave a heartbeat "
          + "interval of >= 1 ms, got " + heartbeatFactor + " with electionTimeoutMs "
          + electionTimeoutMs);
    }
    if (store == null) {
      throw new IllegalArgumentException("store must be set (StoreOptions.DEFAULTS for defaults)");
    }
    if (snapshotIntervalSecs < 1) {
      throw new IllegalArgumentException(
          "snapshotIntervalSecs must be >= 1, got " + snapshotIntervalSecs);
    }
    raftTls.validate();
    return this;
  }

  public boolean isLearner() {
    return learners.contains(raftAddress);
  }

  static void requireHostPort(String field, String value) {
    int colon = value == null ? -1 : value.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(field + ": '" + value + "' is not host:port");
    }
    try {
      int port = Integer.parseInt(value.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(field + ": '" + value + "' has no port in 1..65535");
    }
  }
}
