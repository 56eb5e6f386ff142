package raftkv.reads;

import com.alipay.sofa.jraft.option.ReadOnlyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
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
 *       (0 when it has applied everything it received), sampled every poll (while idle, the
 *       first poll after an entry arrives may be {@code idlePollMs} late); or, when the
 *       leader has not been heard from for longer than {@link #CONTACT_SLACK_MS}, the age of
 *       the last confirmed contact (below).
 * </ul>
 *
 * <p>Freshness: a node that cannot reach the leader receives nothing, so its lag alone would
 * look like 0 forever (a learner never even drops its leader). So every
 * {@code freshnessSampleMs}, and at once when a read needs a fresher confirmation than the
 * last one ({@link #freshSince}), the node asks the leader for a lease-based ReadIndex; jraft
 * completes it once this node has applied that index. When one completes, this node has
 * applied everything the leader had committed when the request was sent: its state is at
 * most {@code now - freshAsOf} old. BOUNDED_STALENESS admission rests on that bound.
 *
 * <p>Cost when idle: the poll runs every {@code pollMs} only while a read waits or entries
 * are received but not applied, else every {@code idlePollMs}; rounds to the leader are
 * asked for by reads, with the periodic one only keeping contact known. A fixed 5 ms poll and
 * a round every 50 ms from every node were a quarter of an idle cluster's CPU.
 *
 * <p>Thread-safety: safe from any thread. The applied listener runs on jraft's state
 * machine thread and only advances the waiters with the store's index: calling jraft's
 * getters there (which take the node's lock) could deadlock against jraft enqueueing work
 * for that thread under its write lock. Everything else runs on the timer.
 */
public final class ReplicaProgress implements AutoCloseable {
  /** Leader contact older than this shows in lag_ms. */
  static final long CONTACT_SLACK_MS = 500;

  /** Pause before asking again for a confirmation a read waits for, after a failed round. */
  static final long FRESHNESS_RETRY_MS = 50;

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
  private final long pollMs;
  private final long idlePollMs;
  private final ScheduledFuture<?> freshnessSamples;
  private ScheduledFuture<?> nextPoll; // guarded by this; null while a poll runs
  private long pollGeneration; // guarded by this: only the latest scheduled poll runs
  private boolean closed; // guarded by this
  private final ArrayDeque<Sample> unapplied = new ArrayDeque<>(); // guarded by this
  private final List<FreshWaiter> freshWaiters = new ArrayList<>(); // guarded by this
  private final AtomicBoolean sampling = new AtomicBoolean();
  private volatile long freshAsOfMs; // 0: never confirmed
  private volatile boolean removed;

  /**
   * @param pollMs how often the timer refreshes indexes while reads wait or entries are
   *     unapplied, in ms: the resolution of lag in ms, and how late, at most, a read waiting
   *     for a configuration entry is admitted
   * @param idlePollMs how often it refreshes them otherwise (>= pollMs)
   * @param freshnessSampleMs how often, at least, the leader is asked to confirm this node's
   *     freshness; keep it well below {@link #CONTACT_SLACK_MS} so that a node in contact
   *     never shows a contact lag
   */
  public ReplicaProgress(RaftNode node, ScheduledExecutorService timer, LongSupplier clockMs,
      long pollMs, long idlePollMs, long freshnessSampleMs) {
    if (pollMs <= 0 || idlePollMs < pollMs) {
      throw new IllegalArgumentException("need 0 < pollMs <= idlePollMs, got " + pollMs
          + " and " + idlePollMs);
    }
    this.node = node;
    this.clockMs = clockMs;
    this.timer = timer;
    this.pollMs = pollMs;
    this.idlePollMs = idlePollMs;
    this.waiters = new IndexWaiters(timer, clockMs);
    node.addAppliedListener(waiters::advance);
    removed = node.isRemoved();
    schedulePoll(0);
    freshnessSamples = timer.scheduleWithFixedDelay(this::sampleFreshness, 0,
        freshnessSampleMs, TimeUnit.MILLISECONDS);
  }

  /**
   * Completes with the applied index once it reaches {@code needed} (see
   * {@link IndexWaiters#await}). A read that has to wait makes the poll run at its fast
   * rate: a configuration entry reaches the waiters only through the poll.
   */
  public CompletableFuture<Long> awaitApplied(long needed, long budgetMs) {
    CompletableFuture<Long> admission = waiters.await(needed, budgetMs);
    if (!admission.isDone()) {
      schedulePoll(0);
    }
    return admission;
  }

  private void poll(long generation) {
    synchronized (this) {
      if (generation != pollGeneration || closed) {
        return; // superseded by a sooner poll
      }
      nextPoll = null;
    }
    refresh();
    boolean busy;
    synchronized (this) {
      busy = !unapplied.isEmpty();
    }
    schedulePoll(busy || !waiters.isEmpty() ? pollMs : idlePollMs);
  }

  /**
   * Makes the next poll run in {@code delayMs}, unless one is due sooner. Exactly one poll is
   * pending or running at any time: a poll replaced by a sooner one does nothing if it runs
   * anyway, and a running poll schedules the next one itself.
   */
  private synchronized void schedulePoll(long delayMs) {
    if (closed) {
      return;
    }
    if (nextPoll != null) {
      if (nextPoll.getDelay(TimeUnit.MILLISECONDS) <= delayMs) {
        return;
      }
      nextPoll.cancel(false);
    }
    long generation = ++pollGeneration;
    nextPoll = onTimer(() -> timer.schedule(() -> poll(generation), delayMs,
        TimeUnit.MILLISECONDS));
  }

  /** Runs {@code schedule} unless the timer was shut down (the node is stopping). */
  private static ScheduledFuture<?> onTimer(Supplier<ScheduledFuture<?>> schedule) {
    try {
      return schedule.get();
    } catch (RejectedExecutionException stopping) {
      return null;
    }
  }

  /**
   * Whether this node was removed from the configuration ({@link RaftNode#isRemoved}) as of
   * the last poll, at most {@code idlePollMs} ago. Reads ask this instead of jraft: asking jraft
   * takes its node lock and copies the configuration twice, 5 % of a learner's CPU under
   * session reads. A read admitted in that window is still correct (it is served from what
   * this node has applied, at the index it states); only a removed node's refusal is late.
   */
  public boolean removed() {
    return removed;
  }

  /** Re-reads the node's indexes, records newly received ones, admits waiting reads. */
  public void refresh() {
    // Membership is remembered when observed: poll it so that a learner listed and then
    // removed between two reads still knows it was a member.
    removed = node.isRemoved();
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
      // Reads that asked for a confirmation newer than this round get their own round at
      // once; after a failed round, after a pause (no round storm without a leader).
      long afterMs = failure == null ? sentAt : Long.MIN_VALUE;
      if (waitingForConfirmationAfter(afterMs)) {
        long delayMs = failure == null ? 0 : FRESHNESS_RETRY_MS;
        onTimer(() -> timer.schedule(this::sampleFreshness, delayMs, TimeUnit.MILLISECONDS));
      }
    });
  }

  private synchronized boolean waitingForConfirmationAfter(long asOfMs) {
    return freshWaiters.stream().anyMatch(w -> w.sinceMs() > asOfMs);
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
    // A round in flight now was sent before sinceMs: its completion starts the next one.
    if (!sampling.get()) {
      onTimer(() -> timer.schedule(this::sampleFreshness, 0, TimeUnit.MILLISECONDS));
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
  public synchronized void close() {
    closed = true;
    freshnessSamples.cancel(false);
    if (nextPoll != null) {
      nextPoll.cancel(false);
    }
  }
}
