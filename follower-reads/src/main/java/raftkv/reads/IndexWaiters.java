package raftkv.reads;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Reads waiting for this replica's applied index to reach the index they need, each with
 * its own deadline. Apply calls {@link #advance}; every waiter at or below the new index is
 * completed, in index order, and a waiter whose budget runs out fails with
 * {@link ReplicaLagging}. Nobody blocks: a waiter is a future.
 *
 * <p>Invariant: every key of {@code waiting} is greater than {@code applied} (a waiter at
 * or below it is completed before the lock is released).
 *
 * <p>Thread-safety: safe from any thread. Futures are completed outside the lock, on the
 * thread that advanced the index or on the timer; callers move real work elsewhere.
 */
public final class IndexWaiters {
  private final ScheduledExecutorService timer;
  private final LongSupplier clockMs;
  private final Object lock = new Object();
  // Guarded by lock.
  private final TreeMap<Long, List<CompletableFuture<Long>>> waiting = new TreeMap<>();
  private long applied;

  /**
   * @param timer runs the budget timeouts
   * @param clockMs milliseconds for the "waited" figure in {@link ReplicaLagging}
   */
  public IndexWaiters(ScheduledExecutorService timer, LongSupplier clockMs) {
    this.timer = timer;
    this.clockMs = clockMs;
  }

  /** The highest applied index reported so far. */
  public long applied() {
    synchronized (lock) {
      return applied;
    }
  }

  /** Whether no read is waiting. */
  public boolean isEmpty() {
    synchronized (lock) {
      return waiting.isEmpty();
    }
  }

  /** How many reads are waiting. */
  public int size() {
    synchronized (lock) {
      return waiting.values().stream().mapToInt(List::size).sum();
    }
  }

  /**
   * Completes with the applied index once it is at least {@code needed}: at once when it
   * already is, else when {@link #advance} reaches it, else fails with
   * {@link ReplicaLagging} after {@code budgetMs} (0: fail at once).
   */
  public CompletableFuture<Long> await(long needed, long budgetMs) {
    CompletableFuture<Long> future = new CompletableFuture<>();
    long now;
    synchronized (lock) {
      if (applied >= needed) {
        return CompletableFuture.completedFuture(applied);
      }
      if (budgetMs <= 0) {
        return CompletableFuture.failedFuture(new ReplicaLagging(applied, needed, 0));
      }
      waiting.computeIfAbsent(needed, k -> new ArrayList<>(1)).add(future);
      now = clockMs.getAsLong();
    }
    long started = now;
    java.util.concurrent.ScheduledFuture<?> timeout =
        timer.schedule(() -> expire(needed, future, started), budgetMs, TimeUnit.MILLISECONDS);
    // Admitted early: drop the timer rather than keep it queued for the whole budget.
    future.whenComplete((index, failure) -> timeout.cancel(false));
    return future;
  }

  /** Records a new applied index (lower ones are ignored) and completes the waiters it covers. */
  public void advance(long index) {
    List<CompletableFuture<Long>> ready = new ArrayList<>();
    long reached;
    synchronized (lock) {
      if (index <= applied) {
        return;
      }
      applied = index;
      reached = index;
      Map<Long, List<CompletableFuture<Long>>> covered = waiting.headMap(index, true);
      covered.values().forEach(ready::addAll);
      covered.clear();
    }
    // In index order: headMap iterates ascending.
    for (CompletableFuture<Long> f : ready) {
      f.complete(reached);
    }
  }

  private void expire(long needed, CompletableFuture<Long> future, long started) {
    long appliedNow;
    synchronized (lock) {
      List<CompletableFuture<Long>> atIndex = waiting.get(needed);
      if (atIndex == null || !atIndex.remove(future)) {
        return;
      }
      if (atIndex.isEmpty()) {
        waiting.remove(needed);
      }
      appliedNow = applied;
    }
    future.completeExceptionally(
        new ReplicaLagging(appliedNow, needed, clockMs.getAsLong() - started));
  }
}
