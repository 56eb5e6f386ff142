package raftkv.core;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.NodeManager;
import com.alipay.sofa.jraft.RaftGroupService;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.closure.ReadIndexClosure;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.entity.Task;
import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.option.RaftOptions;
import com.alipay.sofa.jraft.option.ReadOnlyOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.Outcome;

/**
 * One raftkv node: a jraft node (voter or learner) over a RocksDB state machine.
 *
 * <p>Thread-safety: every method is safe from any thread and none blocks on Raft;
 * {@link #propose} and {@link #readIndex} return futures that jraft's threads complete.
 * Ownership: the node owns its store and closes it in {@link #close}.
 */
public final class RaftNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
  static {
    // Bolt logs through sofa-common-tools, whose logback adapter is built for logback 1.2
    // and fails (with a stack trace) on 1.5. Disabled, it falls back to plain SLF4J, so Bolt
    // obeys our logback configuration. Must be set before any Bolt class loads.
    if (System.getProperty("logback.middleware.log.disable") == null) {
      System.setProperty("logback.middleware.log.disable", "true");
    }
    // sofa-common-tools then prints "Sofa-Middleware-Log:WARN ... is disabled" to stderr, twice
    // per log space, bypassing SLF4J: its own diagnostics only at ERROR.
    if (System.getProperty("sofa.middleware.log.internal.level") == null) {
      System.setProperty("sofa.middleware.log.internal.level", "ERROR");
    }
    registerLogStorageOptions();
  }

  /** Memtable size of jraft's RocksDB log (jraft's default: 64 MiB, up to 3 per family). */
  static final long LOG_WRITE_BUFFER_BYTES = 16L << 20;

  /**
   * jraft's log storage keeps up to three 64 MiB memtables per column family, each with an
   * 8 MiB prefix bloom, so a busy node's log alone could hold ~200 MiB of native memory. The
   * log is written once, read back mostly from the tail (by the replicators, while it is
   * still in the memtable) and truncated after snapshots: 16 MiB memtables keep flushes rare
   * and cap it at ~50 MiB. Registered once per JVM, before any node opens its log.
   */
  private static void registerLogStorageOptions() {
    org.rocksdb.ColumnFamilyOptions cf =
        com.alipay.sofa.jraft.util.StorageOptionsFactory.getDefaultRocksDBColumnFamilyOptions()
            .setWriteBufferSize(LOG_WRITE_BUFFER_BYTES);
    try {
      com.alipay.sofa.jraft.util.StorageOptionsFactory.registerRocksDBColumnFamilyOptions(
          com.alipay.sofa.jraft.storage.impl.RocksDBLogStorage.class, cf);
    } catch (IllegalStateException alreadyRegistered) {
      // The embedding application registered its own options: keep them.
      cf.close();
    }
    // jraft allows 1 GiB of write-ahead log: its configuration family is written once and
    // its memtable never fills, so no WAL file can be deleted before that cap forces a
    // flush, and the log directory held as much WAL as log data (288 MB of WAL beside
    // 289 MB of tables after 1.4 M writes). Entries are in the tables once flushed.
    org.rocksdb.DBOptions db =
        com.alipay.sofa.jraft.util.StorageOptionsFactory.getDefaultRocksDBOptions()
            .setMaxTotalWalSize(LOG_MAX_TOTAL_WAL_BYTES);
    try {
      com.alipay.sofa.jraft.util.StorageOptionsFactory.registerRocksDBOptions(
          com.alipay.sofa.jraft.storage.impl.RocksDBLogStorage.class, db);
    } catch (IllegalStateException alreadyRegistered) {
      db.close();
    }
  }

  /** Write-ahead log kept by jraft's RocksDB log before it flushes every family. */
  static final long LOG_MAX_TOTAL_WAL_BYTES = 4 * LOG_WRITE_BUFFER_BYTES;

  /**
   * The largest command a node may propose, in bytes: replication is sized for it (see
   * {@link RaftLinkTuning}), so a server's request limit must leave room for the command's
   * own fields below it.
   */
  public static final int MAX_COMMAND_BYTES = RaftLinkTuning.MAX_COMMAND_BYTES;

  /** All raftkv nodes form one group. */
  static final String GROUP_ID = "raftkv";

  private final RaftNodeOptions options;
  private final KvStore store;
  private final KvStateMachine stateMachine;
  private final RaftGroupService service;
  private final RaftTransport transport;
  private final Node node;
  private final Replicators replicators;
  private final AtomicLong proposalsInFlight = new AtomicLong();
  private final CommitBroadcast commitBroadcast;
  private volatile boolean listedByLeader;

  private RaftNode(RaftNodeOptions options, KvStore store, KvStateMachine stateMachine,
      RaftGroupService service, RaftTransport transport, Node node, Replicators replicators) {
    this.options = options;
    this.store = store;
    this.stateMachine = stateMachine;
    this.service = service;
    this.transport = transport;
    this.node = node;
    this.replicators = replicators;
    this.commitBroadcast = new CommitBroadcast(node, this::currentConf,
        () -> proposalsInFlight.get() > 0, stateMachine::believesLeader);
    stateMachine.addAppliedListener(applied -> commitBroadcast.afterCommit());
    stateMachine.addConfigurationCommittedListener(commitBroadcast::afterCommit);
  }

  /**
   * Opens the store and starts the jraft node, with its Raft transport listening on
   * {@link RaftNodeOptions#listenAddress()}, over TLS for both its server and its client when
   * {@link RaftNodeOptions#raftTls()} is set. Refuses TLS (IllegalStateException) when jraft's
   * RPC factory is not {@link RaftkvRpcFactory}, rather than run the client in plain TCP.
   */
  public static RaftNode start(RaftNodeOptions options) {
    options.validate();
    RaftTls.requireTlsCapableFactory(options.raftTls());
    Path raftDir = options.dataDir().resolve("raft");
    KvStore store;
    try {
      Files.createDirectories(raftDir);
      store = KvStore.open(options.dataDir().resolve("kv"), options.store());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RocksDBException e) {
      throw new IllegalStateException("cannot open the store in " + options.dataDir(), e);
    }
    Configuration conf = new Configuration(peers(options.voters()), peers(options.learners()));
    KvStateMachine fsm = new KvStateMachine(options.nodeId(), store);

    // Carries the TLS setting to the factory that builds this node's Raft client.
    NodeOptions nodeOptions = new RaftTls.TlsNodeOptions(options.raftTls());
    nodeOptions.setElectionTimeoutMs(options.electionTimeoutMs());
    nodeOptions.setSnapshotIntervalSecs(options.snapshotIntervalSecs());
    nodeOptions.setLogUri(raftDir.resolve("log").toString());
    nodeOptions.setRaftMetaUri(raftDir.resolve("meta").toString());
    nodeOptions.setSnapshotUri(raftDir.resolve("snapshot").toString());
    nodeOptions.setFsm(fsm);
    nodeOptions.setEnableMetrics(true);
    nodeOptions.setInitialConf(conf);
    // jraft's per-node election, vote, step-down and snapshot timers are hashed wheels that
    // wake their threads every millisecond, idle or not (4 threads, ~4,000 wakeups/s per
    // node). The shared ones are scheduled executors that sleep until a timeout is due.
    nodeOptions.setSharedElectionTimer(true);
    nodeOptions.setSharedVoteTimer(true);
    nodeOptions.setSharedStepDownTimer(true);
    nodeOptions.setSharedSnapshotTimer(true);
    RaftOptions raftOptions = new RaftOptions();
    raftOptions.setReadOnlyOptions(ReadOnlyOption.ReadOnlySafe);
    raftOptions.setElectionHeartbeatFactor(options.heartbeatFactor());
    raftOptions.setSync(true);
    // Term and vote must survive power loss, or a node may vote twice in one term.
    raftOptions.setSyncMeta(true);
    // A command at the API's limit must replicate like a small one (see RaftLinkTuning).
    RaftLinkTuning.apply(raftOptions);
    nodeOptions.setRaftOptions(raftOptions);

    PeerId self = PeerId.parsePeer(options.raftAddress());
    // Always the 4-argument form, so the node owns its transport's executors; with no
    // listen address it is the server jraft's 3-argument form would build on the identity.
    RaftTransport transport =
        RaftTransport.create(options.listenAddress(), nodeOptions, options.raftTls());
    RaftGroupService service = new RaftGroupService(GROUP_ID, self, nodeOptions, transport.server);
    Node node;
    try {
      node = service.start();
      if (node == null) {
        throw new IllegalStateException("jraft refused to start the node; see the log");
      }
    } catch (RuntimeException e) {
      // jraft starts the node before it binds the Raft port, and RaftGroupService.shutdown
      // is a no-op until start returned: stop what did start, or it lingers (even as leader)
      // and holds the store's lock.
      Node started = service.getRaftNode();
      if (started != null) {
        started.shutdown();
        try {
          started.join();
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      transport.abandon();
      NodeManager.getInstance().removeAddress(self.getEndpoint());
      store.close();
      throw new IllegalStateException("cannot start the Raft node on " + options.raftAddress()
          + listening(options) + ": " + e.getMessage(), e);
    }
    Replicators replicators = new Replicators(GROUP_ID);
    node.addReplicatorStateListener(replicators);
    LOG.info("node {} started: raft {}{} as {}, voters {}, learners {}", options.nodeId(),
        options.raftAddress(), listening(options), options.isLearner() ? "learner" : "voter",
        options.voters(), options.learners());
    return new RaftNode(options, store, fsm, service, transport, node, replicators);
  }

  private static String listening(RaftNodeOptions options) {
    return options.listenAddress().equals(options.raftAddress())
        ? "" : " (listening on " + options.listenAddress() + ")";
  }

  private static List<PeerId> peers(List<String> addresses) {
    return addresses.stream().map(PeerId::parsePeer).toList();
  }

  public RaftNodeOptions options() {
    return options;
  }

  /** The local store: reads at EVENTUAL level go straight to it. */
  public KvStore store() {
    return store;
  }

  /**
   * Proposes a command. The future completes, on a jraft thread, with the outcome once the
   * entry is committed and applied here, or with a {@link RaftFailure}. Never blocks: a full
   * apply queue fails at once with {@link RaftFailure.Kind#BUSY}.
   */
  public CompletableFuture<Outcome> propose(Command command) {
    Proposal proposal = new Proposal();
    if (!isLeader()) {
      proposal.future.completeExceptionally(
          new RaftFailure(RaftFailure.Kind.NOT_LEADER, "this node is not the leader"));
      return proposal.future;
    }
    Task task = new Task(ByteBuffer.wrap(command.toByteArray()), proposal);
    // Runs on the state machine thread before its applied listeners (CommitBroadcast).
    proposalsInFlight.incrementAndGet();
    proposal.future.whenComplete((outcome, failure) -> proposalsInFlight.decrementAndGet());
    try {
      node.apply(task);
    } catch (IllegalStateException shuttingDown) {
      proposal.future.completeExceptionally(
          new RaftFailure(RaftFailure.Kind.UNAVAILABLE, "node is shutting down"));
    }
    return proposal.future;
  }

  /**
   * A ReadIndex round (ReadOnlySafe: the leader confirms its leadership with a quorum). The
   * future completes with an index this node has already applied and that covers every write
   * acknowledged before the call; reading the local store afterwards is linearizable.
   */
  public CompletableFuture<Long> readIndex() {
    return readIndex(ReadOnlyOption.ReadOnlySafe);
  }

  /**
   * A ReadIndex round with the given option. {@link ReadOnlyOption#ReadOnlyLeaseBased} trusts
   * the leader's lease instead of a quorum round: cheaper, and enough to learn how fresh this
   * node is.
   */
  public CompletableFuture<Long> readIndex(ReadOnlyOption option) {
    CompletableFuture<Long> future = new CompletableFuture<>();
    try {
      node.readIndex(option, new byte[0], new ReadIndexClosure() {
        @Override
        public void run(Status status, long index, byte[] reqCtx) {
          if (status.isOk()) {
            future.complete(index);
          } else {
            future.completeExceptionally(RaftFailure.from(status));
          }
        }
      });
    } catch (IllegalStateException shuttingDown) {
      future.completeExceptionally(
          new RaftFailure(RaftFailure.Kind.UNAVAILABLE, "node is shutting down"));
    }
    return future;
  }

  public boolean isLeader() {
    return node.isLeader();
  }

  /**
   * Whether this node thinks it still leads: true from its state machine's
   * {@code onLeaderStart} until {@code onStartFollowing}, when it hears of another leader.
   * Unlike {@link #isLeader} it stays true after jraft steps down (lost quorum, shutdown of
   * the others): it models a paused or isolated old leader that does not know it was deposed.
   * Only a read path broken on purpose for checker tests may act on it.
   */
  public boolean believesLeader() {
    return stateMachine.believesLeader();
  }

  /** Whether this node's current configuration lists it as a learner. */
  public boolean isLearner() {
    return learners().contains(options.raftAddress());
  }

  /** The current leader's raft address, or {@code null} when none is known. */
  public String leaderRaftAddress() {
    PeerId leader = node.getLeaderId();
    return leader == null || leader.isEmpty() ? null : leader.getEndpoint().toString();
  }

  /** The latest term this node has seen as leader or follower. */
  public long term() {
    return stateMachine.term();
  }

  /** The node's applied index, configuration entries included; 0 when not active. */
  public long appliedIndex() {
    try {
      return Math.max(store.appliedIndex(), node.getLastAppliedLogIndex());
    } catch (RuntimeException notActive) {
      return store.appliedIndex();
    }
  }

  /**
   * The last index in this node's log: entries received from the leader (or proposed, on
   * the leader), committed or not; 0 when not active.
   */
  public long lastLogIndex() {
    try {
      return node.getLastLogIndex();
    } catch (RuntimeException notActive) {
      return 0;
    }
  }

  /**
   * The commit index as this node's state machine caller knows it; 0 when not active. It
   * advances on the state machine thread, so it stands still while apply is stalled: use
   * {@link #lastLogIndex} to see how much this node has received.
   */
  public long commitIndex() {
    try {
      return node.getLastCommittedIndex();
    } catch (RuntimeException notActive) {
      return 0;
    }
  }

  public String stateName() {
    return node.getNodeState().name();
  }

  /**
   * Raft addresses of the voters in this node's current configuration: the latest
   * configuration entry in its log (committed or not), or its snapshot's, or the initial one.
   */
  public List<String> voters() {
    return addresses(currentConf().getPeers());
  }

  /** Raft addresses of the learners in this node's current configuration. */
  public List<String> learners() {
    return addresses(List.copyOf(currentConf().getLearners()));
  }

  private Configuration currentConf() {
    // Node has no accessor for the current configuration on followers (listPeers and
    // listLearners are leader-only, and onConfigurationCommitted never reports learners).
    // NodeImpl.getCurrentConf is public API of the implementation class since jraft 1.0.3.
    Configuration conf = node instanceof NodeImpl impl ? impl.getCurrentConf() : null;
    return conf != null ? conf : node.getOptions().getInitialConf();
  }

  private static List<String> addresses(List<PeerId> peers) {
    return peers.stream().map(p -> p.getEndpoint().toString()).toList();
  }

  /**
   * A digest of the replicated state ({@link KvStore#digest}) at this node's applied index,
   * configuration entries included. Scans the whole store: call it off latency-sensitive
   * threads. Safe from any thread.
   */
  public StateDigest digest() throws RocksDBException {
    // Read before the snapshot: every entry up to it is applied when the snapshot is taken,
    // so any above the store's own index are configuration entries, which change no data.
    long applied = appliedIndex();
    StateDigest stored = store.digest();
    return applied > stored.appliedIndex()
        ? new StateDigest(stored.sha256(), stored.keys(), applied) : stored;
  }

  /** Called after every batch the store applies, on the state machine thread; keep it quick. */
  public void addAppliedListener(LongConsumer listener) {
    stateMachine.addAppliedListener(listener);
  }

  /** Observes leader changes and applied batches (see {@link NodeEventListener}). */
  public void addEventListener(NodeEventListener listener) {
    stateMachine.addEventListener(listener);
  }

  /**
   * jraft's own metrics of this node (Codahale / Dropwizard metrics-core 4): replication,
   * log, ReadIndex and per-replicator gauges. Owned by jraft; read it, never register in it.
   */
  public com.codahale.metrics.MetricRegistry jraftMetrics() {
    return node.getNodeMetrics().getMetricRegistry();
  }

  /**
   * Fault injection for tests and chaos runs: this node keeps receiving the log but stops
   * applying it (its state machine thread waits) until {@link #resumeApply}. Its applied
   * index stands still, so reads that need a later index wait or are refused.
   */
  public void holdApply() {
    stateMachine.holdApply();
  }

  /** Ends {@link #holdApply}; the node applies everything it received meanwhile. */
  public void resumeApply() {
    stateMachine.resumeApply();
  }

  /**
   * Adds a learner at this Raft address (leader only). Completes when the new configuration
   * is committed; the learner then catches up by snapshot and log.
   */
  public CompletableFuture<Void> addLearner(String raftAddress) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    node.addLearners(List.of(PeerId.parsePeer(raftAddress)), status -> complete(future, status));
    return future;
  }

  /** Removes the learner at this Raft address (leader only). */
  public CompletableFuture<Void> removeLearner(String raftAddress) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    node.removeLearners(List.of(PeerId.parsePeer(raftAddress)), status -> complete(future, status));
    return future;
  }

  /**
   * Adds a voter at this Raft address (leader only). jraft first brings the new peer's log up
   * to date, then commits the new configuration; the future completes after that.
   */
  public CompletableFuture<Void> addVoter(String raftAddress) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    node.addPeer(PeerId.parsePeer(raftAddress), status -> complete(future, status));
    return future;
  }

  /** Removes the voter at this Raft address (leader only); removing the leader itself hands over. */
  public CompletableFuture<Void> removeVoter(String raftAddress) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    node.removePeer(PeerId.parsePeer(raftAddress), status -> complete(future, status));
    return future;
  }

  /**
   * Makes the learner at this Raft address a voter (leader only), in two configuration
   * changes: jraft refuses a change whose old and new configurations list the same peer as
   * learner and voter, so the learner is removed, then added as a voter (jraft catches it up
   * first, which is quick because it was just replicating). If the second change fails the
   * node is left out of the configuration; the failure says so, and adding it again fixes it.
   */
  public CompletableFuture<Void> promoteLearner(String raftAddress) {
    return removeLearner(raftAddress).thenCompose(removed -> addVoter(raftAddress)
        .exceptionallyCompose(failure -> CompletableFuture.failedFuture(new RaftFailure(
            failure instanceof RaftFailure raft ? raft.kind() : RaftFailure.Kind.UNAVAILABLE,
            "the learner " + raftAddress + " was removed but adding it as a voter failed ("
                + failure.getMessage() + "); add it again as a voter or learner"))));
  }

  /**
   * Starts handing leadership to the voter at this Raft address (leader only). jraft lets the
   * target catch up, then tells it to start an election at once; meanwhile this node refuses
   * new proposals (BUSY). Returns without waiting; the caller watches
   * {@link #leaderRaftAddress}.
   *
   * @throws RaftFailure when jraft refuses (not leader, a configuration change in progress,
   *     the target not a voter)
   */
  public void transferLeadership(String raftAddress) {
    Status status = node.transferLeadershipTo(PeerId.parsePeer(raftAddress));
    if (!status.isOk()) {
      throw RaftFailure.from(status);
    }
  }

  /**
   * On the leader: how many entries of the leader's log the replica at this Raft address has
   * not received (jraft's replicator {@code log-lags}: last log index minus the replica's
   * next index, plus one). Empty on a follower, for an address without a replicator, and
   * for a replica that is not replicating normally: a replicator starts with its next index
   * at the leader's last index + 1, so a replica that is down reads as lag 0 in a quiet
   * group until probing fails; only state Replicate with no consecutive errors counts.
   */
  public java.util.OptionalLong replicaLogLag(String raftAddress) {
    return replicator(raftAddress).filter(ReplicatorStatus::replicating)
        .map(r -> java.util.OptionalLong.of(r.logLagEntries()))
        .orElse(java.util.OptionalLong.empty());
  }

  /**
   * On the leader: its replicator for the peer at this Raft address, as jraft's metrics and
   * replicator callbacks show it. Empty on a follower, and on the leader when it has no
   * replicator for that address (not a member, or jraft could not connect to the peer to start
   * one). Takes the log manager's read lock briefly: call it from a timer or an admin call,
   * never per read.
   */
  public java.util.Optional<ReplicatorStatus> replicator(String raftAddress) {
    if (!isLeader() || node.getNodeMetrics() == null) {
      return java.util.Optional.empty();
    }
    return replicators.status(node.getNodeMetrics().getMetricRegistry(), raftAddress);
  }

  /**
   * True once this node has been in a committed configuration and the latest one it knows
   * no longer lists it (a removed learner). The leader does not tell a removed learner; it
   * learns it from the configuration entry that removed it. A learner that has just joined
   * and still only knows configurations from before its addition is not removed.
   */
  public boolean isRemoved() {
    String self = options.raftAddress();
    if (voters().contains(self) || learners().contains(self)) {
      // The initial configuration lists a new learner too; only a configuration that came
      // with entries from the leader counts as having been a member.
      if (lastLogIndex() > 0) {
        listedByLeader = true;
      }
      return false;
    }
    return listedByLeader;
  }

  private static void complete(CompletableFuture<Void> future, Status status) {
    if (status.isOk()) {
      future.complete(null);
    } else {
      future.completeExceptionally(RaftFailure.from(status));
    }
  }

  /** Takes a snapshot now; the future completes when it is saved. */
  public CompletableFuture<Void> snapshot() {
    CompletableFuture<Void> future = new CompletableFuture<>();
    node.snapshot(status -> complete(future, status));
    return future;
  }

  /** Stops the node (a leader first hands over) and closes the store. Blocks until done. */
  @Override
  public void close() {
    commitBroadcast.close();
    stateMachine.resumeApply();
    // Stops the Raft RPC server too: RaftGroupService owns it (it is not shared).
    service.shutdown();
    try {
      service.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    transport.close();
    store.close();
    LOG.info("node {} stopped", options.nodeId());
  }
}
