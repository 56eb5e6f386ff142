package raftkv.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.Router.Route;

/**
 * One call to the cluster, retried until it is answered, fails for good, or its deadline runs
 * out. Every KV call goes through here, so this is the only retry policy:
 *
 * <ul>
 *   <li>UNAVAILABLE with a leader hint: go to that leader, at once the first time a node is
 *       named (after a backoff if the hints go round in a circle, as they can mid-election).
 *   <li>UNAVAILABLE without one (node down, stopping, or without a leader; or no connection):
 *       back off and try the next node the router names.
 *   <li>RESOURCE_EXHAUSTED (the leader's apply queue is full): back off and try the same node.
 *       Not when it says a message was too large: that would fail again however long we wait.
 *   <li>Anything else, success included, is final.
 * </ul>
 *
 * Each attempt carries the call's own deadline, so its gRPC deadline is the time remaining,
 * and a backoff never sleeps past it. The request is sent unchanged on every attempt, which is
 * what makes a retried write carry the same write id.
 *
 * <p>Threads: attempts run one after another, each started by the end of the one before (a
 * gRPC callback or the backoff timer), which orders their accesses to this object's state.
 * Nothing here blocks. {@link #result} may complete on a gRPC or timer thread.
 */
final class RetryingCall<Req, Resp> {
  private static final Logger log = LoggerFactory.getLogger(RetryingCall.class);

  private final Dispatcher dispatcher;
  private final MethodDescriptor<Req, Resp> method;
  private final Req request;
  private final Route route;
  private final Duration timeout;
  private final Deadline deadline;
  private final Runnable onDone;
  private final CompletableFuture<Resp> result = new CompletableFuture<>();
  private final AtomicBoolean done = new AtomicBoolean();

  private final Set<String> tried = new LinkedHashSet<>();
  // Nodes visited since the last backoff: a hint to one of them is a cycle, not news.
  private final Set<String> visitedSinceBackoff = new HashSet<>();
  private int attempts;
  private int backoffs;
  // The last failure other than running out of time: what explains a deadline failure.
  private Throwable lastRefusal;
  private volatile ClientCall<Req, Resp> current;

  /** @param onDone runs once, when the call is over for good and before its result is set */
  RetryingCall(Dispatcher dispatcher, MethodDescriptor<Req, Resp> method, Req request,
      Route route, Duration timeout, Runnable onDone) {
    this.dispatcher = dispatcher;
    this.method = method;
    this.request = request;
    this.route = route;
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
        finish(null, null);
        ClientCall<Req, Resp> call = current;
        if (call != null) {
          call.cancel("cancelled by the caller", null);
        }
      }
    });
    attempt(dispatcher.router().first(route));
  }

  /** Fails the call unless it has finished; used when the client closes. */
  void abort(KvException why) {
    finish(null, why);
  }

  private void attempt(String target) {
    if (done.get()) {
      return;
    }
    if (dispatcher.isClosed()) {
      finish(null, KvException.closed());
      return;
    }
    if (deadline.isExpired()) {
      finish(null, KvException.deadline(timeout, attempts, tried, lastRefusal, null));
      return;
    }
    ClientCall<Req, Resp> call;
    try {
      call = dispatcher.channels().get(target)
          .newCall(method, CallOptions.DEFAULT.withDeadline(deadline));
    } catch (IllegalStateException closed) {
      finish(null, KvException.closed());
      return;
    } catch (RuntimeException e) {
      // Nothing may escape: on the timer thread it would vanish and leave the call hanging.
      finish(null, KvException.of(Status.INTERNAL
          .withDescription("cannot open a channel to " + target + ": " + e).withCause(e)
          .asRuntimeException()));
      return;
    }
    attempts++;
    tried.add(target);
    visitedSinceBackoff.add(target);
    current = call;
    try {
      ClientCalls.asyncUnaryCall(call, request, new StreamObserver<>() {
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
          finish(response, null);
        }
      });
    } catch (RuntimeException e) {
      finish(null, KvException.of(Status.INTERNAL.withDescription("could not start the call")
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
      finish(null, KvException.closed());
      return;
    }
    Status status = Status.fromThrowable(failure);
    if (status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
      lastRefusal = failure;
    }
    switch (status.getCode()) {
      case UNAVAILABLE -> {
        String hint = KvException.notLeader(failure)
            .map(raftkv.v1.NotLeader::getLeaderGrpcAddress)
            // A malformed address is a server bug; searching on our own still works.
            .filter(a -> Router.isHostPort(a) && !a.equals(target))
            .orElse(null);
        String next = dispatcher.router().afterFailure(route, target, hint);
        if (hint != null && route == Route.LEADER && !visitedSinceBackoff.contains(next)) {
          log.debug("{} to {}: not the leader; retrying at {}", name(), target, next);
          attempt(next);
        } else {
          retryLater(next, target, status);
        }
      }
      case RESOURCE_EXHAUSTED -> {
        if (isTooLarge(status)) {
          finish(null, KvException.of(failure));
        } else {
          retryLater(target, target, status);
        }
      }
      case DEADLINE_EXCEEDED -> finish(null, deadline.isExpired()
          ? KvException.deadline(timeout, attempts, tried, lastRefusal, failure)
          : KvException.of(failure));
      default -> finish(null, KvException.of(failure));
    }
  }

  private void retryLater(String next, String failed, Status why) {
    visitedSinceBackoff.clear();
    long remaining = deadline.timeRemaining(TimeUnit.NANOSECONDS);
    if (remaining <= 0) {
      finish(null, KvException.deadline(timeout, attempts, tried, lastRefusal, null));
      return;
    }
    // Sleeping to the deadline, not past it, makes the call fail when its time is up.
    long delay = Math.min(dispatcher.backoff().delayNanos(backoffs++), remaining);
    if (log.isDebugEnabled()) {
      log.debug("{} to {} failed ({}: {}); retrying at {} in {} us", name(), failed,
          why.getCode(), why.getDescription(), next, delay / 1000);
    }
    try {
      dispatcher.scheduler().schedule(() -> attempt(next), delay, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      finish(null, KvException.closed());
    }
  }

  private void finish(Resp response, KvException failure) {
    if (!done.compareAndSet(false, true)) {
      return;
    }
    try {
      dispatcher.forget(this);
      onDone.run();
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
