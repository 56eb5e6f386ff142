package raftkv.server;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import raftkv.core.KvStore;
import raftkv.v1.GetRequest;
import raftkv.v1.RangeRequest;
import raftkv.v1.TxnRequest;

/**
 * Times every call of the services it wraps: {@code raftkv_grpc_server_requests_seconds}
 * tagged {@code method} (full gRPC method name), {@code level} (the read's consistency for
 * Get, Range and read-only Txn; {@code none} for writes and admin calls) and {@code status}
 * (the gRPC status code; CANCELLED when the client went away first). See {@link NodeMetrics}.
 *
 * <p>The time runs from the call's start to its close, so a read that waited for its replica
 * to catch up shows that wait. Only the raftkv services are wrapped: health's Watch and
 * reflection are long-lived streams whose duration means nothing.
 *
 * <p>Thread-safety: safe from any thread; a call's close may come from a jraft thread.
 * Recording is a map lookup and an atomic update, so it never blocks.
 */
final class GrpcMetricsInterceptor implements ServerInterceptor {
  static final String NAME = "raftkv.grpc.server.requests";
  /** Histogram buckets: from a local EVENTUAL read to a read that waited out its budget. */
  private static final Duration[] BUCKETS = {
      Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
      Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(20),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
      Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private record Key(String method, String level, Status.Code status) {}

  private final MeterRegistry registry;
  // Method names are those of the wrapped services and levels a fixed set: bounded.
  private final ConcurrentHashMap<Key, Timer> timers = new ConcurrentHashMap<>();

  GrpcMetricsInterceptor(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Recording recording = new Recording(call.getMethodDescriptor().getFullMethodName());
    ServerCall<ReqT, RespT> timed = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        recording.finish(status.getCode());
        super.close(status, trailers);
      }
    };
    return new SimpleForwardingServerCallListener<>(next.startCall(timed, headers)) {
      @Override
      public void onMessage(ReqT message) {
        recording.level = levelOf(message);
        super.onMessage(message);
      }

      @Override
      public void onCancel() {
        recording.finish(Status.Code.CANCELLED);
        super.onCancel();
      }
    };
  }

  /** The {@code level} tag of a request message. */
  static String levelOf(Object request) {
    if (request instanceof GetRequest get) {
      return ReadLevels.tag(get.getRead().getConsistency());
    }
    if (request instanceof RangeRequest range) {
      return ReadLevels.tag(range.getRead().getConsistency());
    }
    if (request instanceof TxnRequest txn && KvStore.isReadOnly(txn)) {
      return ReadLevels.tag(txn.getRead().getConsistency());
    }
    return ReadLevels.NONE;
  }

  private Timer timer(Key key) {
    return timers.computeIfAbsent(key, k -> Timer.builder(NAME)
        .description("gRPC calls served by this node, by method, read level and status")
        .tag("method", k.method()).tag("level", k.level()).tag("status", k.status().name())
        .serviceLevelObjectives(BUCKETS)
        .register(registry));
  }

  /** One call's measurement, recorded once: at close, or at cancellation if that comes first. */
  private final class Recording {
    private final String method;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean done = new AtomicBoolean();
    // Set on the transport thread before the handler runs; read at close, possibly elsewhere.
    volatile String level = ReadLevels.NONE;

    Recording(String method) {
      this.method = method;
    }

    void finish(Status.Code status) {
      if (done.compareAndSet(false, true)) {
        timer(new Key(method, level, status))
            .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
      }
    }
  }
}
