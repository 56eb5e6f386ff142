package raftkv.client;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import raftkv.client.Router.Route;
import raftkv.v1.LeaseGrpc;
import raftkv.v1.LeaseKeepAliveRequest;
import raftkv.v1.LeaseKeepAliveResponse;

/**
 * Keeps one lease alive from the background: a LeaseKeepAlive stream to the leader carrying a
 * renewal every third of the lease's TTL (its first at once). Obtained from {@link
 * LeaseApi#keepAlive(long)}.
 *
 * <p>When the stream breaks, or a renewal goes unanswered for a third of the TTL (at least a
 * second; a paused or cut-off leader), it reopens the stream to the leader the client's router names: at once to
 * a leader named by a NotLeader refusal, else after a backoff, for as long as it is open. A
 * leader change does not end a lease early (the new leader extends every lease first), so
 * renewals that resume within the TTL keep it.
 *
 * <p>{@link #done()} says when it is over: normally after {@link #close()}; with a {@link
 * KvException} of code NOT_FOUND once the leader answers that the lease no longer exists
 * (it expired or was revoked: its keys are gone), or with the refusal that ended it
 * (INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED), or CANCELLED when the
 * client is closed.
 *
 * <p>Thread-safe. Owns one gRPC stream at a time and a periodic task on the client's timer;
 * {@link #close()} stops both (the lease itself then lives until its TTL runs out).
 */
public final class LeaseKeepAlive implements AutoCloseable {
  private static final Logger log = System.getLogger(LeaseKeepAlive.class.getName());
  // A renewal is given up on after a third of the TTL, but never sooner than this: on a busy
  // machine a short lease's answers may take longer than a third of a second.
  private static final long MIN_PATIENCE = TimeUnit.SECONDS.toNanos(1);

  private final Dispatcher dispatcher;
  private final long id;
  private final LeaseKeepAliveRequest renewal;
  private final CompletableFuture<Void> done = new CompletableFuture<>();

  private final Object lock = new Object();
  // Guarded by lock: the stream, and the renewal state below.
  private final StreamLifecycle<LeaseKeepAliveRequest, LeaseKeepAliveResponse> stream;
  private boolean awaiting;
  private long sentNanos;
  private long intervalNanos;
  // Nodes tried since the last backoff: a hint back to one of them is a cycle, not news.
  private final Set<String> visitedSinceBackoff = new HashSet<>();
  private volatile long ttlMs;

  LeaseKeepAlive(Dispatcher dispatcher, long id) {
    this.dispatcher = dispatcher;
    this.id = id;
    this.renewal = LeaseKeepAliveRequest.newBuilder().setId(id).build();
    this.stream = new StreamLifecycle<>(dispatcher, LeaseGrpc.getLeaseKeepAliveMethod(), lock,
        () -> end(KvException.closed()));
    // Until the first answer says the TTL, renew as often as the shortest lease needs.
    this.intervalNanos = LeaseApi.MIN_TTL.toNanos() / 3;
  }

  /** The lease kept alive. */
  public long id() {
    return id;
  }

  /** The TTL the last renewal restored; zero until the first renewal was answered. */
  public Duration ttl() {
    return Duration.ofMillis(ttlMs);
  }

  /**
   * Completes when keeping the lease alive is over: normally once {@link #close()}d,
   * exceptionally with NOT_FOUND when the lease is gone, or with the failure that ended it.
   */
  public CompletableFuture<Void> done() {
    return done;
  }

  /** Stops renewing. The lease then lives until its TTL runs out. Idempotent. */
  @Override
  public void close() {
    end(null);
  }

  @Override
  public String toString() {
    return "LeaseKeepAlive{id=" + id + ", ttlMs=" + ttlMs + "}";
  }

  void start() {
    stream.endWithClient();
    synchronized (lock) {
      if (stream.ended()) {
        return;
      }
      scheduleTicks();
    }
    attempt(dispatcher.router().first(Route.LEADER, null));
  }

  /** Guarded by lock. */
  private void scheduleTicks() {
    // False if the client is closing; its close ends this.
    stream.repeat(this::tick, intervalNanos);
  }

