package raftkv.client;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicReference;
import raftkv.token.SessionToken;
import raftkv.v1.WatchRequest;

/**
 * A sequence of calls that see each other: read-your-writes, monotonic reads, monotonic
 * writes and writes-follow-reads, even when its reads are served by replicas. Obtained from
 * {@link KvClient#newSession()}, or {@link KvClient#session(String)} to continue a session
 * that another client (or process) started.
 *
 * <p>The session's {@link #token()} is the highest log index it has seen, from the responses
 * of every call made through its facets: writes ({@code session_token} of Put, Delete and
 * writing Txn responses) and reads ({@code ReadMeta.session_token}). A read through the
 * facets whose {@code ReadOptions.consistency} is unset is sent at SESSION with that token,
 * so a replica serves it only once it has applied everything the session has seen (it waits
 * up to the read's budget; see {@link KvClient.Builder#lagPolicy}). Reads that name a level
 * are sent at that level, and their responses still advance the token. Calls made outside the
 * session (on {@link KvClient#async()} or {@link KvClient#blocking()}) do not touch it.
 *
 * <p>Invariant: the token never goes backwards, whatever order responses arrive in.
 *
 * <p>Thread-safe: calls may be made through the session from many threads at once, though
 * the guarantees are then between each response and the calls started after it came. A view
 * of its {@link KvClient}: the facets work until that is closed; the token stays readable.
 */
public final class Session {
  private static final Logger log = System.getLogger(Session.class.getName());

  private final AtomicReference<SessionToken> token;
  private final Dispatcher dispatcher;
  private final AsyncKv async;
  private final BlockingKv blocking;

  /** @param start the token to continue from, or null for a new session */
  Session(Dispatcher dispatcher, java.time.Duration deadline, SessionToken start) {
    this.token = new AtomicReference<>(start);
    this.dispatcher = dispatcher;
    this.async = new AsyncKv(dispatcher, deadline, this);
    this.blocking = new BlockingKv(async);
  }

  /**
   * The session's position: a 38-character printable string to hand to another process
   * (which continues the session with {@link KvClient#session(String)}), or "" while the
   * session has seen no index yet.
   */
  public String token() {
    SessionToken t = token.get();
    return t == null ? "" : t.encode();
  }

  /** The calls, answered with futures, within this session, under the client's deadline. */
  public AsyncKv async() {
    return async;
  }

  /** The calls, waited for, within this session, under the client's deadline. */
  public BlockingKv blocking() {
    return blocking;
  }

  /**
   * Watches within the session ({@link KvClient#watch(WatchRequest, WatchListener)}): a
   * request that names no start starts after the session's token, so it sees every change
   * after what the session has seen (from now, for a session that has seen nothing); a node
   * behind the token catches up first, as for a SESSION read. The session's token advances
   * with every position delivered.
   */
  public Watcher watch(WatchRequest request, WatchListener listener) {
    return Watcher.toListener(dispatcher, this, request, listener);
  }

  /** {@link #watch(WatchRequest, WatchListener)}, pulled through {@link Watcher#events()}. */
  public Watcher watch(WatchRequest request) {
    return Watcher.pulled(dispatcher, this, request);
  }

  @Override
  public String toString() {
    return "Session{" + token() + "}";
  }

  /** Advances the token to {@code seen} if that is later; an empty or unusable one is ignored. */
  void merge(String seen) {
    if (seen == null || seen.isEmpty()) {
      return;
    }
    SessionToken incoming;
    try {
      incoming = SessionToken.parse(seen);
    } catch (IllegalArgumentException e) {
      log.log(Level.WARNING, "ignoring a session token the server sent: {0}",
          e.getMessage());
      return;
    }
    try {
      // max returns one of its arguments, so an update that changes nothing writes nothing.
      token.accumulateAndGet(incoming, SessionToken::max);
    } catch (IllegalArgumentException otherCluster) {
      // The session was resumed from another cluster's token; its SESSION reads are refused
      // with a message that says so. Never jump to another cluster's log silently.
      log.log(Level.WARNING, "session {0} kept its token: {1}", token(),
          otherCluster.getMessage());
    }
  }

  /**
   * The token a SESSION read carries: the later of the session's and {@code requested}, the
   * one the request names (empty if none). A request token that cannot be merged is sent as
   * it is: the server says what is wrong with it.
   */
  String tokenFor(String requested) {
    SessionToken own = token.get();
    if (requested.isEmpty()) {
      return own == null ? "" : own.encode();
    }
    try {
      return SessionToken.max(own, SessionToken.parse(requested)).encode();
    } catch (IllegalArgumentException e) {
      return requested;
    }
  }
}
