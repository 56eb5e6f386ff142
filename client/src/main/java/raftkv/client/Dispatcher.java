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
import raftkv.client.RetryingCall.AnswerObserver;
import raftkv.client.RetryingCall.Shaper;
import raftkv.client.Router.ReadPlan;
import raftkv.client.Router.Route;
import raftkv.token.SessionToken;
import raftkv.v1.Consistency;
import raftkv.v1.LagPolicy;
import raftkv.v1.ReadMeta;
import raftkv.v1.ReadOptions;
import raftkv.v1.WriteId;

/**
 * The engine behind the facets: owns the channels, the router, the status poller, the write
 * ids and the timer, and turns each facet call into a {@link RetryingCall}: it completes a
 * read's options (the session's level and token, the client's lag policy and wait budget),
 * and feeds every answer back to the router (applied indexes) and to the session (tokens).
 *
 * <p>Thread-safe. Owned by one {@link KvClient}, which closes it.
 */
final class Dispatcher {
  private static final long CLOSE_GRACE_MILLIS = 1000;

  private final ChannelPool channels;
  private final Router router;
  private final WriteIds writeIds;
  private final Backoff backoff;
  private final LagPolicy lagPolicy;
  private final int waitBudgetMs;
  private final long attemptTimeoutNanos;
  private final ScheduledThreadPoolExecutor scheduler;
  // Null when roles are not needed (one endpoint) or polling is off.
  private final StatusPoller poller;
  // Calls not yet finished, so that close() can fail those waiting on the timer.
  private final Set<RetryingCall<?, ?>> active = ConcurrentHashMap.newKeySet();
  // Watches and keep-alives still open: close() ends them, each with its own abort action.
  private final Set<Runnable> streams = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param statusInterval how often to ask every endpoint for its status; zero = never
   * @param statusDeadline the deadline of each status question
   * @param attemptTimeout how long one attempt may go unanswered before the call moves on
   *     (the wait budget is added); zero = an attempt may use the call's whole deadline
   */
  Dispatcher(List<String> endpoints, ChannelFactory factory, Backoff backoff, String clientId,
      ReadPreference preference, LagPolicy lagPolicy, int waitBudgetMs, Duration statusInterval,
      Duration statusDeadline, Duration attemptTimeout) {
    this.channels = new ChannelPool(factory);
    this.router = new Router(endpoints, preference);
    this.writeIds = new WriteIds(clientId);
    this.backoff = backoff;
    this.lagPolicy = lagPolicy;
    this.waitBudgetMs = waitBudgetMs;
    this.attemptTimeoutNanos = attemptTimeout.isZero() ? 0
        : attemptTimeout.toNanos() + TimeUnit.MILLISECONDS.toNanos(waitBudgetMs);
    // One daemon thread suffices: it only starts non-blocking attempts after a backoff.
    this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "raftkv-client-" + clientId.substring(0, 8) + "-retry");
      t.setDaemon(true);
      return t;
    });
    this.scheduler.setRemoveOnCancelPolicy(true);
    boolean needRoles = !router.pinned() && !statusInterval.isZero();
    this.poller = needRoles
        ? new StatusPoller(this, statusInterval, statusDeadline) : null;
    if (poller != null) {
      router.onStale(poller::refresh);
    }
  }

  /** Starts the background status polls, the first one at once; a no-op without a poller. */
  void startPolling() {
    if (poller != null) {
      poller.start();
    }
  }

  /**
   * Completes once the first round of status polls is over (each endpoint answered or
   * failed, within the status deadline), so that replica tiers are known; at once without a
   * poller. For a long-lived stream, whose first node it keeps.
   */
  CompletableFuture<Void> rolesLearned() {
    return poller == null ? CompletableFuture.completedFuture(null) : poller.firstRound();
  }

  /**
   * Once the first round of status polls is over, asks every endpoint for its status again;
   * completes once each has answered or failed and the router has been told. Completes at once
   * when there is no poller.
   */
  CompletableFuture<Void> pollStatus() {
    return poller == null ? CompletableFuture.completedFuture(null)
        : poller.firstRound().thenCompose(v -> poller.poll());
  }

  /**
   * A read, sent where its (completed) options allow.
   *
   * @param session the session the read belongs to, or null
   */
  <Req, Resp> CompletableFuture<Resp> read(Kinds.Read<Req, Resp> kind, Req request,
      Session session, Duration timeout) {
    ReadOptions given = kind.options().apply(request);
    ReadOptions options = complete(given, session);
    Req sent = options.equals(given) ? request : kind.withOptions().apply(request, options);
    Route route = Router.forRead(options.getConsistency());
    ReadPlan plan = route == Route.REPLICA
        ? new ReadPlan(options.getConsistency(), neededIndex(options), options.getLagPolicy())
        : null;
    AnswerObserver<Resp> observer = (target, response) -> {
      ReadMeta meta = kind.meta().apply(response);
      router.observeServed(meta);
      if (session != null) {
        session.merge(meta.getSessionToken());
      }
    };
    return start(kind.method(), sent, route, plan, budgetShaper(kind, options), observer,
        timeout, () -> { });
  }

  /**
   * A write, sent to the leader under a fresh write id that every retry repeats.
   *
   * @param session the session the write belongs to, or null
   */
  <Req, Resp> CompletableFuture<Resp> write(Kinds.Write<Req, Resp> kind, Req unstamped,
      Session session, Duration timeout) {
    WriteId id = writeIds.begin();
    Req request;
    try {
      request = kind.stamp().apply(unstamped, id);
    } catch (RuntimeException e) {
      writeIds.end(id.getSequence());
      throw e;
    }
    AnswerObserver<Resp> observer = (target, response) -> {
      // Only the leader applies a write before answering it.
      router.observeApplied(target, kind.index().applyAsLong(response));
      if (session != null) {
        session.merge(kind.token().apply(response));
      }
    };
    return start(kind.method(), request, Route.LEADER, null, Shaper.same(), observer, timeout,
        () -> writeIds.end(id.getSequence()));
  }

  /**
   * A call only the leader serves that is not a write the client stamps (a lease revoke or
   * info): routed and retried as a write is, without a write id.
   *
   * @param index the log index the answer says the leader applied, 0 if it says none
   */
  <Req, Resp> CompletableFuture<Resp> onLeader(MethodDescriptor<Req, Resp> method, Req request,
      java.util.function.ToLongFunction<Resp> index, Duration timeout) {
    AnswerObserver<Resp> observer = (target, response) ->
        router.observeApplied(target, index.applyAsLong(response));
    return start(method, request, Route.LEADER, null, Shaper.same(), observer, timeout,
        () -> { });
  }

  /**
   * The options a read is sent with: in a session, an unset level becomes SESSION and a SESSION
   * read carries the session's token (or the request's, if later); a SESSION or
   * BOUNDED_STALENESS read without a lag policy or wait budget gets the client's.
   */
  ReadOptions complete(ReadOptions given, Session session) {
    ReadOptions.Builder options = given.toBuilder();
    Consistency level = given.getConsistency();
    if (session != null && level == Consistency.CONSISTENCY_UNSPECIFIED) {
      level = Consistency.SESSION;
      options.setConsistency(level);
    }
    if (session != null && level == Consistency.SESSION) {
      options.setSessionToken(session.tokenFor(given.getSessionToken()));
    }
    if (level == Consistency.SESSION || level == Consistency.BOUNDED_STALENESS) {
      if (given.getLagPolicyValue() == LagPolicy.LAG_POLICY_UNSPECIFIED_VALUE) {
        options.setLagPolicy(lagPolicy);
      }
      if (given.getWaitBudgetMs() == 0) {
        options.setWaitBudgetMs(waitBudgetMs);
      }
    }
    return options.build();
  }

  private static long neededIndex(ReadOptions options) {
    if (options.getConsistency() != Consistency.SESSION || options.getSessionToken().isEmpty()) {
      return 0;
    }
    try {
      return SessionToken.parse(options.getSessionToken()).index();
    } catch (IllegalArgumentException malformed) {
      // The server refuses it, saying what is wrong; route as if there were none.
      return 0;
    }
  }

  /**
   * Under FALLBACK, a replica other than the leader may wait at most half the time the call
   * has left, so that a lagging refusal still leaves time to go elsewhere. The leader, the
   * last resort, waits its whole budget.
   */
  private <Req> Shaper<Req> budgetShaper(Kinds.Read<Req, ?> kind, ReadOptions options) {
    Consistency level = options.getConsistency();
    if (options.getLagPolicy() != LagPolicy.FALLBACK
        || (level != Consistency.SESSION && level != Consistency.BOUNDED_STALENESS)) {
      return Shaper.same();
    }
    int budget = options.getWaitBudgetMs();
    return (request, target, remainingNanos) -> {
      long half = Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos) / 2);
      if (half >= budget || target.equals(router.readLeader())) {
        return request;
      }
      return kind.withOptions().apply(request,
          options.toBuilder().setWaitBudgetMs((int) half).build());
    };
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
        result.completeExceptionally(KvException.of(t, endpoint));
      }

      @Override
      public void onCompleted() {
        channels.answered(endpoint);
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
      Req request, Route route, ReadPlan plan, Shaper<Req> shaper,
      AnswerObserver<Resp> observer, Duration timeout, Runnable onDone) {
    RetryingCall<Req, Resp> call = new RetryingCall<>(this, method, request, route, plan, shaper,
        observer, timeout, onDone);
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
    if (poller != null) {
      poller.stop();
    }
    KvException closedFailure = KvException.closed();
    for (RetryingCall<?, ?> call : List.copyOf(active)) {
      call.abort(closedFailure);
    }
    for (Runnable abort : List.copyOf(streams)) {
      abort.run();
    }
  }

  /**
   * Registers a long-lived stream (a watch, a keep-alive) that {@link #close} ends by running
   * {@code abort}; if the client is already closed, runs it at once.
   */
  void addStream(Runnable abort) {
    streams.add(abort);
    if (closed && streams.remove(abort)) {
      abort.run();
    }
  }

  /** The stream registered with {@code abort} is over. */
  void removeStream(Runnable abort) {
    streams.remove(abort);
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

  /** The longest one attempt may take, the wait budget included; 0 = no limit of its own. */
  long attemptTimeoutNanos() {
    return attemptTimeoutNanos;
  }

  Backoff backoff() {
    return backoff;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }
}
