package raftkv.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the client's resumable streams ({@link ResumingWatch}, {@link LeaseKeepAlive}) share:
 * one gRPC call at a time, numbered so that late callbacks of a call that was replaced or
 * ended are ignored; a periodic check and a retry after a break on the client's timer, with
 * the backoff count between retries; and an end that happens once, cancelling all of them,
 * whether the owner closes, gives up, or the client closes.
 *
 * <p>Thread-safety: its state is guarded by the owner's {@code lock}, passed in, which the
 * owner also holds for its own stream state so that both change together. Methods marked
 * "Guarded by lock" must be called holding it; the others take it themselves and release it
 * before calling out (cancelling a call, the client's registry of streams). Owned by one
 * owner, which it calls back only through the {@code onClientClose} it was given.
 */
final class StreamLifecycle<ReqT, RespT> {
  private final Dispatcher dispatcher;
  private final MethodDescriptor<ReqT, RespT> method;
  private final Object lock;
  private final Runnable onClientClose;

  // Guarded by lock.
  private ClientCall<ReqT, RespT> call;
  private String target;
  private long attemptId;
  private boolean ended;
  private int backoffs;
  private ScheduledFuture<?> periodic;
  private ScheduledFuture<?> retry;

  /**
   * @param lock the owner's lock, which guards this too
   * @param onClientClose ends the owner when the client closes
   */
  StreamLifecycle(Dispatcher dispatcher, MethodDescriptor<ReqT, RespT> method, Object lock,
      Runnable onClientClose) {
    this.dispatcher = dispatcher;
    this.method = method;
    this.lock = lock;
    this.onClientClose = onClientClose;
  }

  /** From now on, closing the client ends the stream (at once if the client is closed). */
  void endWithClient() {
    dispatcher.addStream(onClientClose);
  }

  /** Whether the stream ended. Guarded by lock. */
  boolean ended() {
    return ended;
  }

  /** The open call, or null between a break and the next attempt. Guarded by lock. */
  ClientCall<ReqT, RespT> call() {
    return call;
  }

  /** The node of the latest attempt. Guarded by lock. */
  String target() {
    return target;
  }

  /** The number of the latest attempt, for its listener. Guarded by lock. */
  long attempt() {
    return attemptId;
  }

  /**
   * Whether callbacks of {@code attempt} still count: it is the latest and the stream has not
   * ended. Guarded by lock.
   */
  boolean isCurrent(long attempt) {
    return attempt == attemptId && !ended;
  }

  /**
   * A new call to {@code node} (not started), now the current attempt; null if the client's
   * channels are closed. Guarded by lock.
   */
  ClientCall<ReqT, RespT> open(String node) {
    ClientCall<ReqT, RespT> opened;
    try {
      opened = dispatcher.channels().get(node).newCall(method, CallOptions.DEFAULT);
    } catch (IllegalStateException closed) {
      return null;
    }
    attemptId++;
    call = opened;
    target = node;
    return opened;
  }

  /**
   * The call of {@code attempt} closed: forgets it and returns true, unless it was replaced
   * or the stream ended (then its close is no news).
   */
  boolean closed(long attempt) {
    synchronized (lock) {
      if (!isCurrent(attempt)) {
        return false;
      }
      call = null;
      return true;
    }
  }

  /** Why a stream closed, as a failure: a close with OK is the node ending it early. */
  static Throwable breakOf(Status status, Metadata trailers, String endedEarly) {
    Status why = status.isOk() ? Status.UNAVAILABLE.withDescription(endedEarly) : status;
    return why.asRuntimeException(trailers);
  }

  /**
   * Runs {@code task} every {@code everyNanos} on the client's timer instead of the task
   * before; false if the client is closing (its close then ends the stream). Guarded by lock.
   */
  boolean repeat(Runnable task, long everyNanos) {
    if (periodic != null) {
      periodic.cancel(false);
    }
    try {
      periodic = dispatcher.scheduler().scheduleWithFixedDelay(task, everyNanos, everyNanos,
          TimeUnit.NANOSECONDS);
      return true;
    } catch (RejectedExecutionException closed) {
      return false;
    }
  }

  /** The delay before the next retry, each one longer. Guarded by lock. */
  long nextBackoffNanos() {
    return dispatcher.backoff().delayNanos(backoffs++);
  }

  /** A node answered: the next break starts the backoff over. Guarded by lock. */
  void resetBackoff() {
    backoffs = 0;
  }

  /** Runs {@code attempt} after {@code delayNanos}, unless the stream has ended. */
  void retryAfter(long delayNanos, Runnable attempt) {
    synchronized (lock) {
      if (ended) {
        return;
      }
      try {
        retry = dispatcher.scheduler().schedule(attempt, delayNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException closed) {
        // The client is closing; onClientClose ends the stream.
      }
    }
  }

  /**
   * Ends the stream: cancels the open call with {@code reason}, the periodic task and a
   * pending retry, and stops following the client's close. True the first time only: the
   * caller then completes what the stream owes its user.
   */
  boolean end(String reason) {
    ClientCall<ReqT, RespT> open;
    synchronized (lock) {
      if (ended) {
        return false;
      }
      ended = true;
      open = call;
      call = null;
      if (periodic != null) {
        periodic.cancel(false);
      }
      if (retry != null) {
        retry.cancel(false);
      }
    }
    dispatcher.removeStream(onClientClose);
    if (open != null) {
      open.cancel(reason, null);
    }
    return true;
  }
}
