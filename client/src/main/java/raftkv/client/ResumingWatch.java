package raftkv.client;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import raftkv.client.Router.ReadPlan;
import raftkv.client.Router.Route;
import raftkv.v1.Consistency;
import raftkv.v1.LagPolicy;
import raftkv.v1.ReplicaLagging;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchGrpc;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * The engine of a {@link Watcher}: one Watch stream at a time, resumed on another node when it
 * breaks, with exactly-once delivery to a {@link WatchSink}.
 *
 * <p>Invariants: {@code received} (the highest position received, with its token) only grows;
 * a change reaches the sink only if its index is above {@code received} at that moment, and
 * {@code received} then moves past it, so nothing is delivered twice even when a stale stream
 * and its replacement overlap; each stream starts after the token of {@code received} (or
 * where the request said, before any message came), so nothing is skipped. The node is asked
 * for at most {@link WatchSink#room()} messages beyond those received, which bounds memory.
 *
 * <p>Threads: gRPC callbacks of the current stream, the client's timer (backoffs, idle check)
 * and the caller (close, pulling). {@code lock} guards the stream state and is never held
 * while the sink runs; {@code deliveryLock} serializes the sink, and is taken before {@code
 * lock} where both are needed, never the other way round.
 */
final class ResumingWatch {
  private static final Logger log = System.getLogger(ResumingWatch.class.getName());
  /** The server's progress interval when the request leaves it 0. */
  static final int DEFAULT_PROGRESS_MS = 5000;
  private static final int IDLE_INTERVALS = 3;

  private final Dispatcher dispatcher;
  private final WatchRequest request;
  private final WatchSink sink;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final long idleLimitNanos;
  private final long checkEveryNanos;

  private final Object lock = new Object();
  // Guarded by lock: the stream (its call, retry and idle check), and the state below.
  private final StreamLifecycle<WatchRequest, WatchResponse> stream;
  private int requested;
  private long lastHeardNanos;
  private ReadPlan plan;
  private final Map<String, Throwable> unusable = new LinkedHashMap<>();

  private final Object deliveryLock = new Object();
  // Written under deliveryLock; read by the stream logic to resume.
  private volatile long received;
  private volatile String receivedToken = "";
  private volatile boolean started;

  /** @param request as completed by the {@link Watcher}: read options and start */
  ResumingWatch(Dispatcher dispatcher, WatchRequest request, WatchSink sink) {
    this.dispatcher = dispatcher;
    this.request = request;
    this.sink = sink;
    this.stream = new StreamLifecycle<>(dispatcher, WatchGrpc.getWatchMethod(), lock,
        () -> end(KvException.closed()));
    int interval = request.getProgressIntervalMs() == 0 ? DEFAULT_PROGRESS_MS
        : Math.max(100, request.getProgressIntervalMs());
    int budget = request.getRead().getWaitBudgetMs();
    this.checkEveryNanos = TimeUnit.MILLISECONDS.toNanos(interval);
    this.idleLimitNanos = TimeUnit.MILLISECONDS.toNanos((long) IDLE_INTERVALS * interval + budget);
    if (request.getStartCase() == WatchRequest.StartCase.START_AFTER_INDEX) {
      received = request.getStartAfterIndex();
    } else if (request.getStartCase() == WatchRequest.StartCase.START_AFTER_TOKEN) {
      received = Watcher.indexOf(request.getStartAfterToken());
    }
  }

  CompletableFuture<Void> done() {
    return done;
  }

  /**
   * Opens the first stream once the client knows the nodes' roles (a just-built client is
   * still asking): a watch keeps its node, so it should be a learner's when there is one.
   */
  void start() {
    stream.endWithClient();
    synchronized (lock) {
      if (stream.ended() || !stream.repeat(this::checkIdle, checkEveryNanos)) {
        // Ended, or the client is closing and its close ends this watch.
        return;
      }
    }
    dispatcher.rolesLearned().whenComplete((v, t) -> {
      String first;
      synchronized (lock) {
        if (stream.ended()) {
          return;
        }
        plan = newPlan();
        first = dispatcher.router().first(Route.REPLICA, plan);
      }
      attempt(first);
    });
  }

  void close() {
    end(null);
  }

  /** The sink made room: ask the current stream for as many messages as fit. */
  void askForMore() {
    ClientCall<WatchRequest, WatchResponse> asked;
    int more;
    synchronized (lock) {
      if (stream.ended() || stream.call() == null) {
        return;
      }
      more = sink.room() - requested;
      if (more <= 0) {
        return;
      }
      if (requested == 0) {
        // The idle clock runs only while the node has something to send into.
        lastHeardNanos = System.nanoTime();
      }
      requested += more;
      asked = stream.call();
    }
    asked.request(more);
  }

  /** Routing for the next stream: like a SESSION read of the position, lagging nodes skipped. */
  private ReadPlan newPlan() {
    return new ReadPlan(Consistency.SESSION, received, LagPolicy.FALLBACK);
  }

  /** The request for the next stream: after the last position received, once there is one. */
  private WatchRequest startRequest() {
    String token = receivedToken;
    return token.isEmpty() ? request : request.toBuilder().setStartAfterToken(token).build();
  }

  private void attempt(String node) {
    ClientCall<WatchRequest, WatchResponse> opened;
    long id;
    synchronized (lock) {
      if (stream.ended()) {
        return;
      }
      opened = stream.open(node);
      if (opened != null) {
        id = stream.attempt();
        requested = 0;
        lastHeardNanos = System.nanoTime();
      } else {
        id = -1;
      }
    }
    if (opened == null) {
      end(KvException.closed());
      return;
    }
    try {
      opened.start(new StreamListener(id, node), new Metadata());
      opened.sendMessage(startRequest());
      opened.halfClose();
    } catch (RuntimeException e) {
      opened.cancel("could not start the watch", e);
      return;
    }
    askForMore();
  }

  /** Cancels a stream that went quiet while it had messages to send; onClose resumes. */
  private void checkIdle() {
    ClientCall<WatchRequest, WatchResponse> quiet = null;
    String node = null;
    synchronized (lock) {
      if (!stream.ended() && stream.call() != null && requested > 0
          && System.nanoTime() - lastHeardNanos > idleLimitNanos) {
        quiet = stream.call();
        node = stream.target();
      }
    }
    if (quiet != null) {
      log.log(Level.DEBUG, "watch at {0}: nothing for {1} ms; resuming elsewhere", node,
          String.valueOf(TimeUnit.NANOSECONDS.toMillis(idleLimitNanos)));
      quiet.cancel("no message from " + node + " within "
          + TimeUnit.NANOSECONDS.toMillis(idleLimitNanos) + " ms", null);
    }
  }

  private final class StreamListener extends ClientCall.Listener<WatchResponse> {
    private final long id;
    private final String node;

    StreamListener(long id, String node) {
      this.id = id;
      this.node = node;
    }

    @Override
    public void onMessage(WatchResponse message) {
      synchronized (lock) {
        if (!stream.isCurrent(id)) {
          return;
        }
        requested--;
        lastHeardNanos = System.nanoTime();
        if (message.getCreated()) {
          // The node accepted the start: the next break starts the backoff over.
          stream.resetBackoff();
          unusable.clear();
        }
      }
      dispatcher.channels().answered(node);
      if (deliver(message)) {
        askForMore();
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (stream.closed(id)) {
        broke(node, StreamLifecycle.breakOf(status, trailers, node + " ended the watch stream"));
      }
    }
  }

  /**
   * Hands {@code message} to the sink, minus what was delivered before; false if the sink
   * failed and the watch is over.
   */
  private boolean deliver(WatchResponse message) {
    synchronized (deliveryLock) {
      if (done.isDone()) {
        return false;
      }
      long before = received;
      WatchResponse handed = null;
      if (message.getCreated()) {
        if (!started) {
          started = true;
          handed = message;
        }
      } else if (message.getEventsCount() > 0) {
        List<WatchEvent> fresh = message.getEventsList().stream()
            .filter(e -> e.getIndex() > before).toList();
        if (fresh.size() == message.getEventsCount()) {
          handed = message;
        } else if (!fresh.isEmpty()) {
          handed = message.toBuilder().clearEvents().addAllEvents(fresh).build();
        }
      } else if (message.getPosition() >= before) {
        handed = message;
      }
      if (message.getPosition() >= before) {
        received = message.getPosition();
        if (!message.getSessionToken().isEmpty()) {
          receivedToken = message.getSessionToken();
        }
      }
      if (handed != null) {
        try {
          sink.accept(handed);
        } catch (RuntimeException e) {
          log.log(Level.WARNING, "the watch listener threw; the watch ends", e);
          end(new KvException(Status.Code.UNKNOWN, "", null,
              "UNKNOWN: the watch listener threw " + e, e));
          return false;
        }
      }
      return true;
    }
  }

  /** The stream to {@code node} ended with {@code failure}: resume, or end for good. */
  private void broke(String node, Throwable failure) {
    KvException cause = KvException.of(failure, node);
    if (final_(failure)) {
      end(cause);
      return;
    }
    Router router = dispatcher.router();
    String next;
    long delay;
    synchronized (lock) {
      if (stream.ended()) {
        return;
      }
      boolean refused = KvException.refusedConnection(failure);
      if (KvException.nodeRemoved(failure).isPresent()
          || (refused && !dispatcher.channels().hasAnswered(node))) {
        unusable.put(node, failure);
      } else if (refused) {
        dispatcher.channels().reconnectNow(node);
      }
      ReplicaLagging lagging = KvException.replicaLagging(failure).orElse(null);
      next = lagging == null ? null : router.afterLagging(plan, node, lagging);
      if (next != null) {
        delay = 0;
      } else {
        if (lagging == null) {
          next = router.afterFailure(Route.REPLICA, plan, node, null);
        }
        // Every node refused as lagging, or the stream broke: start the routing over from
        // the position, after a backoff.
        plan = newPlan();
        if (next == null) {
          next = router.first(Route.REPLICA, plan);
        }
        delay = stream.nextBackoffNanos();
      }
      if (!unusable.isEmpty()) {
        next = router.avoiding(Route.REPLICA, plan, next, unusable.keySet());
      }
    }
    if (next == null) {
      end(KvException.nowhereToGo(unusable));
      return;
    }
    synchronized (deliveryLock) {
      if (done.isDone()) {
        return;
      }
      if (log.isLoggable(Level.DEBUG)) {
        log.log(Level.DEBUG, "watch at {0} broke ({1}); resuming after index {2} at {3}", node,
            cause.getMessage(), String.valueOf(received), next);
      }
      try {
        sink.resumed(cause, received);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "the watch listener threw in onResume", e);
      }
    }
    String to = next;
    stream.retryAfter(delay, () -> attempt(to));
  }

  /** Whether resuming could not help: the next node would refuse the same way. */
  private static boolean final_(Throwable failure) {
    Status status = Status.fromThrowable(failure);
    return switch (status.getCode()) {
      case OUT_OF_RANGE, INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED ->
          true;
      case FAILED_PRECONDITION -> KvException.replicaLagging(failure).isEmpty();
      case RESOURCE_EXHAUSTED -> status.getDescription() != null
          && status.getDescription().contains("exceeds maximum size");
      default -> false;
    };
  }

  /** Ends the watch: {@code error} if it failed for good, null if its owner closed it. */
  private void end(KvException error) {
    if (!stream.end(error == null ? "the watch was closed" : "the watch ended")) {
      return;
    }
    synchronized (deliveryLock) {
      try {
        sink.ended(error);
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "the watch listener threw in onError", e);
      }
      if (error == null) {
        done.complete(null);
      } else {
        done.completeExceptionally(error);
      }
    }
  }
}
