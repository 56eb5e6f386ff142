package raftkv.reads;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.rocksdb.RocksDBException;
import raftkv.core.IndexedRead;
import raftkv.core.RaftNode;
import raftkv.v1.Consistency;

/**
 * Decides when this node may serve a read at its level, then runs it against the local store.
 *
 * <ul>
 *   <li>LINEARIZABLE (and UNSPECIFIED): a ReadIndex round through the leader (ReadOnlySafe:
 *       a quorum confirms leadership); jraft completes it once this node has applied the
 *       returned index, so the store holds every write acknowledged before the read.
 *   <li>SESSION: once this node's applied index reaches the session token's index.
 *   <li>BOUNDED_STALENESS: when the leader has recently confirmed this node fresh (see
 *       {@link ReplicaProgress}: no older than max_lag_ms, or 1 s with only an entry bound)
 *       and its lag is within the bounds; otherwise once a new confirmation arrives.
 *   <li>EVENTUAL: at once, from whatever this node has applied.
 * </ul>
 *
 * A SESSION or BOUNDED_STALENESS read that is not admitted within its wait budget fails
 * with {@link ReplicaLagging}. A node removed from the configuration serves only EVENTUAL
 * reads ({@link RemovedFromCluster}).
 *
 * <p>A node started with {@link BrokenOnPurpose} switches admits some reads it must not
 * (for checker tests); with none, the rules above are the whole story.
 *
 * <p>Thread-safety: safe from any thread; never waits on Raft. A read admitted at once runs
 * on the caller's thread (a local RocksDB read); one admitted later runs on the read
 * executor, never on jraft's threads.
 */
public final class ReadPath {
  private final RaftNode node;
  private final ReplicaProgress progress;
  private final Executor readExecutor;
  private final Set<BrokenOnPurpose> broken;
  private final ReadObserver observer;

  public ReadPath(RaftNode node, ReplicaProgress progress, Executor readExecutor) {
    this(node, progress, readExecutor, Set.of());
  }

  /** A read path that breaks the admission rules named in {@code broken}. */
  public ReadPath(RaftNode node, ReplicaProgress progress, Executor readExecutor,
      Set<BrokenOnPurpose> broken) {
    this(node, progress, readExecutor, broken, ReadObserver.NONE);
  }

  /** As above, reporting every admission and refusal to {@code observer}. */
  public ReadPath(RaftNode node, ReplicaProgress progress, Executor readExecutor,
      Set<BrokenOnPurpose> broken, ReadObserver observer) {
    this.node = node;
    this.progress = progress;
    this.readExecutor = readExecutor;
    this.broken = Set.copyOf(broken);
    this.observer = observer;
  }

  public ReplicaProgress progress() {
    return progress;
  }

  /**
   * Runs {@code read} once {@code requirement} admits this node. Fails with
   * {@link raftkv.core.RaftFailure} when a ReadIndex fails, {@link ReplicaLagging} when the
   * budget runs out, and {@link RocksDBException} (in a {@link CompletionException}) when
   * the read does.
   */
  public <T> CompletableFuture<ServedRead<T>> read(ReadRequirement requirement,
      StoreRead<IndexedRead<T>> read) {
    return read(requirement, read, false);
  }

  /**
   * As {@link #read(ReadRequirement, StoreRead)}; with {@code onReadExecutor} the store read
   * always runs on the read executor, even when admitted at once. For reads that may take
   * long (a range of thousands of keys): the caller's thread may be a transport thread.
   */
  public <T> CompletableFuture<ServedRead<T>> read(ReadRequirement requirement,
      StoreRead<IndexedRead<T>> read, boolean onReadExecutor) {
    if (onReadExecutor) {
      return CompletableFuture.supplyAsync(() -> read(requirement, read, false), readExecutor)
          .thenCompose(java.util.function.Function.identity());
    }
    if (observer == ReadObserver.NONE) {
      return admitAndRun(requirement, read);
    }
    return admitAndRun(requirement, read).whenComplete((served, failure) -> {
      if (served != null) {
        observer.admitted(requirement.level(), served.waitedMicros());
      } else {
        refusal(requirement, failure).ifPresent(r -> observer.refused(requirement.level(), r));
      }
    });
  }

