package raftkv.core;

import com.alipay.sofa.jraft.Node;
import com.alipay.sofa.jraft.ReplicatorGroup;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.NodeImpl;
import com.alipay.sofa.jraft.core.Replicator;
import com.alipay.sofa.jraft.entity.PeerId;
import com.alipay.sofa.jraft.rpc.RpcRequests.AppendEntriesResponse;
import com.alipay.sofa.jraft.rpc.RpcResponseClosureAdapter;
import com.alipay.sofa.jraft.util.ThreadId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the leader, tells every follower and learner the new commit index as soon as the
 * leader has applied its last proposal, instead of leaving it to the next periodic heartbeat.
 *
 * <p>Why: a replica learns that an entry committed only from the next message the leader
 * sends it. Under load that is the next append, within a millisecond; but after the last
 * write of a burst, jraft sends nothing until the heartbeat, so a session read of that write
 * on a learner waited up to a whole heartbeat interval (etcd's leader broadcasts an append
 * whenever its commit index advances, for the same reason). With this, the heartbeat period
 * only has to detect failures, so it can be long and an idle cluster stays quiet.
 *
 * <p>When: after an applied batch, if no proposal of this leader is still on its way (more
 * proposals mean more appends, which carry the commit index themselves); so a busy leader
 * sends nothing extra, and an idle one one empty append per peer per write.
 *
 * <p>How: jraft's heartbeat with a callback of our own, which is what jraft's ReadIndex sends
 * to confirm leadership (with jraft's own callback the replicator would start a second
 * heartbeat timer). jraft has no public accessor for its replicator group; it is read from
 * {@link NodeImpl}'s field once, and when that fails (another jraft version) the broadcast is
 * off and the heartbeat carries commits as before, with one WARN.
 *
 * <p>Thread-safety: {@link #afterCommit} runs on jraft's state machine thread and only flags work;
 * the broadcast runs on this object's own thread, which may take jraft's locks. Owned by
 * {@link RaftNode}; {@link #close} stops the thread.
 */
final class CommitBroadcast implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CommitBroadcast.class);
  private static final int ATTEMPTS = 5;
  private static final long FIRST_RETRY_MS = 2;

  private final Node node;
  private final Supplier<Configuration> currentConf;
  private final ReplicatorGroup replicators;
  private final BooleanSupplier proposalsInFlight;
  private final BooleanSupplier leading;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "raftkv-commit-broadcast");
    t.setDaemon(true);
    return t;
  });

  /**
   * @param currentConf the node's current configuration (voters and learners)
   * @param proposalsInFlight whether proposals of this node are neither applied nor failed
   * @param leading whether this node's state machine believes it leads (cheap; no jraft lock)
   */
  CommitBroadcast(Node node, Supplier<Configuration> currentConf,
      BooleanSupplier proposalsInFlight, BooleanSupplier leading) {
    this.node = node;
    this.currentConf = currentConf;
    this.replicators = replicatorGroup(node);
    this.proposalsInFlight = proposalsInFlight;
    this.leading = leading;
  }

  private static ReplicatorGroup replicatorGroup(Node node) {
    try {
      java.lang.reflect.Field field = NodeImpl.class.getDeclaredField("replicatorGroup");
      field.setAccessible(true);
      return node instanceof NodeImpl impl ? (ReplicatorGroup) field.get(impl) : null;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("commits reach replicas with the next heartbeat only: cannot reach jraft's "
          + "replicator group ({})", e.toString());
      return null;
    }
  }

  /**
   * After an applied batch or a committed configuration entry (a new leader's first entry:
   * without this, followers would learn of it only at the first heartbeat), on the state
   * machine thread.
   */
  void afterCommit() {
    if (replicators == null || !leading.getAsBoolean() || proposalsInFlight.getAsBoolean()) {
      return;
    }
    if (pending.compareAndSet(false, true)) {
      try {
        thread.execute(this::broadcast);
      } catch (RejectedExecutionException closed) {
        pending.set(false);
      }
    }
  }

  private void broadcast() {
    pending.set(false);
    if (!node.isLeader()) {
      return;
    }
    PeerId self = node.getNodeId().getPeerId();
    Configuration conf = currentConf.get();
    List<PeerId> peers = new ArrayList<>(conf.getPeers());
    peers.addAll(conf.getLearners());
    long committed = node.getLastCommittedIndex();
    for (PeerId peer : peers) {
      if (!peer.equals(self)) {
        send(peer, committed, 1);
      }
    }
  }

  /**
   * One empty append to {@code peer}: it commits there up to the last entry the peer's
   * replicator has sent, so it waits until that covers {@code committed} (the replicators
   * send on their own threads, and a learner's is not waited for before commit). When the
   * replicator is not there yet, or the peer did not hold those entries yet (jraft handles
   * heartbeats ahead of queued appends), it is tried again after {@link #FIRST_RETRY_MS},
   * doubling, up to {@link #ATTEMPTS} times (30 ms in all); beyond that the periodic
   * heartbeat carries the commit.
   */
  private void send(PeerId peer, long committed, int attempt) {
    ThreadId replicator = replicators.getReplicator(peer);
    if (replicator == null || !node.isLeader()) {
      return;
    }
    if (Replicator.getNextIndex(replicator) - 1 < committed) {
      retry(peer, committed, attempt);
      return;
    }
    replicators.sendHeartbeat(peer, new RpcResponseClosureAdapter<AppendEntriesResponse>() {
      @Override
      public void run(Status status) {
        // Everything else a response says (terms, log mismatch) is the periodic heartbeat's.
        AppendEntriesResponse response = getResponse();
        if (!status.isOk() || response == null || !response.getSuccess()) {
          retry(peer, committed, attempt);
        }
      }
    });
  }

  private void retry(PeerId peer, long committed, int attempt) {
    if (attempt >= ATTEMPTS) {
      return;
    }
    try {
      thread.schedule(() -> send(peer, committed, attempt + 1), FIRST_RETRY_MS << (attempt - 1),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // Stopping.
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
