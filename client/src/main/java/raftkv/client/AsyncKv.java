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
import raftkv.v1.KVGrpc;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;

/**
 * The key-value calls, answered with futures. Obtained from {@link KvClient#async()}.
 *
 * <p>Every call is routed and retried by the client until it is answered, fails for good, or
 * its deadline passes (the client's default, or the one given to {@link #withDeadline}); the
 * deadline covers all attempts and backoffs. A future that fails holds a {@link KvException}.
 * Cancelling a future stops the call's retries (a write already sent may still be applied).
 *
 * <p>Writes are stamped with a write id, replacing any the request carries, and every retry
 * repeats it, so the cluster applies each write at most once.
 *
 * <p>Futures complete on gRPC's or the client's threads: don't block in stages chained to them
 * without an executor of your own ({@code thenApplyAsync(f, executor)}).
 *
 * <p>Thread-safe and immutable; a view of its {@link KvClient}, valid until that is closed.
 */
public final class AsyncKv {
  private final Dispatcher dispatcher;
  private final Duration deadline;

  AsyncKv(Dispatcher dispatcher, Duration deadline) {
    this.dispatcher = dispatcher;
    this.deadline = deadline;
  }

  /** This facet with {@code deadline} for each call instead of the current one. */
  public AsyncKv withDeadline(Duration deadline) {
    return new AsyncKv(dispatcher, KvClient.checkDeadline(deadline));
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

  public CompletableFuture<PutResponse> put(PutRequest request) {
    Objects.requireNonNull(request, "request");
    return dispatcher.write(KVGrpc.getPutMethod(),
        id -> request.toBuilder().setWriteId(id).build(), deadline);
  }

  /** A linearizable read of {@code key}. */
  public CompletableFuture<GetResponse> get(ByteString key) {
    return get(key, Consistency.LINEARIZABLE);
  }

  public CompletableFuture<GetResponse> get(ByteString key, Consistency level) {
    return get(GetRequest.newBuilder().setKey(key)
        .setRead(ReadOptions.newBuilder().setConsistency(level)).build());
  }

  /** A linearizable read of {@code key} encoded as UTF-8. */
  public CompletableFuture<GetResponse> get(String key) {
    return get(ByteString.copyFromUtf8(key));
  }

  public CompletableFuture<GetResponse> get(String key, Consistency level) {
    return get(ByteString.copyFromUtf8(key), level);
  }

  public CompletableFuture<GetResponse> get(GetRequest request) {
    Objects.requireNonNull(request, "request");
    return dispatcher.read(KVGrpc.getGetMethod(), request,
        request.getRead().getConsistency(), deadline);
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
    return dispatcher.write(KVGrpc.getDeleteMethod(),
        id -> request.toBuilder().setWriteId(id).build(), deadline);
  }

  /** One page of a range; pass its continuation back in the next request for the rest. */
  public CompletableFuture<RangeResponse> range(RangeRequest request) {
    Objects.requireNonNull(request, "request");
    return dispatcher.read(KVGrpc.getRangeMethod(), request,
        request.getRead().getConsistency(), deadline);
  }

  /**
   * A transaction. One with a put or delete in either branch is a write (stamped, sent to the
   * leader); one without is a read served at its read options' level.
   */
  public CompletableFuture<TxnResponse> txn(TxnRequest request) {
    Objects.requireNonNull(request, "request");
    if (Router.writes(request)) {
      return dispatcher.write(KVGrpc.getTxnMethod(),
          id -> request.toBuilder().setWriteId(id).build(), deadline);
    }
    return dispatcher.read(KVGrpc.getTxnMethod(), request,
        request.getRead().getConsistency(), deadline);
  }
}
