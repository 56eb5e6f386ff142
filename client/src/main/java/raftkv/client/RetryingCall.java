package raftkv.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import raftkv.client.Router.ReadPlan;
import raftkv.client.Router.Route;
import raftkv.v1.ReplicaLagging;

/**
 * One call to the cluster, retried until it is answered, fails for good, or its deadline runs
 * out. Every KV call goes through here, so this is the only retry policy:
 *
 * <ul>
 *   <li>UNAVAILABLE with a leader hint: go to that leader, at once the first time a node is
 *       named (after a backoff if the hints go round in a circle, as they can mid-election).
 *   <li>UNAVAILABLE without one (node down, stopping, or without a leader; or no connection):
 *       back off and try the next node the router names.
 *   <li>UNAVAILABLE because the connection was refused by a node that never answered this
 *       client (nothing listens at the address), or with a NodeRemoved detail (the node left
 *       the cluster): as above, but this call never tries that node again, and fails at once,
 *       naming each such node and why, when no other node is left. Retrying a node that
 *       cannot answer would only hide the cause until the deadline. A node that a live node
 *       names as the leader is tried again all the same. A refusal by a node that answered
 *       before is a restart: retried like any UNAVAILABLE, its channel told to reconnect at
 *       once.
 *   <li>RESOURCE_EXHAUSTED (the leader's apply queue is full): back off and try the same node.
 *       Not when it says a message was too large: that would fail again however long we wait.
 *   <li>FAILED_PRECONDITION with a ReplicaLagging detail (a replica-served read the node could
 *       not serve in time): at once to the node the router names (FALLBACK), or final when it
 *       names none.
 *   <li>Anything else, success included, is final.
 * </ul>
 *
 * Where each attempt goes is the {@link Router}'s decision alone. Each attempt carries the
 * call's own deadline, so its gRPC deadline is the time remaining, and a backoff never sleeps
 * past it. The request is sent as given on every attempt, which is what makes a retried write
 * carry the same write id; only a read's {@link Shaper} may adjust it per attempt.
 *
 * <p>Threads: attempts run one after another, each started by the end of the one before (a
 * gRPC callback or the backoff timer), which orders their accesses to this object's state.
 * Nothing here blocks. {@link #result} may complete on a gRPC or timer thread.
 */
final class RetryingCall<Req, Resp> {
  private static final Logger log = System.getLogger(RetryingCall.class.getName());

  /** Adjusts the request for one attempt; must not touch a write's id. */
  @FunctionalInterface
  interface Shaper<Req> {
    Shaper<Object> SAME = (request, target, remainingNanos) -> request;

    @SuppressWarnings("unchecked")
    static <Req> Shaper<Req> same() {
      return (Shaper<Req>) SAME;
    }

    Req forAttempt(Req request, String target, long remainingNanos);
  }

  /** Told of the answer a call ends with, before its caller is. Must not block or throw. */
  @FunctionalInterface
  interface AnswerObserver<Resp> {
    void answered(String target, Resp response);
  }

  private final Dispatcher dispatcher;
  private final MethodDescriptor<Req, Resp> method;
  private final Req request;
  private final Route route;
  private final ReadPlan plan;
  private final Shaper<Req> shaper;
  private final AnswerObserver<Resp> observer;
  private final Duration timeout;
  private final Deadline deadline;
  private final Runnable onDone;
  private final CompletableFuture<Resp> result = new CompletableFuture<>();
  private final AtomicBoolean done = new AtomicBoolean();

  private final Set<String> tried = new LinkedHashSet<>();
  // Nodes visited since the last backoff: a hint to one of them is a cycle, not news.
  private final Set<String> visitedSinceBackoff = new HashSet<>();
  // Nodes this call will not try again (refused the connection, or removed), with why.
  private final Map<String, Throwable> unusable = new LinkedHashMap<>();
  private int attempts;
  // The current attempt's deadline: the call's, or sooner under the attempt timeout. A
  // DEADLINE_EXCEEDED before it passed came from the server and is final.
  private volatile Deadline attemptDeadline;
  private int backoffs;
  // The last failure other than running out of time: what explains a deadline failure.
  private Throwable lastRefusal;
  private volatile ClientCall<Req, Resp> current;

