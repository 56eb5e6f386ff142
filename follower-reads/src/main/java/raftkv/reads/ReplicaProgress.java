package raftkv.reads;

import com.alipay.sofa.jraft.option.ReadOnlyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import raftkv.core.RaftNode;

/**
 * This node's progress against the leader: its true applied index (configuration entries
 * included, which never reach the state machine's own counter), its lag, and how fresh it is
 * known to be.
 *
 * <p>Lag, as served in every read response:
 * <ul>
 *   <li>entries: entries this node has received (its last log index, never below the commit
 *       index it knows) but not applied. jraft's own commit index on a follower advances on
 *       the state machine thread, so it stalls exactly when apply does and cannot show apply
 *       lag; the received index can. It over-counts by the uncommitted tail of the log.
 *   <li>milliseconds: how long ago this node first held an entry it has still not applied
 *       (0 when it has applied everything it received), sampled every poll; or, when the
 *       leader has not been heard from for longer than {@link #CONTACT_SLACK_MS}, the age of
 *       the last confirmed contact (below).
 * </ul>
 *
 * <p>Freshness: a node that cannot reach the leader receives nothing, so its lag alone would
 * look like 0 forever (a learner never even drops its leader). So every
 * {@code freshnessSampleMs} the node asks the leader for a lease-based ReadIndex; jraft
 * completes it once this node has applied that index. When one completes, this node has
 * applied everything the leader had committed when the request was sent: its state is at
 * most {@code now - freshAsOf} old. BOUNDED_STALENESS admission rests on that bound.
 *
 * <p>Thread-safety: safe from any thread. The applied listener runs on jraft's state
 * machine thread and only advances the waiters with the store's index: calling jraft's
 * getters there (which take the node's lock) could deadlock against jraft enqueueing work
 * for that thread under its write lock. Everything else runs on the timer.
 */
public final class ReplicaProgress implements AutoCloseable {
  /** Leader contact older than this shows in lag_ms. */
  static final long CONTACT_SLACK_MS = 500;

  /** A consistent view of the progress at one moment. */
  public record Lag(long appliedIndex, long receivedIndex, long entries, long millis,
      long freshnessAgeMs) {}

  /** When this node first held an index: (time, index) samples, oldest first. */
  private record Sample(long atMs, long index) {}

  /** A read waiting for a freshness confirmation no older than {@code sinceMs}. */
  private record FreshWaiter(long sinceMs, CompletableFuture<Void> future) {}

  private static final int MAX_SAMPLES = 100_000;

  private final RaftNode node;
  private final LongSupplier clockMs;
  private final ScheduledExecutorService timer;
  private final IndexWaiters waiters;
  private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
  private final ArrayDeque<Sample> unapplied = new ArrayDeque<>(); // guarded by this
  private final List<FreshWaiter> freshWaiters = new ArrayList<>(); // guarded by this
  private final AtomicBoolean sampling = new AtomicBoolean();
  private volatile long freshAsOfMs; // 0: never confirmed

  /**
   * @param pollMs how often the timer refreshes indexes, in ms: the resolution of lag in ms,
   *     and how late, at most, a read waiting for a configuration entry is admitted
   * @param freshnessSampleMs how often the leader is asked to confirm this node's freshness
   */
  public ReplicaProgress(RaftNode node, ScheduledExecutorService timer, LongSupplier clockMs,
      long pollMs, long freshnessSampleMs) {
    this.node = node;
    this.clockMs = clockMs;
    this.timer = timer;
    this.waiters = new IndexWaiters(timer, clockMs);
    node.addAppliedListener(waiters::advance);
    tasks.add(timer.scheduleWithFixedDelay(this::refresh, 0, pollMs, TimeUnit.MILLISECONDS));
    tasks.add(timer.scheduleWithFixedDelay(this::sampleFreshness, 0, freshnessSampleMs,
        TimeUnit.MILLISECONDS));
  }

