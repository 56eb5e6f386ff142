package raftkv.server;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.LeaseChanges;
import raftkv.core.NodeEventListener;
import raftkv.core.RaftNode;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.LeaseEnd;
import raftkv.v1.internal.LeaseRecord;
import raftkv.v1.internal.Outcome;

/**
 * The leader's clock for leases: when each lease expires unless it is kept alive. Expiry is
 * decided here and only here, and replicated as a {@code lease_end} log entry, so apply never
 * reads a clock.
 *
 * <p>Invariant: a node that becomes leader gives every lease in its store a deadline of
 * {@code now + ttl + electionTimeoutMs} (etcd's rule): the old leader may have renewed a lease
 * just before it lost leadership, and that renewal was never replicated, so a leader change
 * never expires a lease earlier than its owner could expect. Deadlines are in monotonic ms and
 * held only while leading: another node's deadlines are never trusted.
 *
 * <p>Thread-safety: thread-safe. The {@link NodeEventListener} methods run on the node's state
 * machine thread (cheap: the store scan at leader start is the only I/O) and, like
 * {@link #catchUp}, hold this keeper's lock, so a load is ordered with lease changes;
 * {@link #renew},
 * {@link #remainingMs} and {@link #size} on gRPC threads; {@link #expireDue} on the server's
 * timer. It never blocks: expiry proposals complete asynchronously, and one that fails
 * (leadership lost, apply queue full) is dropped and, while still leader, retried on a later
 * tick.
 */
