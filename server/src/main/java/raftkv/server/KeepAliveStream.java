package raftkv.server;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import raftkv.core.RaftNode;
import raftkv.v1.LeaseKeepAliveRequest;
import raftkv.v1.LeaseKeepAliveResponse;

/**
 * One LeaseKeepAlive stream: each request renews its lease on the leader and is answered with
 * the TTL it was renewed to (0: no such lease). On a node that is not the leader, the stream
 * ends with UNAVAILABLE and a NotLeader detail, so the client reconnects to the leader.
 *
 * <p>Flow control: the next request is read only once the response can be sent, so a client
 * that sends keep-alives without reading the answers fills its own window, not this node's
 * memory.
 *
 * <p>Thread-safety: gRPC calls this observer's methods and the ready handler one at a time
 * for a call; the response observer is used only from them.
 */
final class KeepAliveStream implements StreamObserver<LeaseKeepAliveRequest> {
  private final StreamObserver<LeaseKeepAliveResponse> responses;
  private final RaftNode node;
  private final LeaseKeeper keeper;
  private final Errors errors;
  private final ServerCallStreamObserver<LeaseKeepAliveResponse> flow; // null outside gRPC
  private boolean ended;
  /** Whether a request has been asked for since the stream last became ready. */
  private boolean requested;

  KeepAliveStream(StreamObserver<LeaseKeepAliveResponse> responses, RaftNode node,
      LeaseKeeper keeper, Errors errors) {
    this.responses = responses;
    this.node = node;
    this.keeper = keeper;
    this.errors = errors;
    if (responses instanceof ServerCallStreamObserver<LeaseKeepAliveResponse> server) {
      flow = server;
      server.disableAutoRequest();
      server.setOnReadyHandler(this::requestWhenReady);
      // Without a handler, answering a cancelled stream throws.
      server.setOnCancelHandler(() -> {});
    } else {
      flow = null;
    }
  }

  private void requestWhenReady() {
    if (flow.isReady() && !requested) {
      requested = true;
      flow.request(1);
    }
  }

  @Override
  public void onNext(LeaseKeepAliveRequest request) {
    if (ended) {
      return;
    }
    if (!node.isLeader()) {
      ended = true;
      responses.onError(errors.notLeader("lease keep-alives go to the leader"));
      return;
    }
    responses.onNext(LeaseKeepAliveResponse.newBuilder()
        .setId(request.getId())
        .setTtlMs(keeper.renew(request.getId()))
        .build());
    if (flow != null) {
      requested = false;
      requestWhenReady();
    }
  }

  @Override
  public void onError(Throwable clientGone) {
    ended = true;
  }

  @Override
  public void onCompleted() {
    if (!ended) {
      ended = true;
      responses.onCompleted();
    }
  }
}
