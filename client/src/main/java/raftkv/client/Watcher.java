package raftkv.client;

import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import raftkv.token.SessionToken;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * A running watch: every change to a key, a prefix or a range after its start, in index order,
 * each exactly once, for as long as it is open. Obtained from {@link KvClient#watch} or {@link
 * Session#watch}, with a {@link WatchListener} or, without one, pulled through {@link
 * #events()}.
 *
 * <pre>{@code
 * try (Watcher w = client.watch(WatchRequest.newBuilder()
 *     .setPrefix(ByteString.copyFromUtf8("services/")).build())) {
 *   for (Iterator<WatchResponse> it = w.events(); it.hasNext(); ) {
 *     for (WatchEvent e : it.next().getEventsList()) { ... }
 *   }
 * }
 * }</pre>
 *
 * <p>The watch is served by a replica, learners first, as a SESSION read is ({@link
 * ReadPreference}). When its stream breaks for any reason but a refusal that would come again
 * (OUT_OF_RANGE: history compacted; INVALID_ARGUMENT; PERMISSION_DENIED; UNAUTHENTICATED;
 * UNIMPLEMENTED; FAILED_PRECONDITION other than a lagging replica) it resumes, after a backoff,
 * on a node the router names, from the session token of the last position it received, so
 * nothing is missed and nothing repeated; a change that arrives twice all the same (at or
 * below the position) is dropped. A stream on which nothing arrives for three progress
 * intervals (plus the wait budget) while the watch is waiting for messages is taken for a
 * paused or cut-off node and resumed elsewhere.
 *
 * <p>{@link #position()} and {@link #sessionToken()} say where the caller stands: everything
 * up to there has been delivered. Within a {@link Session}, the session's token advances with
 * them.
 *
 * <p>Thread-safe. Owns one gRPC stream at a time; {@link #close()} ends it, and so does closing
 * the {@link KvClient} (then {@link #done()} fails with CANCELLED).
 */
public final class Watcher implements AutoCloseable {
  /** How many messages {@link #events()} buffers before it stops asking the node for more. */
  static final int EVENTS_BUFFER = 64;

  private final Session session;
  private final WatchBuffer buffer;
  private final ResumingWatch watch;
  private volatile long position;
  private volatile String token = "";

  /**
   * The watch behind {@link KvClient#watch(WatchRequest, WatchListener)} ({@code session}
   * null) and {@link Session#watch(WatchRequest, WatchListener)}.
   */
  static Watcher toListener(Dispatcher dispatcher, Session session, WatchRequest request,
      WatchListener listener) {
    return new Watcher(dispatcher, session, Objects.requireNonNull(request, "request"),
        Objects.requireNonNull(listener, "listener"));
  }

  /**
   * The watch behind {@link KvClient#watch(WatchRequest)} ({@code session} null) and {@link
   * Session#watch(WatchRequest)}.
   */
  static Watcher pulled(Dispatcher dispatcher, Session session, WatchRequest request) {
    return new Watcher(dispatcher, session, Objects.requireNonNull(request, "request"), null);
  }

  /** @param listener null to pull through {@link #events()} */
  private Watcher(Dispatcher dispatcher, Session session, WatchRequest request,
      WatchListener listener) {
    this.session = session;
    this.buffer = listener == null ? new WatchBuffer(EVENTS_BUFFER, this) : null;
    WatchSink sink = listener == null ? buffer : new ListenerSink(listener, this);
    this.watch = new ResumingWatch(dispatcher, complete(dispatcher, session, request), sink);
    if (buffer != null) {
      buffer.onRoom(watch::askForMore);
    }
    watch.start();
  }

  /**
   * The request as sent first: read options completed as for a read (a session's level and
   * token, the client's lag policy and wait budget), and in a session a start after the
   * session's token when the request names none.
   */
  private static WatchRequest complete(Dispatcher dispatcher, Session session,
      WatchRequest request) {
    WatchRequest.Builder sent = request.toBuilder()
        .setRead(dispatcher.complete(request.getRead(), session));
    if (session != null && request.getStartCase() == WatchRequest.StartCase.START_NOT_SET
        && !session.token().isEmpty()) {
      sent.setStartAfterToken(session.token());
    }
    return sent.build();
  }

  /**
   * The log index up to which every change to the watched keys has been delivered (to the
   * listener, or out of {@link #events()}); 0 until the watch has started.
   */
  public long position() {
    return position;
  }

  /**
   * The session token of {@link #position()}: a new watch started after it continues this one
   * with no gap and no duplicate, and a session continued from it reads at least this fresh.
   * "" until the watch has started.
   */
  public String sessionToken() {
    return token;
  }

  /**
   * The changes, pulled: each {@code next()} is the changes at one log index (never empty),
   * waiting for them. {@code hasNext()} answers false once the watch is closed and throws the
   * {@link KvException} that ended it, after the changes received before it. At most {@value
   * #EVENTS_BUFFER} messages wait in the buffer; beyond that the node is asked for no more
   * until some are pulled.
   *
   * @throws IllegalStateException if the watch was started with a listener
   */
  public Iterator<WatchResponse> events() {
    if (buffer == null) {
      throw new IllegalStateException("this watch delivers to its listener; start it without "
          + "one to pull its events");
    }
    return buffer;
  }

  /**
   * Completes when the watch ends: normally once closed by {@link #close()}, exceptionally
   * with the {@link KvException} that ended it otherwise.
   */
  public CompletableFuture<Void> done() {
    return watch.done();
  }

  /**
   * Ends the watch: cancels its stream and delivers nothing more. Waits for a listener call
   * in progress to return, unless called from it. Idempotent.
   */
  @Override
  public void close() {
    watch.close();
  }

  @Override
  public String toString() {
    return "Watcher{position=" + position + "}";
  }

  /** {@code response} reached the caller: its position is the caller's. */
  void delivered(WatchResponse response) {
    if (response.getPosition() >= position) {
      position = response.getPosition();
      if (!response.getSessionToken().isEmpty()) {
        token = response.getSessionToken();
      }
    }
    if (session != null) {
      session.merge(response.getSessionToken());
    }
  }

  /** The index {@code token} stands for, or 0 if it is empty or malformed. */
  static long indexOf(String token) {
    if (token == null || token.isEmpty()) {
      return 0;
    }
    try {
      return SessionToken.parse(token).index();
    } catch (IllegalArgumentException malformed) {
      return 0;
    }
  }
}