  /**
   * @param plan the read's plan for {@link Route#REPLICA}, else null
   * @param observer told of the answer the call succeeds with, and of the node that gave it
   * @param onDone runs once, when the call is over for good and before its result is set
   */
  RetryingCall(Dispatcher dispatcher, MethodDescriptor<Req, Resp> method, Req request,
      Route route, ReadPlan plan, Shaper<Req> shaper, AnswerObserver<Resp> observer,
      Duration timeout, Runnable onDone) {
    this.dispatcher = dispatcher;
    this.method = method;
    this.request = request;
    this.route = route;
    this.plan = plan;
    this.shaper = shaper;
    this.observer = observer;
    this.timeout = timeout;
    this.deadline = Deadline.after(saturatedNanos(timeout), TimeUnit.NANOSECONDS);
    this.onDone = onDone;
  }

  CompletableFuture<Resp> result() {
    return result;
  }

  void start() {
    result.whenComplete((r, t) -> {
      if (result.isCancelled()) {
        // The caller gave up: stop retrying, and stop the attempt on the wire.
        finish(null, null, null);
        ClientCall<Req, Resp> call = current;
        if (call != null) {
          call.cancel("cancelled by the caller", null);
        }
      }
    });
    attempt(dispatcher.router().first(route, plan));
  }

  /** Fails the call unless it has finished; used when the client closes. */
  void abort(KvException why) {
    finish(null, null, why);
  }

  private void attempt(String target) {
    if (done.get()) {
      return;
    }
    if (dispatcher.isClosed()) {
      fail(KvException.closed());
      return;
    }
    if (deadline.isExpired()) {
      fail(KvException.deadline(timeout, attempts, tried, lastRefusal, null));
      return;
    }
    ClientCall<Req, Resp> call;
    Req sent;
    try {
      sent = shaper.forAttempt(request, target, deadline.timeRemaining(TimeUnit.NANOSECONDS));
      attemptDeadline = deadline;
      long attemptLimit = dispatcher.attemptTimeoutNanos();
      if (attemptLimit > 0) {
        attemptDeadline = deadline.minimum(Deadline.after(attemptLimit, TimeUnit.NANOSECONDS));
      }
      call = dispatcher.channels().get(target)
          .newCall(method, CallOptions.DEFAULT.withDeadline(attemptDeadline));
    } catch (IllegalStateException closed) {
      fail(KvException.closed());
      return;
    } catch (RuntimeException e) {
      // Nothing may escape: on the timer thread it would vanish and leave the call hanging.
      fail(KvException.of(Status.INTERNAL
          .withDescription("cannot open a channel to " + target + ": " + e).withCause(e)
          .asRuntimeException()));
      return;
    }
    attempts++;
    tried.add(target);
    visitedSinceBackoff.add(target);
    current = call;
    try {
      ClientCalls.asyncUnaryCall(call, sent, new StreamObserver<>() {
        private Resp response;

        @Override
        public void onNext(Resp value) {
          response = value;
        }

        @Override
        public void onError(Throwable t) {
          onFailure(target, t);
        }

        @Override
        public void onCompleted() {
          dispatcher.channels().answered(target);
          finish(target, response, null);
        }
      });
    } catch (RuntimeException e) {
      fail(KvException.of(Status.INTERNAL.withDescription("could not start the call")
          .withCause(e).asRuntimeException()));
      return;
    }
    if (done.get()) {
      // Cancelled while the attempt was being started.
      call.cancel("cancelled by the caller", null);
    }
  }