  public IndexWaiters waiters() {
    return waiters;
  }

  /** Re-reads the node's indexes, records newly received ones, admits waiting reads. */
  public void refresh() {
    // Membership is remembered when observed: poll it so that a learner listed and then
    // removed between two reads still knows it was a member.
    node.isRemoved();
    long applied = node.appliedIndex();
    long received = received(applied);
    synchronized (this) {
      Sample last = unapplied.peekLast();
      if (received > applied && (last == null || received > last.index())) {
        if (unapplied.size() == MAX_SAMPLES) {
          // Keep the oldest (it defines the lag) and thin out the rest.
          unapplied.removeLast();
        }
        unapplied.addLast(new Sample(clockMs.getAsLong(), received));
      }
      pruneApplied(applied);
    }
    waiters.advance(applied);
  }

  private void sampleFreshness() {
    if (!sampling.compareAndSet(false, true)) {
      return;
    }
    long sentAt = clockMs.getAsLong();
    node.readIndex(ReadOnlyOption.ReadOnlyLeaseBased).whenComplete((index, failure) -> {
      sampling.set(false);
      if (failure == null) {
        confirmFresh(sentAt);
      }
    });
  }

  private void confirmFresh(long asOfMs) {
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    synchronized (this) {
      if (asOfMs > freshAsOfMs) {
        freshAsOfMs = asOfMs;
      }
      freshWaiters.removeIf(w -> {
        if (w.sinceMs() <= freshAsOfMs) {
          ready.add(w.future());
          return true;
        }
        return false;
      });
    }
    ready.forEach(f -> f.complete(null));
  }

  /**
   * Completes once the leader has confirmed this node fresh as of {@code sinceMs} or later;
   * fails with {@link ReplicaLagging} after {@code budgetMs}.
   */
  public CompletableFuture<Void> freshSince(long sinceMs, long budgetMs) {
    CompletableFuture<Void> future = new CompletableFuture<>();
    synchronized (this) {
      if (freshAsOfMs >= sinceMs) {
        return CompletableFuture.completedFuture(null);
      }
      freshWaiters.add(new FreshWaiter(sinceMs, future));
    }
    ScheduledFuture<?> timeout = timer.schedule(() -> {
      synchronized (this) {
        freshWaiters.removeIf(w -> w.future() == future);
      }
      Lag lag = lag();
      future.completeExceptionally(
          new ReplicaLagging(lag.appliedIndex(), lag.receivedIndex(), budgetMs));
    }, budgetMs, TimeUnit.MILLISECONDS);
    future.whenComplete((ok, failure) -> timeout.cancel(false));
    return future;
  }

  public long nowMs() {
    return clockMs.getAsLong();
  }

  public Lag lag() {
    long applied = node.appliedIndex();
    long received = received(applied);
    long now = clockMs.getAsLong();
    long freshAge = freshAsOfMs == 0 ? Long.MAX_VALUE : Math.max(0, now - freshAsOfMs);
    long millis;
    synchronized (this) {
      pruneApplied(applied);
      Sample oldest = unapplied.peekFirst();
      millis = received <= applied || oldest == null ? 0 : Math.max(0, now - oldest.atMs());
    }
    if (freshAge > CONTACT_SLACK_MS && freshAsOfMs != 0) {
      millis = Math.max(millis, freshAge);
    }
    return new Lag(applied, received, Math.max(0, received - applied), millis, freshAge);
  }

  private long received(long applied) {
    return Math.max(applied, Math.max(node.lastLogIndex(), node.commitIndex()));
  }

  /**
   * Drops samples whose index is applied, but keeps the time at which the first still
   * unapplied entry arrived.
   */
  private void pruneApplied(long applied) {
    while (!unapplied.isEmpty() && unapplied.peekFirst().index() <= applied) {
      unapplied.removeFirst();
    }
  }

  @Override
  public void close() {
    tasks.forEach(t -> t.cancel(false));
  }
}
