package raftkv.reads;

import java.util.ArrayDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import raftkv.core.RaftNode;

/**
 * This node's progress against the leader: its true applied index (configuration entries
 * included, which never reach the state machine's own counter) and its lag.
 *
 * <p>Lag, as served in every read response and used by BOUNDED_STALENESS:
 * <ul>
 *   <li>entries: entries this node has received (its last log index, never below the commit
 *       index it knows) but not applied. jraft's own commit index on a follower advances on
 *       the state machine thread, so it stalls exactly when apply does and cannot show apply
 *       lag; the received index can. It over-counts by the uncommitted tail of the log,
 *       which errs on the safe side for a staleness bound.
 *   <li>milliseconds: how long ago this node first held an entry it has still not applied
 *       (0 when it has applied everything it received), sampled every poll. Under steady load
 *       with apply keeping up this stays near the poll interval; when apply stalls it grows.
 * </ul>
 * A node cut off from the leader receives nothing, so its lag does not grow: bounded reads
 * on it rely on jraft noticing the lost leader (no leader known = refused).
 *
 * <p>Refreshed after every applied batch and by a timer (configuration entries and appends
 * produce no batch). Thread-safe.
 */
public final class ReplicaProgress implements AutoCloseable {
  /** A consistent view of the progress at one moment. */
  public record Lag(long appliedIndex, long receivedIndex, long entries, long millis,
      boolean leaderKnown) {}

  /** When this node first held an index: (time, index) samples, oldest first. */
  private record Sample(long atMs, long index) {}

  private static final int MAX_SAMPLES = 100_000;

  private final RaftNode node;
  private final LongSupplier clockMs;
  private final IndexWaiters waiters;
  private final ScheduledFuture<?> poller;
  private final ArrayDeque<Sample> unapplied = new ArrayDeque<>(); // guarded by this

  /**
   * @param pollMs how often the timer refreshes the progress, in ms: the resolution of lag in
   *     ms, and how late, at most, a read waiting for a configuration entry is admitted
   */
  public ReplicaProgress(RaftNode node, ScheduledExecutorService timer, LongSupplier clockMs,
      long pollMs) {
    this.node = node;
    this.clockMs = clockMs;
    this.waiters = new IndexWaiters(timer, clockMs);
    node.addAppliedListener(index -> refresh());
    this.poller = timer.scheduleWithFixedDelay(this::refresh, pollMs, pollMs, TimeUnit.MILLISECONDS);
    refresh();
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

  public Lag lag() {
    long applied = node.appliedIndex();
    long received = received(applied);
    long millis;
    synchronized (this) {
      pruneApplied(applied);
      Sample oldest = unapplied.peekFirst();
      millis = received <= applied || oldest == null
          ? 0 : Math.max(0, clockMs.getAsLong() - oldest.atMs());
    }
    return new Lag(applied, received, Math.max(0, received - applied), millis,
        node.leaderRaftAddress() != null);
  }

  private long received(long applied) {
    return Math.max(applied, Math.max(node.lastLogIndex(), node.commitIndex()));
  }

  /**
   * Drops samples whose index is applied, but keeps the time at which the first still
   * unapplied entry arrived: a sample covering both applied and unapplied entries is kept.
   */
  private void pruneApplied(long applied) {
    while (!unapplied.isEmpty() && unapplied.peekFirst().index() <= applied) {
      unapplied.removeFirst();
    }
  }

  @Override
  public void close() {
    poller.cancel(false);
  }
}
