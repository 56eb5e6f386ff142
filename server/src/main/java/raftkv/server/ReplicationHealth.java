package raftkv.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import raftkv.core.RaftNode;
import raftkv.core.ReplicatorStatus;
import raftkv.v1.Member;
import raftkv.v1.ReplicaHealth;
import raftkv.v1.ReplicatorState;

/**
 * The leader's view of replication to every other member: for each voter and learner, whether
 * the leader has a replicator for it, whether it is replicating, and how long since it last
 * answered. {@link #refresh} samples jraft (on the server's timer) and publishes an immutable
 * {@link Snapshot}; readers (Admin.Status, {@code /health}, metrics, the peer log) only read
 * that snapshot, so no request path touches jraft's locks.
 *
 * <p>Degraded: a voter that has not been replicating for longer than {@code degradedAfterMs}
 * (three election timeouts) makes the snapshot degraded. The leader still serves (a majority
 * replicates), so this is not readiness: it is a signal for operators ({@link NodeMetrics}'s
 * {@code raftkv_replication_degraded}, {@code /health}, Admin.Status), meaning the group
 * survives one failure fewer than its size promises.
 *
 * <p>Times are sampled, so they are exact to within one refresh period. A peer's clocks start
 * when this node becomes leader, or when the peer joins the configuration, whichever is later.
 *
 * <p>Thread-safety: {@link #refresh} is synchronized (one sampler); {@link #current} is a
 * volatile read, safe from any thread. Listeners run on the refreshing thread, in order.
 */
