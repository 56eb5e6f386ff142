package raftkv.client;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;

/**
 * The key-value calls of {@link AsyncKv}, waited for: each method returns the response or
 * throws {@link KvException}. Routing, retries, deadlines and write ids are exactly those of
 * {@link AsyncKv}, and so are read levels: {@code get(key)} reads at LINEARIZABLE here and at
 * SESSION on a session's facet. Obtained from {@link KvClient#blocking()}, or from {@link
 * Session#blocking()} for calls within a session.
 *
 * <p>An interrupted wait cancels the call and throws {@link KvException} with code CANCELLED,
 * the thread's interrupt flag set again.
 *
 * <p>Thread-safe and immutable; a view of its {@link KvClient}, valid until that is closed.
 */
public final class BlockingKv {
  // Beyond the deadline: the close() grace (1 s) plus scheduling noise.
  private static final Duration WAIT_SLACK = Duration.ofSeconds(2);

  private final AsyncKv async;

  BlockingKv(AsyncKv async) {
    this.async = async;
  }

  /** This facet with {@code deadline} for each call instead of the current one. */
  public BlockingKv withDeadline(Duration deadline) {
    return new BlockingKv(async.withDeadline(deadline));
  }

  /** The deadline of each call made through this facet. */
  public Duration deadline() {
    return async.deadline();
  }

  public PutResponse put(ByteString key, ByteString value) {
    return await(async.put(key, value), async.deadline());
  }

  public PutResponse put(String key, String value) {
    return await(async.put(key, value), async.deadline());
  }

  /** A put attached to lease {@code leaseId}; see {@link AsyncKv#put(ByteString, ByteString, long)}. */
  public PutResponse put(ByteString key, ByteString value, long leaseId) {
    return await(async.put(key, value, leaseId), async.deadline());
  }

  /** A put attached to lease {@code leaseId}; see {@link AsyncKv#put(String, String, long)}. */
  public PutResponse put(String key, String value, long leaseId) {
    return await(async.put(key, value, leaseId), async.deadline());
  }

  public PutResponse put(PutRequest request) {
    return await(async.put(request), async.deadline());
  }

  public GetResponse get(ByteString key) {
    return await(async.get(key), async.deadline());
  }

  public GetResponse get(ByteString key, Consistency level) {
    return await(async.get(key, level), async.deadline());
  }

  public GetResponse get(String key) {
    return await(async.get(key), async.deadline());
  }

  public GetResponse get(String key, Consistency level) {
    return await(async.get(key, level), async.deadline());
  }

  public GetResponse get(GetRequest request) {
    return await(async.get(request), async.deadline());
  }

  public DeleteResponse delete(ByteString key) {
    return await(async.delete(key), async.deadline());
  }

  public DeleteResponse delete(String key) {
    return await(async.delete(key), async.deadline());
  }

  public DeleteResponse delete(DeleteRequest request) {
    return await(async.delete(request), async.deadline());
  }

  public RangeResponse range(RangeRequest request) {
    return await(async.range(request), async.deadline());
  }

  public TxnResponse txn(TxnRequest request) {
    return await(async.txn(request), async.deadline());
  }

  /**
   * Waits for {@code future}, which its call's deadline always completes. The wait has a limit
   * all the same, a little past that deadline, so that a client bug shows as an error rather
   * than a hung thread.
   */
  static <T> T await(CompletableFuture<T> future, Duration deadline) {
    try {
      return future.get(RetryingCall.saturatedNanos(deadline.plus(WAIT_SLACK)),
          TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof KvException kv ? kv.rethrown() : KvException.of(cause);
    } catch (CancellationException e) {
      throw new KvException(Status.Code.CANCELLED, "", null,
          "CANCELLED: the call was cancelled", e);
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw new KvException(Status.Code.CANCELLED, "", null,
          "CANCELLED: interrupted while waiting for the call", e);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new KvException(Status.Code.DEADLINE_EXCEEDED, "", null,
          "DEADLINE_EXCEEDED: the call was still open " + WAIT_SLACK.toMillis()
              + " ms after its deadline of " + deadline.toMillis() + " ms", e);
    }
  }
}
