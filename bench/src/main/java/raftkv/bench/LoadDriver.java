package raftkv.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.apache.commons.rng.simple.RandomSource;

/**
 * Keeps operations going: at most {@code clients} in flight, each on an idle session.
 *
 * <p>Closed loop ({@code rate == 0}): each completion starts the next operation at once.
 * Open loop: a pacer thread draws Poisson arrivals at {@code rate} per second; an arrival that
 * finds every client busy waits in a backlog, and its latency still counts from its arrival
 * (the coordinated-omission correction: a slow server is not allowed to slow the arrivals
 * down and so hide its own queueing).
 *
 * <p>Thread-safety: the queues and counters are guarded by this object; operations are
 * started outside the lock.
 */
final class LoadDriver {
  /** Arrivals that may wait for a client before new ones are dropped (and counted). */
  static final int MAX_BACKLOG = 1_000_000;

  /** Starts one operation of a session; the future completes when it is done. */
  @FunctionalInterface
  interface Operation {
    CompletableFuture<Void> run(SessionSlot slot, long intendedStartNanos);
  }

  private final Operation workload;
  private final int clients;
  private final double rate;
  private final long seed;
  // Guarded by this.
  private final ArrayDeque<SessionSlot> idle;
  private final ArrayDeque<Long> backlog = new ArrayDeque<>();
  private int inFlight;
  private boolean stopping;
  private long droppedArrivals;
  private long unsentAtStop;
  private final CompletableFuture<Void> drained = new CompletableFuture<>();
  private Thread pacer;

  LoadDriver(Operation workload, List<SessionSlot> sessions, int clients, double rate, long seed) {
    this.workload = workload;
    this.idle = new ArrayDeque<>(sessions);
    this.clients = clients;
    this.rate = rate;
    this.seed = seed;
  }

  void start() {
    if (rate > 0) {
      pacer = new Thread(this::pace, "bench-pacer");
      pacer.setDaemon(true);
      pacer.start();
    } else {
      long now = System.nanoTime();
      List<Start> starts = new ArrayList<>();
      synchronized (this) {
        for (int i = 0; i < clients; i++) {
          starts.add(new Start(idle.poll(), now));
          inFlight++;
        }
      }
      starts.forEach(this::launch);
    }
  }

  /**
   * Stops starting operations and waits up to {@code timeoutMillis} for those in flight.
   *
   * @return true if every operation in flight finished in time
   */
  boolean stopAndDrain(long timeoutMillis) throws InterruptedException {
    synchronized (this) {
      stopping = true;
      unsentAtStop = backlog.size();
      backlog.clear();
      if (inFlight == 0) {
        drained.complete(null);
      }
    }
    if (pacer != null) {
      pacer.interrupt();
      pacer.join(1000);
    }
    try {
      drained.get(timeoutMillis, TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Open loop: arrivals dropped because the backlog was full. */
  synchronized long droppedArrivals() {
    return droppedArrivals;
  }

  /** Open loop: arrivals still waiting for a client when the run stopped (never sent). */
  synchronized long unsentAtStop() {
    return unsentAtStop;
  }

  private void pace() {
    UniformRandomProvider random = RandomSource.XO_RO_SHI_RO_128_PP.create(seed ^ 0x5DEECE66DL);
    ZigguratSampler.Exponential gaps = ZigguratSampler.Exponential.of(random);
    double nanosPerOp = 1e9 / rate;
    long next = System.nanoTime() + (long) (gaps.sample() * nanosPerOp);
    while (!Thread.currentThread().isInterrupted()) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
        continue;
      }
      List<Start> starts;
      synchronized (this) {
        if (stopping) {
          return;
        }
        // Every arrival due by now, each keeping its own intended start.
        long now = System.nanoTime();
        while (next <= now) {
          enqueue(next);
          next += (long) (gaps.sample() * nanosPerOp);
        }
        starts = pump();
      }
      starts.forEach(this::launch);
    }
  }

  // Guarded by this.
  private void enqueue(long intendedStart) {
    if (backlog.size() >= MAX_BACKLOG) {
      droppedArrivals++;
    } else {
      backlog.add(intendedStart);
    }
  }

  /** Pairs waiting arrivals with idle sessions while clients are free. Guarded by this. */
  private List<Start> pump() {
    List<Start> starts = new ArrayList<>();
    while (!backlog.isEmpty() && inFlight < clients && !idle.isEmpty()) {
      starts.add(new Start(idle.poll(), backlog.poll()));
      inFlight++;
    }
    return starts;
  }

  private void launch(Start start) {
    CompletableFuture<Void> op;
    try {
      op = workload.run(start.slot(), start.intendedStartNanos());
    } catch (RuntimeException e) {
      op = CompletableFuture.failedFuture(e);
    }
    if (op.isDone()) {
      // Completed on this thread: finish on another, so that a run of instant failures
      // cannot recurse launch -> finished -> launch down this stack.
      CompletableFuture.runAsync(() -> finished(start.slot()));
    } else {
      op.whenComplete((ignored, failure) -> finished(start.slot()));
    }
  }

  private void finished(SessionSlot slot) {
    List<Start> starts;
    synchronized (this) {
      inFlight--;
      idle.add(slot);
      if (stopping) {
        if (inFlight == 0) {
          drained.complete(null);
        }
        return;
      }
      if (rate > 0) {
        starts = pump();
      } else {
        starts = List.of(new Start(idle.poll(), System.nanoTime()));
        inFlight++;
      }
    }
    starts.forEach(this::launch);
  }

  private record Start(SessionSlot slot, long intendedStartNanos) {}
}
