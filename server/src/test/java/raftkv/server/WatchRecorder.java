package raftkv.server;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchGrpc;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * One Watch stream opened with a raw async stub, recording every response and how it ended.
 * With {@code reading == false} it never asks for a message (client-side flow control): a
 * consumer that stopped reading. Thread-safe to read from the test thread.
 */
final class WatchRecorder implements ClientResponseObserver<WatchRequest, WatchResponse> {
  final List<WatchResponse> responses = new CopyOnWriteArrayList<>();
  final CompletableFuture<Status> ended = new CompletableFuture<>();
  /** The error the stream ended with (status details are in its trailers), if any. */
  volatile Throwable failure;
  private final boolean reading;
  private volatile ClientCallStreamObserver<WatchRequest> call;

  private WatchRecorder(boolean reading) {
    this.reading = reading;
  }

  static WatchRecorder open(Channel channel, WatchRequest request) {
    return open(channel, request, true);
  }

  static WatchRecorder open(Channel channel, WatchRequest request, boolean reading) {
    WatchRecorder recorder = new WatchRecorder(reading);
    WatchGrpc.newStub(channel).watch(request, recorder);
    return recorder;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
    call = requestStream;
    if (!reading) {
      requestStream.disableAutoRequestWithInitial(0);
    }
  }

  @Override
  public void onNext(WatchResponse value) {
    responses.add(value);
  }

  @Override
  public void onError(Throwable t) {
    failure = t;
    ended.complete(Status.fromThrowable(t));
  }

  @Override
  public void onCompleted() {
    ended.complete(Status.OK);
  }

  /** A typed detail of the status the stream ended with. */
  <T extends com.google.protobuf.Message> T detail(Class<T> type) {
    return io.grpc.protobuf.StatusProto.fromThrowable(failure).getDetailsList().stream()
        .filter(a -> a.is(type)).findFirst().map(a -> {
          try {
            return a.unpack(type);
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        }).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " in " + failure));
  }

  boolean created() {
    return !responses.isEmpty() && responses.get(0).getCreated();
  }

  /** Responses that carry events, in arrival order. */
  List<WatchResponse> changes() {
    return responses.stream().filter(r -> r.getEventsCount() > 0).toList();
  }

  List<WatchEvent> events() {
    return changes().stream().flatMap(r -> r.getEventsList().stream()).toList();
  }

  /** The last position the stream reported (created, changes or progress). */
  long position() {
    return responses.isEmpty() ? -1 : responses.get(responses.size() - 1).getPosition();
  }

  /** A consumer that stopped reading starts again: everything buffered, then the status. */
  void readAll() {
    call.request(Integer.MAX_VALUE);
  }

  void cancel() {
    call.cancel("test is done with it", null);
  }
}