  private void onFailure(String target, Throwable failure) {
    if (done.get()) {
      return;
    }
    if (dispatcher.isClosed()) {
      fail(KvException.closed());
      return;
    }
    Status status = Status.fromThrowable(failure);
    if (status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
      lastRefusal = failure;
    }
    if (fromServer(status, failure)) {
      dispatcher.channels().answered(target);
    }
    switch (status.getCode()) {
      case UNAVAILABLE -> {
        boolean refused = KvException.refusedConnection(failure);
        if (KvException.nodeRemoved(failure).isPresent()
            || (refused && !dispatcher.channels().hasAnswered(target))) {
          // Nothing this call can wait for: a wrong address, a node never started, or one
          // that left the cluster.
          unusable.put(target, failure);
        } else if (refused) {
          // It answered before, so it is restarting: when the call comes back to it, connect
          // then, not after gRPC's reconnect backoff.
          dispatcher.channels().reconnectNow(target);
        }
        String hint = KvException.notLeader(failure)
            .map(raftkv.v1.NotLeader::getLeaderGrpcAddress)
            // A malformed address is a server bug; searching on our own still works.
            .filter(a -> Router.isHostPort(a) && !a.equals(target))
            .orElse(null);
        if (hint != null) {
          // A live node names it: it may have come back since it refused.
          unusable.remove(hint);
        }
        String next = usable(dispatcher.router().afterFailure(route, plan, target, hint));
        if (next == null) {
          fail(KvException.nowhereToGo(unusable));
          return;
        }
        if (hint != null && route == Route.LEADER && !visitedSinceBackoff.contains(next)) {
          log.log(Level.DEBUG, "{0} to {1}: not the leader; retrying at {2}", name(), target,
              next);
          attempt(next);
        } else {
          retryLater(next, target, status);
        }
      }
      case RESOURCE_EXHAUSTED -> {
        if (isTooLarge(status)) {
          fail(KvException.of(failure));
        } else {
          retryLater(target, target, status);
        }
      }
      case FAILED_PRECONDITION -> {
        ReplicaLagging lagging = plan == null ? null
            : KvException.replicaLagging(failure).orElse(null);
        String next = lagging == null ? null
            : usable(dispatcher.router().afterLagging(plan, target, lagging));
        if (next != null && plan.refusedBy(next)) {
          // Where an unusable leader sent it instead already refused: it would refuse again
          // at once, round and round until the deadline.
          next = null;
        }
        if (next != null) {
          log.log(Level.DEBUG, "{0} at {1}: replica lagging ({2}); falling back to {3}",
              name(), target, status.getDescription(), next);
          attempt(next);
        } else {
          fail(KvException.of(failure));
        }
      }
      case DEADLINE_EXCEEDED -> {
        if (deadline.isExpired()) {
          fail(KvException.deadline(timeout, attempts, tried, lastRefusal, failure));
        } else if (attemptDeadline != deadline && attemptDeadline.isExpired()) {
          // The attempt's own limit: the node neither answered nor refused (paused, cut
          // off). Try elsewhere, as if it were unreachable.
          lastRefusal = failure;
          String next = usable(dispatcher.router().afterFailure(route, plan, target, null));
          // The node that timed out is not unusable, so there is always a next one.
          retryLater(next != null ? next : target, target, status);
        } else {
          fail(KvException.of(failure));
        }
      }
      default -> fail(KvException.of(failure));
    }
  }

  /** Whether a server sent this failure (rather than the channel, for want of one). */
  private static boolean fromServer(Status status, Throwable failure) {
    return switch (status.getCode()) {
      case UNAVAILABLE -> KvException.notLeader(failure).isPresent()
          || KvException.nodeRemoved(failure).isPresent();
      case DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, INTERNAL -> false;
      default -> true;
    };
  }

  /** {@code proposed}, or where the router sends the call instead if this call ruled it out. */
  private String usable(String proposed) {
    if (proposed == null || unusable.isEmpty()) {
      return proposed;
    }
    return dispatcher.router().avoiding(route, plan, proposed, unusable.keySet());
  }

  private void retryLater(String next, String failed, Status why) {
    visitedSinceBackoff.clear();
    long remaining = deadline.timeRemaining(TimeUnit.NANOSECONDS);
    if (remaining <= 0) {
      fail(KvException.deadline(timeout, attempts, tried, lastRefusal, null));
      return;
    }
    // Sleeping to the deadline, not past it, makes the call fail when its time is up.
    long delay = Math.min(dispatcher.backoff().delayNanos(backoffs++), remaining);
    if (log.isLoggable(Level.DEBUG)) {
      // A string: MessageFormat would group a number's digits.
      log.log(Level.DEBUG, "{0} to {1} failed ({2}: {3}); retrying at {4} in {5} us", name(),
          failed, why.getCode(), why.getDescription(), next, String.valueOf(delay / 1000));
    }
    try {
      dispatcher.scheduler().schedule(() -> attempt(next), delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      fail(KvException.closed());
    }
  }

  private void fail(KvException failure) {
    finish(null, null, failure);
  }

  /** @param target the node that answered, when the call succeeded */
  private void finish(String target, Resp response, KvException failure) {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    try {
      dispatcher.forget(this);
      onDone.run();
      if (failure == null && response != null) {
        // Before the caller hears of it: a session's next call must see this answer's token.
        observer.answered(target, response);
      }
    } catch (RuntimeException e) {
      log.log(Level.WARNING, name() + ": bookkeeping of the answer failed", e);
    } finally {
      if (failure != null) {
        result.completeExceptionally(failure);
      } else {
        result.complete(response);
      }
    }
  }

  private String name() {
    return method.getBareMethodName();
  }

  private static boolean isTooLarge(Status status) {
    // gRPC's own refusal of an oversized message, on either side, uses this code too.
    String d = status.getDescription();
    return d != null && d.contains("exceeds maximum size");
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }
}
