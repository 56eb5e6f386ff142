package raftkv.client;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.KeyValue;
import raftkv.v1.NotLeader;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadMeta;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.WriteId;

/**
 * A scripted stand-in for one raftkv node, served in-process under its endpoint name.
 *
 * <p>By default it acts as the leader and answers everything. {@link #followerOf} makes it
 * refuse leader-only calls with a NotLeader hint (EVENTUAL reads it still serves); {@link
 * #failNext} queues failures answered before anything else; {@link #failAlways} refuses every
 * call; puts of keys starting with "hold" are parked until {@link #release}. It records every
 * request it receives and the write ids among them. Thread-safe.
 */
final class FakeNode {
  final String endpoint;
  final List<Object> received = new CopyOnWriteArrayList<>();
  final List<WriteId> writeIds = new CopyOnWriteArrayList<>();
  /** Sequences whose success this node has sent (recorded before the answer leaves). */
  final Set<Long> answered = ConcurrentHashMap.newKeySet();
  /** Write ids received whose acked_below covered a sequence this node had not answered. */
  final Queue<String> watermarkViolations = new ConcurrentLinkedQueue<>();

  private final Queue<StatusRuntimeException> failures = new ConcurrentLinkedQueue<>();
  private final Map<String, Runnable> held = new ConcurrentHashMap<>();
  private final AtomicLong index = new AtomicLong();
  private final Server server;
  private volatile String leaderAddress;
  private volatile StatusRuntimeException alwaysFail;

  /** Serves in-process under {@code serverName}, answering as {@code endpoint}. */
  FakeNode(String serverName, String endpoint) throws IOException {
    this(InProcessServerBuilder.forName(serverName).directExecutor(), endpoint);
  }

  /** Serves from {@code builder}'s server, answering as {@code endpoint}. */
  FakeNode(ServerBuilder<?> builder, String endpoint) throws IOException {
    this.endpoint = endpoint;
    this.server = builder.addService(new Kv()).addService(new Admin()).build().start();
  }

  /** Refuse leader-only calls, naming {@code leader} ("" = no leader known). */
  FakeNode followerOf(String leader) {
    this.leaderAddress = leader;
    return this;
  }

  FakeNode failNext(StatusRuntimeException... each) {
    failures.addAll(List.of(each));
    return this;
  }

  FakeNode failAlways(StatusRuntimeException failure) {
    this.alwaysFail = failure;
    return this;
  }

  /** Answers the parked put of {@code key}. */
  void release(String key) {
    Runnable answer = held.remove(key);
    if (answer == null) {
      throw new IllegalStateException("no put of " + key + " is parked");
    }
    answer.run();
  }

  boolean holds(String key) {
    return held.containsKey(key);
  }

  long count(Class<?> requestType) {
    return received.stream().filter(requestType::isInstance).count();
  }

  /** The port the server listens on, for one bound to a socket. */
  int port() {
    return server.getPort();
  }

  void stop() {
    server.shutdownNow();
  }

  static StatusRuntimeException status(Status.Code code, String description) {
    return Status.fromCode(code).withDescription(description).asRuntimeException();
  }

  static StatusRuntimeException notLeader(String leaderEndpoint) {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.UNAVAILABLE.value())
        .setMessage("not the leader; the leader is at " + leaderEndpoint)
        .addDetails(Any.pack(NotLeader.newBuilder().setLeaderId("id-" + leaderEndpoint)
            .setLeaderGrpcAddress(leaderEndpoint).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** Records the request; answers a scripted failure if one applies and returns true. */
  private boolean refused(Object request, boolean leaderOnly, StreamObserver<?> out) {
    received.add(request);
    StatusRuntimeException failure = failures.poll();
    if (failure == null) {
      failure = alwaysFail;
    }
    if (failure == null && leaderOnly && leaderAddress != null) {
      failure = notLeader(leaderAddress);
    }
    if (failure != null) {
      out.onError(failure);
      return true;
    }
    return false;
  }

  private void record(WriteId id) {
    writeIds.add(id);
    for (long s = 1; s < id.getAckedBelow(); s++) {
      if (!answered.contains(s)) {
        watermarkViolations.add(id + " covers unanswered sequence " + s);
      }
    }
  }

  private ReadMeta meta() {
    return ReadMeta.newBuilder().setServedBy(endpoint).setAppliedIndex(index.get()).build();
  }

  private static boolean leaderOnly(Consistency level) {
    return level != Consistency.EVENTUAL;
  }

  private <T> void answerWrite(WriteId id, T response, StreamObserver<T> out) {
    answered.add(id.getSequence());
    out.onNext(response);
    out.onCompleted();
  }

  private final class Kv extends KVGrpc.KVImplBase {
    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> out) {
      if (request.hasWriteId()) {
        record(request.getWriteId());
      }
      if (refused(request, true, out)) {
        return;
      }
      PutResponse response = PutResponse.newBuilder().setIndex(index.incrementAndGet()).build();
      String key = request.getKey().toStringUtf8();
      if (key.startsWith("hold")) {
        held.put(key, () -> answerWrite(request.getWriteId(), response, out));
      } else {
        answerWrite(request.getWriteId(), response, out);
      }
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
      if (request.hasWriteId()) {
        record(request.getWriteId());
      }
      if (refused(request, true, out)) {
        return;
      }
      answerWrite(request.getWriteId(), DeleteResponse.newBuilder()
          .setIndex(index.incrementAndGet()).setDeleted(true).build(), out);
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> out) {
      if (refused(request, leaderOnly(request.getRead().getConsistency()), out)) {
        return;
      }
      out.onNext(GetResponse.newBuilder().setFound(true)
          .setKv(KeyValue.newBuilder().setKey(request.getKey())
              .setValue(ByteString.copyFromUtf8("from " + endpoint)))
          .setMeta(meta()).build());
      out.onCompleted();
    }

    @Override
    public void range(RangeRequest request, StreamObserver<RangeResponse> out) {
      if (refused(request, leaderOnly(request.getRead().getConsistency()), out)) {
        return;
      }
      out.onNext(RangeResponse.newBuilder().setMeta(meta()).build());
      out.onCompleted();
    }

    @Override
    public void txn(TxnRequest request, StreamObserver<TxnResponse> out) {
      if (request.hasWriteId()) {
        record(request.getWriteId());
      }
      boolean writes = request.hasWriteId();
      if (refused(request, writes || leaderOnly(request.getRead().getConsistency()), out)) {
        return;
      }
      if (writes) {
        answerWrite(request.getWriteId(), TxnResponse.newBuilder().setSucceeded(true)
            .setIndex(index.incrementAndGet()).build(), out);
      } else {
        out.onNext(TxnResponse.newBuilder().setSucceeded(true).setMeta(meta()).build());
        out.onCompleted();
      }
    }
  }

  private final class Admin extends AdminGrpc.AdminImplBase {
    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
      if (refused(request, false, out)) {
        return;
      }
      String leader = leaderAddress == null ? endpoint : leaderAddress;
      out.onNext(StatusResponse.newBuilder().setNodeId("id-" + endpoint)
          .setRole(leaderAddress == null ? Role.LEADER : Role.FOLLOWER)
          .setLeaderGrpcAddress(leader).setGrpcAddress(endpoint)
          .setAppliedIndex(index.get()).build());
      out.onCompleted();
    }
  }
}
