package raftkv.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Answers one unary call exactly once, from whichever thread finishes the work (often a
 * jraft thread). A call the client cancelled or whose deadline passed is answered silently
 * into the void instead of throwing on that thread. Thread-safe.
 */
final class UnaryCall<T> {
  private final StreamObserver<T> observer;
  private final Errors errors;
  private final AtomicBoolean answered = new AtomicBoolean();

  UnaryCall(StreamObserver<T> observer, Errors errors) {
    this.observer = observer;
    this.errors = errors;
    if (observer instanceof ServerCallStreamObserver<T> server) {
      // Without a handler, answering a cancelled unary call throws.
      server.setOnCancelHandler(() -> {});
    }
  }

  /** True when the client is gone: no point starting work for it. */
  boolean cancelled() {
    return observer instanceof ServerCallStreamObserver<T> server && server.isCancelled();
  }

  /**
   * Runs {@code validation}; when it refuses the request ({@link InvalidRequest}), answers
   * INVALID_ARGUMENT with its message and returns false.
   */
  boolean validate(Runnable validation) {
    try {
      validation.run();
      return true;
    } catch (InvalidRequest e) {
      fail(e);
      return false;
    }
  }

  void succeed(T response) {
    if (answered.compareAndSet(false, true) && !cancelled()) {
      observer.onNext(response);
      observer.onCompleted();
    }
  }

  void fail(Throwable failure) {
    if (answered.compareAndSet(false, true) && !cancelled()) {
      observer.onError(errors.toStatus(failure));
    }
  }

  /** Completes with {@code response} or {@code failure}, whichever is set. */
  void complete(T response, Throwable failure) {
    if (failure != null) {
      fail(failure);
    } else {
      succeed(response);
    }
  }
}