final class ReplicationHealth {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReplicationHealth.class);
  /** What the sampler reads from the node; {@link RaftNode} in production. */
  interface Source {
    boolean isLeader();

    String self();

    List<String> voters();

    List<String> learners();

    /** The leader's replicator for this peer; empty when there is none. */
    Optional<ReplicatorStatus> replicator(String raftAddress);

    static Source of(RaftNode node) {
      return new Source() {
        @Override
        public boolean isLeader() {
          return node.isLeader();
        }

        @Override
        public String self() {
          return node.options().raftAddress();
        }

        @Override
        public List<String> voters() {
          return node.voters();
        }

        @Override
        public List<String> learners() {
          return node.learners();
        }

        @Override
        public Optional<ReplicatorStatus> replicator(String raftAddress) {
          return node.replicator(raftAddress);
        }
      };
    }
  }

  /**
   * One member as the leader sees it. Immutable.
   *
   * @param replicator the leader's replicator for it; empty when it has none
   * @param msSinceAck since the last RPC to it succeeded ({@link ReplicatorStatus#answering})
   * @param msNotReplicating since it was last {@link ReplicatorStatus#inSync}; 0 while it is
   */
  record Peer(Member member, boolean learner, Optional<ReplicatorStatus> replicator,
      long msSinceAck, long msNotReplicating) {
    /** Answering and receiving the log ({@link ReplicatorStatus#inSync}). */
    boolean replicating() {
      return replicator.map(ReplicatorStatus::inSync).orElse(false);
    }

    /** The last RPC to it succeeded ({@link ReplicatorStatus#answering}). */
    boolean answering() {
      return replicator.map(ReplicatorStatus::answering).orElse(false);
    }

    String role() {
      return learner ? "learner" : "voter";
    }

    /** "n2 (voter at 10.0.0.2:7001)". */
    String describe() {
      return member.getId() + " (" + role() + " at " + member.getRaftAddress() + ")";
    }

    /**
     * Why it is not replicating, for people, e.g. "cannot connect (replicator probing, 26 failed
     * RPCs in a row, last: ...)"; empty while it is.
     */
    String problem() {
      if (replicator.isEmpty()) {
        return "cannot connect (the leader has no replicator for it)";
      }
      ReplicatorStatus r = replicator.get();
      if (r.inSync()) {
        return "";
      }
      String doing = switch (r.phase()) {
        case PROBING -> "probing";
        case INSTALLING_SNAPSHOT -> "installing a snapshot";
        case REPLICATING -> "replicating";
      };
      if (r.consecutiveErrors() == 0) {
        return "replicator " + doing;
      }
      return cause(r.lastError()) + " (replicator " + doing + ", " + r.consecutiveErrors()
          + " failed RPCs in a row" + (r.lastError().isEmpty() ? "" : ", last: "
          + abbreviate(r.lastError())) + ")";
    }

    ReplicaHealth toProto() {
      ReplicaHealth.Builder b = ReplicaHealth.newBuilder().setMember(member).setLearner(learner)
          .setReplicating(replicating()).setMsSinceAck(msSinceAck);
      if (replicator.isEmpty()) {
        return b.setState(ReplicatorState.REPLICATOR_MISSING).build();
      }
      ReplicatorStatus r = replicator.get();
      return b.setState(switch (r.phase()) {
            case PROBING -> ReplicatorState.REPLICATOR_PROBING;
            case INSTALLING_SNAPSHOT -> ReplicatorState.REPLICATOR_INSTALLING_SNAPSHOT;
            case REPLICATING -> ReplicatorState.REPLICATOR_REPLICATING;
          })
          .setLagEntries(r.inSync() ? r.logLagEntries() : 0)
          .setConsecutiveErrors(r.consecutiveErrors()).setLastError(r.lastError()).build();
    }
  }

  /**
   * One sample. On a node that is not the leader: {@code leader} false, no peers, not degraded.
   * Immutable.
   */
  record Snapshot(boolean leader, List<Peer> peers, boolean degraded, String degradedReason) {
    static final Snapshot NOT_LEADER = new Snapshot(false, List.of(), false, "");

    Snapshot {
      peers = List.copyOf(peers);
    }

    raftkv.v1.ReplicationHealth toProto() {
      raftkv.v1.ReplicationHealth.Builder b = raftkv.v1.ReplicationHealth.newBuilder()
          .setDegraded(degraded).setDegradedReason(degradedReason);
      peers.forEach(p -> b.addReplicas(p.toProto()));
      return b.build();
    }

    Optional<Peer> peer(String raftAddress) {
      return peers.stream().filter(p -> p.member().getRaftAddress().equals(raftAddress))
          .findFirst();
    }
  }

  /** Per-peer clocks; touched only inside {@link #refresh}. */
  private static final class Clocks {
    long lastAckMs;
    long lastReplicatingMs;

    Clocks(long nowMs) {
      lastAckMs = nowMs;
      lastReplicatingMs = nowMs;
    }
  }

  private final Source source;
  private final Members members;
  private final LongSupplier clockMs;
  private final long degradedAfterMs;
  private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Clocks> clocks = new HashMap<>();
  private volatile Snapshot current = Snapshot.NOT_LEADER;
  private boolean listenerFailed;

  /**
   * @param clockMs a monotonic clock in milliseconds
   * @param degradedAfterMs how long a voter may go without replicating before the snapshot
   *     is degraded
   */
  ReplicationHealth(Source source, Members members, LongSupplier clockMs, long degradedAfterMs) {
    this.source = source;
    this.members = members;
    this.clockMs = clockMs;
    this.degradedAfterMs = degradedAfterMs;
  }

  /** Three election timeouts: what "longer than a few election timeouts" means here. */
  static long degradedAfterMs(int electionTimeoutMs) {
    return 3L * electionTimeoutMs;
  }

  /** Called with every new snapshot, on the refreshing thread; keep it quick. */
  void addListener(Consumer<Snapshot> listener) {
    listeners.add(listener);
  }

  /** The latest sample; {@link Snapshot#NOT_LEADER} before the first. Never blocks. */
  Snapshot current() {
    return current;
  }

  /**
   * Samples the node, publishes the result and tells the listeners. A node that is stopping
   * (jraft's getters throw) is published as not leader.
   */
  synchronized Snapshot refresh() {
    Snapshot next;
    try {
      next = sample(clockMs.getAsLong());
    } catch (RuntimeException stopping) {
      clocks.clear();
      next = Snapshot.NOT_LEADER;
    }
    current = next;
    for (Consumer<Snapshot> listener : listeners) {
      try {
        listener.accept(next);
      } catch (RuntimeException e) {
        // A failing listener must not cancel the sampler (the timer drops a task that throws)
        // nor starve the others; it is a bug, so say so once.
        if (!listenerFailed) {
          listenerFailed = true;
          LOG.warn("a replication health listener failed; further failures are not logged", e);
        }
      }
    }
    return next;
  }

  private Snapshot sample(long nowMs) {
    if (!source.isLeader()) {
      clocks.clear();
      return Snapshot.NOT_LEADER;
    }
    String self = source.self();
    List<String> voters = source.voters();
    List<String> learners = source.learners();
    List<Peer> peers = new ArrayList<>();
    Map<String, Clocks> seen = new HashMap<>();
    for (String address : voters) {
      if (!address.equals(self)) {
        peers.add(sample(address, false, nowMs, seen));
      }
    }
    for (String address : learners) {
      peers.add(sample(address, true, nowMs, seen));
    }
    clocks.keySet().retainAll(seen.keySet());
    // Leadership may have been lost while sampling; then every replicator read as missing.
    if (!source.isLeader()) {
      clocks.clear();
      return Snapshot.NOT_LEADER;
    }
    List<String> problems = new ArrayList<>();
    for (Peer p : peers) {
      if (!p.learner() && p.msNotReplicating() > degradedAfterMs) {
        problems.add("voter " + p.member().getId() + " (" + p.member().getRaftAddress()
            + ") not replicating for " + seconds(p.msNotReplicating()) + ": " + p.problem());
      }
    }
    return new Snapshot(true, peers, !problems.isEmpty(), String.join("; ", problems));
  }

  private Peer sample(String address, boolean learner, long nowMs, Map<String, Clocks> seen) {
    Clocks c = clocks.computeIfAbsent(address, a -> new Clocks(nowMs));
    seen.put(address, c);
    Optional<ReplicatorStatus> replicator = source.replicator(address);
    if (replicator.map(ReplicatorStatus::answering).orElse(false)) {
      c.lastAckMs = nowMs;
    }
    if (replicator.map(ReplicatorStatus::inSync).orElse(false)) {
      c.lastReplicatingMs = nowMs;
    }
    return new Peer(members.member(address), learner, replicator, nowMs - c.lastAckMs,
        nowMs - c.lastReplicatingMs);
  }

  /**
   * The failure class of jraft's RPC error text: jraft reports a failed connection as "Check
   * connection[...] fail" or Bolt's "Create connection failed" (the cause itself, such as a
   * refused connection, only reaches Bolt's log), a silent peer as an invoke timeout.
   */
  static String cause(String lastError) {
    String text = lastError.toLowerCase(Locale.ROOT);
    if (text.contains("check connection") || text.contains("create connection")
        || text.contains("connection refused")) {
      return "cannot connect";
    }
    if (text.contains("timeout") || text.contains("timed out")) {
      return "no answer in time";
    }
    if (text.contains("connection closed")) {
      return "connection closed";
    }
    return "RPCs failing";
  }

  static String seconds(long ms) {
    return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  private static String abbreviate(String text) {
    String oneLine = text.replaceAll("\\s+", " ").trim();
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 197) + "...";
  }
}
