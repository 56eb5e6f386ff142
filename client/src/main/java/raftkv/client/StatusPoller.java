package raftkv.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import raftkv.v1.AdminGrpc;
import raftkv.v1.StatusRequest;

/**
 * Asks every configured endpoint for its Admin.Status in the background and tells the {@link
 * Router} (role, node id, term, applied index; or that the node did not answer): once when
 * started, then every interval, and again soon after a call finds the router's view out of
 * date ({@link #refresh}: requests coalesce into one poll, at least {@link #MIN_REFRESH_GAP}
 * after the previous round).
 *
 * <p>At most one question per endpoint is open at a time, so a node that hangs is not piled
 * up on. Nothing here blocks: polls run on the client's timer thread and the answers arrive on
 * gRPC's threads.
 *
 * <p>Thread-safe. Owned by a {@link Dispatcher}; stops when its timer is shut down.
 */
final class StatusPoller {
  static final Duration MIN_REFRESH_GAP = Duration.ofMillis(250);

  private final Dispatcher dispatcher;
  private final Duration interval;
  private final Duration callDeadline;
  private final Map<String, CompletableFuture<Void>> open = new ConcurrentHashMap<>();
  private final AtomicLong lastRoundNanos;
  private final CompletableFuture<Void> firstRound = new CompletableFuture<>();
  private final AtomicBoolean refreshPending = new AtomicBoolean();

  StatusPoller(Dispatcher dispatcher, Duration interval, Duration callDeadline) {
    this.dispatcher = dispatcher;
    this.interval = interval;
    this.callDeadline = callDeadline;
    this.lastRoundNanos = new AtomicLong(System.nanoTime() - MIN_REFRESH_GAP.toNanos());
  }

  void start() {
    try {
      dispatcher.scheduler().execute(
          () -> poll().whenComplete((v, t) -> firstRound.complete(null)));
      dispatcher.scheduler().scheduleWithFixedDelay(this::poll, interval.toNanos(),
          interval.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      // The client closed while being built.
      firstRound.complete(null);
    }
  }

  /** The client closed: nothing more will be polled. */
  void stop() {
    firstRound.complete(null);
  }

  /** Completes once the round started by {@link #start} is over (or the client closed). */
  CompletableFuture<Void> firstRound() {
    return firstRound;
  }

  /**
   * Polls soon: at once, or {@link #MIN_REFRESH_GAP} after the last round started if that was
   * more recent. Requests made while one is pending are covered by it.
   */
  void refresh() {
    if (!refreshPending.compareAndSet(false, true)) {
      return;
    }
    long wait = Math.max(0,
        lastRoundNanos.get() + MIN_REFRESH_GAP.toNanos() - System.nanoTime());
    try {
      dispatcher.scheduler().schedule(() -> {
        refreshPending.set(false);
        poll();
      }, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      // Closed: nothing to refresh.
    }
  }

  /** One round: completes when every endpoint has answered or failed and the router knows. */
  CompletableFuture<Void> poll() {
    lastRoundNanos.set(System.nanoTime());
    List<CompletableFuture<Void>> round = new ArrayList<>();
    for (String endpoint : dispatcher.router().endpoints()) {
      round.add(ask(endpoint));
    }
    return CompletableFuture.allOf(round.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> ask(String endpoint) {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> already = open.putIfAbsent(endpoint, mine);
    if (already != null) {
      return already;
    }
    Router router = dispatcher.router();
    CompletableFuture<raftkv.v1.StatusResponse> answer;
    try {
      answer = dispatcher.once(endpoint, AdminGrpc.getStatusMethod(),
          StatusRequest.getDefaultInstance(), callDeadline);
    } catch (RuntimeException e) {
      // Nothing may escape: it would cancel the periodic polls.
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((status, failure) -> {
      try {
        if (failure == null) {
          router.observeStatus(endpoint, status);
        } else {
          router.statusFailed(endpoint);
        }
      } finally {
        open.remove(endpoint, mine);
        mine.complete(null);
      }
    });
    return mine;
  }
}
