package raftkv.server;

import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import raftkv.v1.KVGrpc;

/**
 * The standard gRPC health service ({@code grpc.health.v1.Health}) for the whole server
 * ({@code ""}) and {@code raftkv.v1.KV}: SERVING while {@link Readiness} says ready,
 * NOT_SERVING otherwise, re-checked every {@code periodMs} on the server's timer. Watchers
 * hear of a change at the next check. {@link #close} makes both NOT_SERVING for good, so
 * load balancers drain the node before its server stops.
 *
 * <p>Thread-safety: safe from any thread; checks run on the timer, never on a gRPC thread.
 */
final class GrpcHealth implements AutoCloseable {
  static final String KV_SERVICE = KVGrpc.SERVICE_NAME;

  private final HealthStatusManager manager = new HealthStatusManager();
  private final Readiness readiness;
  private final ScheduledFuture<?> task;

  GrpcHealth(Readiness readiness, ScheduledExecutorService timer, long periodMs) {
    this.readiness = readiness;
    // The manager starts "" as SERVING; nothing is known about this node yet.
    set(ServingStatus.NOT_SERVING);
    task = timer.scheduleWithFixedDelay(this::refresh, 0, periodMs, TimeUnit.MILLISECONDS);
  }

  BindableService service() {
    return manager.getHealthService();
  }

  private void refresh() {
    try {
      set(readiness.check().ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    } catch (RuntimeException stopping) {
      // jraft's getters throw while the node stops; an exception would cancel the task.
      set(ServingStatus.NOT_SERVING);
    }
  }

  private void set(ServingStatus status) {
    // The manager notifies watchers only when a status changes.
    manager.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
    manager.setStatus(KV_SERVICE, status);
  }

  @Override
  public void close() {
    task.cancel(false);
    manager.enterTerminalState();
  }
}
