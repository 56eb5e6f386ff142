package raftkv.core;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Iterator;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.conf.Configuration;
import com.alipay.sofa.jraft.core.StateMachineAdapter;
import com.alipay.sofa.jraft.entity.LeaderChangeContext;
import com.alipay.sofa.jraft.error.RaftError;
import com.alipay.sofa.jraft.error.RaftException;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotReader;
import com.alipay.sofa.jraft.storage.snapshot.SnapshotWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.v1.internal.Outcome;

/**
 * The replicated state machine over a {@link KvStore}.
 *
 * <p>Each {@code onApply} call writes its entries as one RocksDB batch (split at
 * {@link #MAX_BATCH_BYTES}) with the applied index inside; entries at or below the stored
 * index are a replay after restart and are skipped. Proposers are answered only after
 * their entry's batch is written.
 *
 * <p>Snapshots are RocksDB checkpoints (hard links) registered file by file, so jraft can
 * copy them to a remote follower or learner.
 *
 * <p>Thread-safety: jraft calls every callback on its single state machine thread; the
 * getters and listener registration are safe from any thread.
 */
final class KvStateMachine extends StateMachineAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);
  private static final long MAX_BATCH_BYTES = 8L << 20;
  private static final String SNAPSHOT_DIR = "kv";
  private static final String SNAPSHOT_INDEX_FILE = "kv.applied_index";

  private final String nodeId;
  private final KvStore store;
  private final List<LongConsumer> appliedListeners = new CopyOnWriteArrayList<>();
  private final List<NodeEventListener> eventListeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> configurationListeners = new CopyOnWriteArrayList<>();
  private volatile java.util.concurrent.CountDownLatch applyHold;

  private volatile long term;
  private volatile boolean leader;
  // Set in onLeaderStart, cleared only in onStartFollowing (never in onLeaderStop): what an
  // old leader that never heard of its successor believes. See RaftNode.believesLeader.
  private volatile boolean believesLeader;

  KvStateMachine(String nodeId, KvStore store) {
    this.nodeId = nodeId;
    this.store = store;
  }

  @Override
  public void onConfigurationCommitted(Configuration conf) {
    LOG.info("node {}: configuration committed: {}", nodeId, conf);
    for (Runnable listener : configurationListeners) {
      listener.run();
    }
  }

  /**
   * Runs {@code listener} on the state machine thread after each configuration entry commits
   * (a new leader's first entry among them), where applied listeners do not run.
   */
  void addConfigurationCommittedListener(Runnable listener) {
    configurationListeners.add(listener);
  }

  long term() {
    return term;
  }

  boolean isLeader() {
    return leader;
  }

  boolean believesLeader() {
    return believesLeader;
  }

  void addAppliedListener(LongConsumer listener) {
    appliedListeners.add(listener);
  }

  void addEventListener(NodeEventListener listener) {
    eventListeners.add(listener);
  }

  /** Fault injection: the next apply waits until {@link #resumeApply}. */
  void holdApply() {
    if (applyHold == null) {
      applyHold = new java.util.concurrent.CountDownLatch(1);
    }
  }

  void resumeApply() {
    java.util.concurrent.CountDownLatch hold = applyHold;
    applyHold = null;
    if (hold != null) {
      hold.countDown();
    }
  }

  private void awaitHoldRelease() {
    java.util.concurrent.CountDownLatch hold = applyHold;
    if (hold != null) {
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void onApply(Iterator iter) {
    awaitHoldRelease();
    List<Closure> waiting = new ArrayList<>();
    List<Outcome> outcomes = new ArrayList<>();
    try (ApplyBatch batch = store.newApplyBatch()) {
      while (iter.hasNext()) {
        long index = iter.getIndex();
        // At or below the stored index: a replay after restart, already in the store.
        if (index > store.appliedIndex()) {
          Outcome outcome = batch.apply(index, iter.getData());
          Closure done = iter.done();
          if (done != null) {
            waiting.add(done);
            outcomes.add(outcome);
          }
          if (batch.sizeBytes() >= MAX_BATCH_BYTES) {
            commit(batch, waiting, outcomes);
          }
        }
        iter.next();
      }
      commit(batch, waiting, outcomes);
    } catch (RocksDBException | RuntimeException e) {
      // The store can no longer be trusted to match the log: stop this node rather than
      // diverge. jraft puts it in an error state; a restart replays from the stored index.
      LOG.error("node {}: applying at index {} failed; stopping the state machine", nodeId,
          iter.getIndex(), e);
      // jraft fails the closures from the failing entry on; the earlier ones of this batch
      // were never written, so their callers must hear it from here.
      Status failed = new Status(RaftError.EIO, "apply failed on node %s: %s", nodeId, e);
      for (Closure done : waiting) {
        done.run(failed);
      }
      iter.setErrorAndRollback(1, failed);
    }
  }

  /** Writes the batch, then (and only then) answers the callers whose entries it holds. */
  private void commit(ApplyBatch batch, List<Closure> waiting, List<Outcome> outcomes)
      throws RocksDBException {
    if (batch.entries() == 0) {
      return;
    }
    int entries = batch.entries(); // commit() resets it
    batch.commit();
    for (NodeEventListener listener : eventListeners) {
      listener.batchApplied(entries);
    }
    LeaseChanges leaseChanges = batch.leaseChanges();
    if (!leaseChanges.isEmpty()) {
      for (NodeEventListener listener : eventListeners) {
        listener.leasesChanged(leaseChanges);
      }
      leaseChanges.clear();
    }
    for (int i = 0; i < waiting.size(); i++) {
      if (waiting.get(i) instanceof Proposal proposal) {
        proposal.applied(outcomes.get(i));
      } else {
        waiting.get(i).run(Status.OK());
      }
    }
    waiting.clear();
    outcomes.clear();
    notifyApplied(store.appliedIndex());
  }

  private void notifyApplied(long index) {
    for (LongConsumer listener : appliedListeners) {
      listener.accept(index);
    }
  }

  @Override
  public void onSnapshotSave(SnapshotWriter writer, Closure done) {
    try {
      Path root = Path.of(writer.getPath());
      Path checkpoint = root.resolve(SNAPSHOT_DIR);
      KvStore.deleteRecursively(checkpoint);
      store.checkpoint(checkpoint);
      Files.writeString(root.resolve(SNAPSHOT_INDEX_FILE), Long.toString(store.appliedIndex()));
      writer.addFile(SNAPSHOT_INDEX_FILE);
      try (Stream<Path> files = Files.list(checkpoint)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          writer.addFile(SNAPSHOT_DIR + "/" + file.getFileName());
        }
      }
      LOG.info("node {}: snapshot saved at applied index {}", nodeId, store.appliedIndex());
      done.run(Status.OK());
    } catch (IOException | RocksDBException e) {
      LOG.error("node {}: snapshot save failed", nodeId, e);
      done.run(new Status(RaftError.EIO, "snapshot save failed: %s", e));
    }
  }

  @Override
  public boolean onSnapshotLoad(SnapshotReader reader) {
    if (leader) {
      LOG.error("node {}: refusing to load a snapshot while leader", nodeId);
      return false;
    }
    try {
      Path root = Path.of(reader.getPath());
      long snapshotIndex = Long.parseLong(
          Files.readString(root.resolve(SNAPSHOT_INDEX_FILE), StandardCharsets.US_ASCII).trim());
      long local = store.appliedIndex();
      if (local >= snapshotIndex) {
        // A restart: the local store already holds everything the snapshot does.
        LOG.info("node {}: keeping local state at index {} (snapshot at {})", nodeId, local,
            snapshotIndex);
        return true;
      }
      store.replaceWith(root.resolve(SNAPSHOT_DIR));
      if (store.appliedIndex() != snapshotIndex) {
        LOG.error("node {}: snapshot claims index {} but its store is at {}; refusing it",
            nodeId, snapshotIndex, store.appliedIndex());
        return false;
      }
      LOG.info("node {}: installed snapshot at index {} (local state was at {})", nodeId,
          store.appliedIndex(), local);
      notifyApplied(store.appliedIndex());
      return true;
    } catch (IOException | RocksDBException | RuntimeException e) {
      LOG.error("node {}: snapshot load failed", nodeId, e);
      return false;
    }
  }

  @Override
  public void onLeaderStart(long term) {
    this.term = term;
    this.leader = true;
    this.believesLeader = true;
    LOG.info("node {}: became leader in term {}", nodeId, term);
    for (NodeEventListener listener : eventListeners) {
      listener.leaderChanged(term, true);
    }
  }

  @Override
  public void onLeaderStop(Status status) {
    this.leader = false;
    LOG.info("node {}: stepped down as leader: {}", nodeId, status);
  }

  @Override
  public void onStartFollowing(LeaderChangeContext ctx) {
    this.term = ctx.getTerm();
    this.believesLeader = false;
    LOG.info("node {}: following leader {} in term {}", nodeId, ctx.getLeaderId(), ctx.getTerm());
    for (NodeEventListener listener : eventListeners) {
      listener.leaderChanged(ctx.getTerm(), false);
    }
  }

  @Override
  public void onError(RaftException e) {
    LOG.error("node {}: raft error, node stopped serving: {}", nodeId, e.getStatus(), e);
  }
}
