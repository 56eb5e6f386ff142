package raftkv.client;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;

/**
 * The key-value calls, answered with futures. Obtained from {@link KvClient#async()}, or from
 * {@link Session#async()} for calls within a session.
 *
 * <p>Read levels: a read whose {@code ReadOptions.consistency} is unset is LINEARIZABLE on the
 * client's facet and SESSION (with the session's token) on a session's; the convenience
 * {@code get(key)} methods read at that same default. SESSION and BOUNDED_STALENESS reads
 * without a lag policy or wait budget get the client's ({@link KvClient.Builder#lagPolicy},
 * {@link KvClient.Builder#waitBudget}). Where each read goes is described in
 * {@link ReadPreference}. On a session's facet every response advances the session's token.
 *
 * <p>Every call is routed and retried by the client until it is answered, fails for good, or
 * its deadline passes (the client's default, or the one given to {@link #withDeadline}); the
 * deadline covers all attempts and backoffs. A future that fails holds a {@link KvException}.
 * Cancelling a future stops the call's retries (a write already sent may still be applied).
 *
 * <p>Writes are stamped with a write id, replacing any the request carries, and every retry
 * repeats it, so the cluster applies each write at most once.
 *
 * <p>Futures complete on the client's network threads (or its retry timer): a stage chained to
 * them without an executor runs there, so it must not block, and above all must not wait for
 * another call of this client (that call's answer needs the very thread it blocks). Give
 * blocking work an executor of your own ({@code thenApplyAsync(f, executor)}).
 *
 * <p>Thread-safe and immutable; a view of its {@link KvClient}, valid until that is closed.
 */
public final class AsyncKv {
  private final Dispatcher dispatcher;
  private final Duration deadline;
  // Null on the client's own facet.
  private final Session session;

  AsyncKv(Dispatcher dispatcher, Duration deadline, Session session) {
    this.dispatcher = dispatcher;
    this.deadline = deadline;
    this.session = session;
  }

  /**
   * This facet with {@code deadline} for each call instead of the current one (within the same
   * session, if this facet belongs to one).
   */
  public AsyncKv withDeadline(Duration deadline) {
    return new AsyncKv(dispatcher, KvClient.checkDeadline(deadline), session);
  }

  /** The deadline of each call made through this facet. */
  public Duration deadline() {
    return deadline;
  }

  public CompletableFuture<PutResponse> put(ByteString key, ByteString value) {
    return put(PutRequest.newBuilder().setKey(key).setValue(value).build());
  }

  /** {@link #put(ByteString, ByteString)} with both strings encoded as UTF-8. */
  public CompletableFuture<PutResponse> put(String key, String value) {
    return put(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value));
  }

  /**
   * Sets {@code key} to {@code value}, attached to lease {@code leaseId} (from {@link
   * LeaseApi#grant}): the key is deleted when the lease ends. 0 attaches it to no lease. A
   * lease that does not exist fails the put with FAILED_PRECONDITION.
   */
  public CompletableFuture<PutResponse> put(ByteString key, ByteString value, long leaseId) {
    return put(PutRequest.newBuilder().setKey(key).setValue(value).setLease(leaseId).build());
  }

  /** {@link #put(ByteString, ByteString, long)} with both strings encoded as UTF-8. */
  public CompletableFuture<PutResponse> put(String key, String value, long leaseId) {
    return put(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value), leaseId);
  }

  public CompletableFuture<PutResponse> put(PutRequest request) {
    Objects.requireNonNull(request, "request");
    return dispatcher.write(Kinds.PUT, request, session, deadline);
  }

  /**
   * A read of {@code key} at this facet's default level: LINEARIZABLE on the client's facet,
   * SESSION on a session's.
   */
  public CompletableFuture<GetResponse> get(ByteString key) {
    return get(GetRequest.newBuilder().setKey(key)
        .setRead(ReadOptions.newBuilder().setConsistency(
            session == null ? Consistency.LINEARIZABLE : Consistency.SESSION))
        .build());
  }

  public CompletableFuture<GetResponse> get(ByteString key, Consistency level) {
    return get(GetRequest.newBuilder().setKey(key)
        .setRead(ReadOptions.newBuilder().setConsistency(level)).build());
  }

  /** {@link #get(ByteString)} with the key encoded as UTF-8. */
  public CompletableFuture<GetResponse> get(String key) {
    return get(ByteString.copyFromUtf8(key));
  }

  public CompletableFuture<GetResponse> get(String key, Consistency level) {
    return get(ByteString.copyFromUtf8(key), level);
  }

  public CompletableFuture<GetResponse> get(GetRequest request) {
    Objects.requireNonNull(request, "request");
    return dispatcher.read(Kinds.GET, request, session, deadline);
  }

  public CompletableFuture<DeleteResponse> delete(ByteString key) {
    return delete(DeleteRequest.newBuilder().setKey(key).build());
  }

  /** {@link #delete(ByteString)} with the key encoded as UTF-8. */
  public CompletableFuture<DeleteResponse> delete(String key) {
    return delete(ByteString.copyFromUtf8(key));
  }

  public CompletableFuture<DeleteResponse> delete(DeleteRequest request) {
    Objects.requireNonNull(request, "request");
    return dispatcher.write(Kinds.DELETE, request, session, deadline);
  }

  /** One page of a range; pass its continuation back in the next request for the rest. */
  public CompletableFuture<RangeResponse> range(RangeRequest request) {
    Objects.requireNonNull(request, "request");
    return dispatcher.read(Kinds.RANGE, request, session, deadline);
  }

  /**
   * A transaction. One with a put or delete in either branch is a write (stamped, sent to the
   * leader); one without is a read served at its read options' level.
   */
  public CompletableFuture<TxnResponse> txn(TxnRequest request) {
    Objects.requireNonNull(request, "request");
    if (Router.writes(request)) {
      return dispatcher.write(Kinds.TXN_WRITE, request, session, deadline);
    }
    return dispatcher.read(Kinds.TXN_READ, request, session, deadline);
  }
}