  private static java.util.Optional<ReadObserver.Refusal> refusal(ReadRequirement requirement,
      Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof ReplicaLagging) {
      return java.util.Optional.of(requirement.waitBudgetMs() == 0
          ? ReadObserver.Refusal.NO_WAIT : ReadObserver.Refusal.WAIT_BUDGET_EXHAUSTED);
    }
    if (cause instanceof RemovedFromCluster) {
      return java.util.Optional.of(ReadObserver.Refusal.REMOVED_FROM_CLUSTER);
    }
    return java.util.Optional.empty();
  }

  private <T> CompletableFuture<ServedRead<T>> admitAndRun(ReadRequirement requirement,
      StoreRead<IndexedRead<T>> read) {
    long started = System.nanoTime();
    if (requirement.level() != Consistency.EVENTUAL && progress.removed()) {
      return CompletableFuture.failedFuture(new RemovedFromCluster());
    }
    if (!broken.isEmpty() && admittedByMistake(requirement.level())) {
      // Admitted from whatever is applied; the response still states the index it was at.
      return now(read, 0, started);
    }
    switch (requirement.level()) {
      case LINEARIZABLE:
      case CONSISTENCY_UNSPECIFIED:
        return node.readIndex().thenApplyAsync(index -> run(read, index, started), readExecutor);
      case SESSION:
        return admit(progress.awaitApplied(requirement.neededIndex(), requirement.waitBudgetMs()),
            read, started);
      case BOUNDED_STALENESS: {
        ReplicaProgress.Lag lag = progress.lag();
        if (requirement.withinBounds(lag)) {
          return now(read, lag.appliedIndex(), started);
        }
        if (requirement.waitBudgetMs() == 0) {
          return CompletableFuture.failedFuture(
              new ReplicaLagging(lag.appliedIndex(), lag.receivedIndex(), 0));
        }
        // A confirmation from the leader sent after this moment proves the bound; then the
        // entry bound is checked once more against what has been applied by then.
        long since = progress.nowMs() - requirement.allowedFreshnessAgeMs() / 2;
        return progress.freshSince(since, requirement.waitBudgetMs())
            .thenApplyAsync(confirmed -> {
              ReplicaProgress.Lag now = progress.lag();
              if (!requirement.withinBounds(now)) {
                throw new ReplicaLagging(now.appliedIndex(), now.receivedIndex(),
                    (System.nanoTime() - started) / 1_000_000);
              }
              return run(read, now.appliedIndex(), started);
            }, readExecutor);
      }
      case EVENTUAL:
        return now(read, 0, started);
      default:
        return CompletableFuture.failedFuture(
            new IllegalArgumentException("unsupported consistency level " + requirement.level()));
    }
  }

  /** Whether a {@link BrokenOnPurpose} switch admits a read at this level at once. */
  private boolean admittedByMistake(Consistency level) {
    return switch (level) {
      case LINEARIZABLE, CONSISTENCY_UNSPECIFIED ->
          broken.contains(BrokenOnPurpose.STALE_LEADER_READS) && node.believesLeader();
      case SESSION -> broken.contains(BrokenOnPurpose.LEARNER_IGNORES_TOKEN) && node.isLearner();
      default -> false;
    };
  }

  private <T> CompletableFuture<ServedRead<T>> admit(CompletableFuture<Long> admission,
      StoreRead<IndexedRead<T>> read, long started) {
    if (admission.isDone() && !admission.isCompletedExceptionally()) {
      return now(read, admission.join(), started);
    }
    return admission.thenApplyAsync(index -> run(read, index, started), readExecutor);
  }

  private <T> CompletableFuture<ServedRead<T>> now(StoreRead<IndexedRead<T>> read, long admittedAt,
      long started) {
    try {
      return CompletableFuture.completedFuture(run(read, admittedAt, started));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e.getCause() != null ? e.getCause() : e);
    }
  }

  private <T> ServedRead<T> run(StoreRead<IndexedRead<T>> read, long admittedAt, long started) {
    try {
      // Waiting is admission only: the store read itself is service time, not wait.
      long waitedMicros = (System.nanoTime() - started) / 1000;
      IndexedRead<T> result = read.read(node.store());
      return new ServedRead<>(result.result(), Math.max(result.appliedIndex(), admittedAt),
          waitedMicros, progress.lag());
    } catch (RocksDBException e) {
      throw new CompletionException(e);
    }
  }
}