final class LeaseKeeper implements NodeEventListener {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);

  /** What the keeper needs from the node; {@link #of} adapts a {@link RaftNode}. */
  interface Node {
    /** Every lease in the local store. */
    List<LeaseRecord> storedLeases() throws RocksDBException;

    /** Proposes a command (as {@link RaftNode#propose}); never blocks. */
    CompletableFuture<Outcome> propose(Command command);

    /** Whether the node leads now (never called on the state machine thread). */
    boolean isLeader();

    static Node of(RaftNode node) {
      return new Node() {
        @Override
        public List<LeaseRecord> storedLeases() throws RocksDBException {
          return node.store().leases();
        }

        @Override
        public CompletableFuture<Outcome> propose(Command command) {
          return node.propose(command);
        }

        @Override
        public boolean isLeader() {
          return node.isLeader();
        }
      };
    }
  }

  private record Deadline(long ttlMs, long atMs) {}

  private final Node node;
  private final LongSupplier monotonicMs;
  private final long electionTimeoutMs;
  private final ConcurrentMap<Long, Deadline> deadlines = new ConcurrentHashMap<>();
  /** Leases whose expiry has been proposed and not yet answered: never proposed twice. */
  private final Set<Long> endsInFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean leading;

  LeaseKeeper(Node node, LongSupplier monotonicMs, long electionTimeoutMs) {
    this.node = node;
    this.monotonicMs = monotonicMs;
    this.electionTimeoutMs = electionTimeoutMs;
  }

  /**
   * A keeper listening to {@code node}, caught up with a leadership the node won before this
   * call (a single voter elects itself while it starts).
   */
  static LeaseKeeper attach(RaftNode node, LongSupplier monotonicMs, long electionTimeoutMs) {
    LeaseKeeper keeper = new LeaseKeeper(Node.of(node), monotonicMs, electionTimeoutMs);
    node.addEventListener(keeper);
    keeper.catchUp();
    return keeper;
  }

  /**
   * Loads the leases if the node already leads. Safe against the state machine thread: the
   * load and every listener call hold this keeper's lock, and replaying a lease change on top
   * of a load that already saw it changes nothing.
   */
  synchronized void catchUp() {
    if (!leading && node.isLeader()) {
      load(-1);
    }
  }

  @Override
  public synchronized void leaderChanged(long term, boolean self) {
    if (!self) {
      leading = false;
      deadlines.clear();
      return;
    }
    load(term);
  }

  private void load(long term) {
    List<LeaseRecord> stored;
    try {
      stored = node.storedLeases();
    } catch (RocksDBException | RuntimeException e) {
      // Without deadlines nothing expires: safe, and the node's storage is failing anyway.
      LOG.error("cannot load leases at leader start in term {}; none will expire until the "
          + "next leader change", term, e);
      return;
    }
    long graceUntil = monotonicMs.getAsLong() + electionTimeoutMs;
    Set<Long> ids = new HashSet<>();
    for (LeaseRecord lease : stored) {
      ids.add(lease.getId());
      deadlines.put(lease.getId(), new Deadline(lease.getTtlMs(), graceUntil + lease.getTtlMs()));
    }
    // Not clear-then-fill: a keep-alive racing with this load must never find its lease missing.
    deadlines.keySet().retainAll(ids);
    leading = true;
    LOG.debug("leader in term {}: {} lease(s), none expires within ttl + {} ms", term,
        ids.size(), electionTimeoutMs);
  }

  @Override
  public synchronized void leasesChanged(LeaseChanges changes) {
    for (LeaseChanges.Granted granted : changes.granted()) {
      granted(granted.id(), granted.ttlMs());
    }
    for (long ended : changes.ended()) {
      ended(ended);
    }
  }

  /** Lease {@code id} was granted (applied); it gets its TTL from now while this node leads. */
  synchronized void granted(long id, long ttlMs) {
    if (leading) {
      Deadline fresh = new Deadline(ttlMs, monotonicMs.getAsLong() + ttlMs);
      // Loaded at leader start with the grace already: keep the later deadline.
      deadlines.merge(id, fresh, (old, add) -> old.atMs() >= add.atMs() ? old : add);
    }
  }

  /** Lease {@code id} ended (applied): revoked or expired. */
  synchronized void ended(long id) {
    deadlines.remove(id);
  }

  /**
   * Renews lease {@code id} to its full TTL from now.
   *
   * @return the TTL it was renewed to, or 0 when this node holds no such lease (it expired,
   *     was revoked or never granted, or this node is not the leader)
   */
  long renew(long id) {
    long now = monotonicMs.getAsLong();
    Deadline renewed = deadlines.computeIfPresent(id,
        (k, d) -> new Deadline(d.ttlMs(), Math.max(d.atMs(), now + d.ttlMs())));
    return renewed == null ? 0 : renewed.ttlMs();
  }

  /** Milliseconds until lease {@code id} expires here, or -1 when this node holds no deadline. */
  long remainingMs(long id) {
    Deadline deadline = deadlines.get(id);
    return deadline == null ? -1 : Math.max(0, deadline.atMs() - monotonicMs.getAsLong());
  }

  /** Leases this node holds deadlines for: every lease while it leads, otherwise 0. */
  int size() {
    return deadlines.size();
  }

  /**
   * Proposes the end of every lease past its deadline that has no end in flight. Called on
   * the server's timer; never throws, never blocks.
   */
  void expireDue() {
    if (!leading) {
      return;
    }
    long now = monotonicMs.getAsLong();
    deadlines.forEach((id, deadline) -> {
      if (deadline.atMs() <= now && endsInFlight.add(id)) {
        proposeEnd(id);
      }
    });
  }

  private void proposeEnd(long id) {
    Command end = Command.newBuilder()
        .setProposedAtMs(System.currentTimeMillis())
        .setLeaseEnd(LeaseEnd.newBuilder().setId(id).setExpired(true))
        .build();
    CompletableFuture<Outcome> proposal;
    try {
      proposal = node.propose(end);
    } catch (RuntimeException e) {
      endsInFlight.remove(id);
      LOG.debug("expiry of lease {} not proposed", Long.toUnsignedString(id), e);
      return;
    }
    proposal.whenComplete((outcome, failure) -> {
      if (failure != null) {
        LOG.debug("expiry of lease {} not applied: {}", Long.toUnsignedString(id),
            failure.toString());
      } else if (outcome.getLease().getNotFound()) {
        // Ended meanwhile (revoked): whatever deadline is left here is stale.
        deadlines.remove(id);
      } else {
        LOG.debug("lease {} expired at index {}: {} key(s) deleted", Long.toUnsignedString(id),
            outcome.getLease().getIndex(), outcome.getLease().getDeletedKeys());
      }
      endsInFlight.remove(id);
    });
  }
}
