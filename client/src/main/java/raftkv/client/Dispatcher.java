package raftkv.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import raftkv.client.Router.Route;
import raftkv.v1.Consistency;
import raftkv.v1.WriteId;

/**
 * The engine behind the facets: owns the channels, the router, the write ids and the backoff
 * timer, and turns each facet call into a {@link RetryingCall}.
 *
 * <p>Thread-safe. Owned by one {@link KvClient}, which closes it.
 */
final class Dispatcher {
  private static final long CLOSE_GRACE_MILLIS = 1000;

  private final ChannelPool channels;
  private final Router router;
  private final WriteIds writeIds;
  private final Backoff backoff;
  private final ScheduledThreadPoolExecutor scheduler;
  // Calls not yet finished, so that close() can fail those waiting on the timer.
  private final Set<RetryingCall<?, ?>> active = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  Dispatcher(List<String> endpoints, ChannelFactory factory, Backoff backoff, String clientId) {
    this.channels = new ChannelPool(factory);
    this.router = new Router(endpoints);
    this.writeIds = new WriteIds(clientId);
    this.backoff = backoff;
    // One daemon thread suffices: it only starts non-blocking attempts after a backoff.
    this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "raftkv-client-" + clientId.substring(0, 8) + "-retry");
      t.setDaemon(true);
      return t;
    });
    this.scheduler.setRemoveOnCancelPolicy(true);
  }

  /** A read, sent where its consistency level allows. */
  <Req, Resp> CompletableFuture<Resp> read(MethodDescriptor<Req, Resp> method, Req request,
      Consistency level, Duration timeout) {
    return start(method, request, Router.forRead(level), timeout, () -> { });
  }

  /**
   * A write, sent to the leader under a fresh write id that every retry repeats.
   *
   * @param stamp puts the write id into the request
   */
  <Req, Resp> CompletableFuture<Resp> write(MethodDescriptor<Req, Resp> method,
      Function<WriteId, Req> stamp, Duration timeout) {
    WriteId id = writeIds.begin();
    Req request;
    try {
      request = stamp.apply(id);
    } catch (RuntimeException e) {
      writeIds.end(id.getSequence());
      throw e;
    }
    return start(method, request, Route.LEADER, timeout, () -> writeIds.end(id.getSequence()));
  }

  /** One attempt at one node, no retries: for questions about that node itself. */
  <Req, Resp> CompletableFuture<Resp> once(String endpoint, MethodDescriptor<Req, Resp> method,
      Req request, Duration timeout) {
    CompletableFuture<Resp> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(KvException.closed());
      return result;
    }
    ClientCall<Req, Resp> call;
    try {
      call = channels.get(endpoint).newCall(method, CallOptions.DEFAULT.withDeadline(
          Deadline.after(RetryingCall.saturatedNanos(timeout), TimeUnit.NANOSECONDS)));
    } catch (IllegalStateException e) {
      result.completeExceptionally(KvException.closed());
      return result;
    }
    ClientCalls.asyncUnaryCall(call, request, new StreamObserver<>() {
      private Resp response;

      @Override
      public void onNext(Resp value) {
        response = value;
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(KvException.of(t));
      }

      @Override
      public void onCompleted() {
        result.complete(response);
      }
    });
    result.whenComplete((r, t) -> {
      if (result.isCancelled()) {
        call.cancel("cancelled by the caller", null);
      }
    });
    return result;
  }

  private <Req, Resp> CompletableFuture<Resp> start(MethodDescriptor<Req, Resp> method,
      Req request, Route route, Duration timeout, Runnable onDone) {
    RetryingCall<Req, Resp> call =
        new RetryingCall<>(this, method, request, route, timeout, onDone);
    active.add(call);
    call.start();
    if (closed) {
      // close() may have swept the active calls before this one was added.
      call.abort(KvException.closed());
    }
    return call.result();
  }

  /**
   * Stops everything: no new attempts, calls on the wire get a short grace to finish, then
   * every call still open fails with CANCELLED.
   */
  void close() {
    closed = true;
    channels.close(CLOSE_GRACE_MILLIS);
    scheduler.shutdownNow();
    KvException closedFailure = KvException.closed();
    for (RetryingCall<?, ?> call : List.copyOf(active)) {
      call.abort(closedFailure);
    }
  }

  /** {@code call} is over; called once per call. */
  void forget(RetryingCall<?, ?> call) {
    active.remove(call);
  }

  boolean isClosed() {
    return closed;
  }

  ChannelPool channels() {
    return channels;
  }

  Router router() {
    return router;
  }

  WriteIds writeIds() {
    return writeIds;
  }

  Backoff backoff() {
    return backoff;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }
}
