package raftkv.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import raftkv.core.IndexedRead;
import raftkv.reads.ReadPath;
import raftkv.v1.WatchGrpc;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * The Watch service: validates a request, admits its start through {@link ReadPath} (a
 * SESSION read needing the start index for an explicit start; the request's level for a
 * start from now, which then begins at the index that read was served at), and hands the
 * stream to the node's {@link WatchHub}, which sends everything from then on. No gRPC thread
 * waits: admission completes asynchronously. Thread-safe.
 */
final class WatchService extends WatchGrpc.WatchImplBase {
  private final ReadPath reads;
  private final WatchRequests requests;
  private final Errors errors;
  private final WatchHub hub;
  private final WatchConfig config;
  private final boolean skipOnResume;

  /**
   * @param skipOnResume broken on purpose ({@link raftkv.reads.BrokenOnPurpose#WATCH_SKIPS_ON_RESUME}):
   *     a stream with an explicit start drops the first change it would send
   */
  WatchService(ReadPath reads, Limits limits, Errors errors, long clusterId, WatchHub hub,
      WatchConfig config, boolean skipOnResume) {
    this.reads = reads;
    this.requests = new WatchRequests(new RequestValidator(limits, clusterId));
    this.errors = errors;
    this.hub = hub;
    this.config = config;
    this.skipOnResume = skipOnResume;
  }

  @Override
  public void watch(WatchRequest req, StreamObserver<WatchResponse> observer) {
    ServerCallStreamObserver<WatchResponse> call =
        (ServerCallStreamObserver<WatchResponse>) observer;
    WatchSpec spec;
    try {
      spec = requests.validate(req);
    } catch (InvalidRequest e) {
      call.onError(errors.toStatus(e));
      return;
    }
    long interval = spec.progressIntervalMs() == 0
        ? config.progressIntervalMs() : spec.progressIntervalMs();
    Watcher watcher = new Watcher(call, spec.filter(), interval);
    // Both only schedule work on the hub's thread: the stream is never called from here.
    call.setOnCancelHandler(() -> hub.cancelled(watcher));
    call.setOnReadyHandler(hub::wake);
    reads.read(spec.admission(), store -> new IndexedRead<>(Boolean.TRUE, store.appliedIndex()))
        .whenComplete((served, failure) -> {
          if (failure != null) {
            hub.refuse(watcher, errors.toStatus(failure));
          } else if (spec.explicitStart()) {
            hub.open(watcher, spec.startAfter(), skipOnResume);
          } else {
            hub.open(watcher, served.appliedIndex(), false);
          }
        });
  }
}