  private void attempt(String node) {
    ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> opened;
    synchronized (lock) {
      if (stream.ended()) {
        return;
      }
      opened = stream.open(node);
      if (opened != null) {
        awaiting = false;
        visitedSinceBackoff.add(node);
        try {
          opened.start(new Answers(stream.attempt(), node), new Metadata());
          opened.request(1);
        } catch (RuntimeException e) {
          opened.cancel("could not start the keep-alive stream", e);
          return;
        }
        send();
      }
    }
    if (opened == null) {
      end(KvException.closed());
    }
  }

  /** Sends one renewal on the open stream. Guarded by lock. */
  private void send() {
    if (stream.call() == null) {
      return;
    }
    stream.call().sendMessage(renewal);
    awaiting = true;
    sentNanos = System.nanoTime();
  }

  /** Every interval: renew, or give up on a stream whose last renewal went unanswered. */
  private void tick() {
    ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> quiet = null;
    String node;
    synchronized (lock) {
      if (stream.ended() || stream.call() == null) {
        return;
      }
      node = stream.target();
      if (awaiting && System.nanoTime() - sentNanos >= Math.max(intervalNanos, MIN_PATIENCE)) {
        quiet = stream.call();
      } else if (!awaiting) {
        send();
      }
    }
    if (quiet != null) {
      quiet.cancel("no answer to a keep-alive from " + node + " in time", null);
    }
  }

  private final class Answers extends ClientCall.Listener<LeaseKeepAliveResponse> {
    private final long attempt;
    private final String node;

    Answers(long attempt, String node) {
      this.attempt = attempt;
      this.node = node;
    }

    @Override
    public void onMessage(LeaseKeepAliveResponse answer) {
      dispatcher.channels().answered(node);
      if (answer.getTtlMs() <= 0) {
        end(new KvException(Status.Code.NOT_FOUND, "", null, "NOT_FOUND: lease " + id
            + " does not exist: it expired or was revoked (its keys are deleted), or was "
            + "never granted", null));
        return;
      }
      synchronized (lock) {
        if (!stream.isCurrent(attempt)) {
          return;
        }
        awaiting = false;
        stream.resetBackoff();
        visitedSinceBackoff.clear();
        ttlMs = answer.getTtlMs();
        long interval = TimeUnit.MILLISECONDS.toNanos(answer.getTtlMs()) / 3;
        if (interval != intervalNanos) {
          intervalNanos = interval;
          scheduleTicks();
        }
        stream.call().request(1);
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (stream.closed(attempt)) {
        broke(node, StreamLifecycle.breakOf(status, trailers,
            node + " ended the keep-alive stream"));
      }
    }
  }

  private void broke(String node, Throwable failure) {
    Status status = Status.fromThrowable(failure);
    switch (status.getCode()) {
      case INVALID_ARGUMENT, PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED, NOT_FOUND,
          FAILED_PRECONDITION -> {
        end(KvException.of(failure, node));
        return;
      }
      default -> { }
    }
    String hint = KvException.notLeader(failure)
        .map(raftkv.v1.NotLeader::getLeaderGrpcAddress)
        .filter(a -> Router.isHostPort(a) && !a.equals(node)).orElse(null);
    if (KvException.refusedConnection(failure) && dispatcher.channels().hasAnswered(node)) {
      dispatcher.channels().reconnectNow(node);
    }
    String next = dispatcher.router().afterFailure(Route.LEADER, null, node, hint);
    synchronized (lock) {
      if (stream.ended()) {
        return;
      }
      long delay = 0;
      if (hint == null || visitedSinceBackoff.contains(next)) {
        visitedSinceBackoff.clear();
        delay = stream.nextBackoffNanos();
      }
      log.log(Level.DEBUG, "keep-alive of lease {0} at {1} broke ({2}); reopening at {3}",
          String.valueOf(id), node, status.getCode(), next);
      stream.retryAfter(delay, () -> attempt(next));
    }
  }

  /** Ends keeping alive: {@code error} if it failed for good, null if its owner closed it. */
  private void end(KvException error) {
    if (!stream.end(error == null ? "keep-alive closed" : "keep-alive ended")) {
      return;
    }
    if (error == null) {
      done.complete(null);
    } else {
      done.completeExceptionally(error);
    }
  }
}
