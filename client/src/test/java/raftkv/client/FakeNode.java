package raftkv.client;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import raftkv.token.SessionToken;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.KeyValue;
import raftkv.v1.LeaseGrantRequest;
import raftkv.v1.LeaseGrantResponse;
import raftkv.v1.LeaseGrpc;
import raftkv.v1.LeaseInfoRequest;
import raftkv.v1.LeaseInfoResponse;
import raftkv.v1.LeaseKeepAliveRequest;
import raftkv.v1.LeaseKeepAliveResponse;
import raftkv.v1.LeaseRevokeRequest;
import raftkv.v1.LeaseRevokeResponse;
import raftkv.v1.NodeRemoved;
import raftkv.v1.NotLeader;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadMeta;
import raftkv.v1.ReadOptions;
import raftkv.v1.ReplicaLagging;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchGrpc;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;
import raftkv.v1.WriteId;

/**
 * A scripted stand-in for one raftkv node, served in-process under its endpoint name. Its node
 * id is "id-" + its endpoint.
 *
 * <p>By default it acts as the leader and answers everything. {@link #followerOf} and {@link
 * #learnerOf} make it a replica that refuses leader-only calls (writes, LINEARIZABLE reads)
 * with a NotLeader hint and serves SESSION, BOUNDED_STALENESS and EVENTUAL reads. Its applied
 * index grows with each write it answers, or is set with {@link #appliedIndex}; responses
 * carry it, with a session token of {@link #CLUSTER_ID}. A SESSION read whose token is ahead
 * of it is refused at once, whatever its lag policy, with FAILED_PRECONDITION and a
 * ReplicaLagging detail (a BOUNDED_STALENESS read likewise when {@link #lagEntries} is over its
 * bound). It answers Admin.Status with its role, term and applied index.
 *
 * <p>{@link #failNext} queues failures answered to KV calls before anything else; {@link
 * #failAlways} refuses every call, Status included; puts of keys starting with "hold" are
 * parked until {@link #release}. It records every KV request it receives and the write ids
 * among them; Status questions are only counted, as the client asks them in the background.
 *
 * <p>Watch: served by any role over a {@link FakeHistory} (its own, or the cluster's shared
 * one) as the contract says: a created message at the start, then each change after the start
 * as one message, honouring the client's flow control (a message leaves only when the client
 * asked for one). A start token ahead of {@link #watchApplied} (default: the history's last
 * index) is refused as lagging. {@link #silentWatches}, {@link #replayOnWatch}, {@link
 * #cutWatches} and {@link #sendProgress} script misbehaviour and progress notifications.
 *
 * <p>Lease: the leader grants (id = the grant's index), revokes and renews leases in a map
 * (its own, or the cluster's shared one, so that a new leader knows the old one's leases);
 * replicas refuse with NotLeader, also each keep-alive on an open stream.
 * Thread-safe.
 */
final class FakeNode {
  static final long CLUSTER_ID = 0x7e57c1a55e55L;

  final String endpoint;
  final List<Object> received = new CopyOnWriteArrayList<>();
  final List<WriteId> writeIds = new CopyOnWriteArrayList<>();
  /** Sequences whose success this node has sent (recorded before the answer leaves). */
  final Set<Long> answered = ConcurrentHashMap.newKeySet();
  /** Write ids received whose acked_below covered a sequence this node had not answered. */
  final Queue<String> watermarkViolations = new ConcurrentLinkedQueue<>();
  final AtomicInteger statusCalls = new AtomicInteger();

  private final Queue<StatusRuntimeException> failures = new ConcurrentLinkedQueue<>();
  private final Map<String, Runnable> held = new ConcurrentHashMap<>();
  private final AtomicLong index = new AtomicLong();
  private final List<String> arrivals;
  private final Server server;
  private volatile Role role = Role.LEADER;
  private volatile long term = 1;
  private volatile long lagEntries;
  private volatile String leaderAddress;
  private volatile StatusRuntimeException alwaysFail;
  private volatile FakeHistory history = new FakeHistory();
  private volatile Long watchApplied;
  private volatile boolean silentWatches;
  private volatile long watchReplay;
  private final List<WatchStream> watches = new CopyOnWriteArrayList<>();
  private volatile Map<Long, Long> leases = new ConcurrentHashMap<>();
  /** Keep-alive requests received, whether answered or refused. */
  final AtomicInteger keepAlives = new AtomicInteger();

  /** Serves in-process under {@code serverName}, answering as {@code endpoint}. */
  FakeNode(String serverName, String endpoint) throws IOException {
    this(InProcessServerBuilder.forName(serverName).directExecutor(), endpoint, null);
  }

  /** Serves from {@code builder}'s server, answering as {@code endpoint}. */
  FakeNode(ServerBuilder<?> builder, String endpoint) throws IOException {
    this(builder, endpoint, null);
  }

  /**
   * Serves from {@code builder}'s server, answering as {@code endpoint}.
   *
   * @param arrivals if not null, gets this node's endpoint each time a KV request arrives
   */
  FakeNode(ServerBuilder<?> builder, String endpoint, List<String> arrivals) throws IOException {
    this.endpoint = endpoint;
    this.arrivals = arrivals;
    this.server = builder.addService(new Kv()).addService(new Admin()).addService(new Watch())
        .addService(new Lease()).build().start();
  }

  /** A follower: refuses leader-only calls, naming {@code leader} ("" = no leader known). */
  FakeNode followerOf(String leader) {
    this.leaderAddress = leader;
    this.role = Role.FOLLOWER;
    return this;
  }

  /** A learner: refuses leader-only calls, naming {@code leader} ("" = no leader known). */
  FakeNode learnerOf(String leader) {
    this.leaderAddress = leader;
    this.role = Role.LEARNER;
    return this;
  }

  /** The leader again, after {@link #followerOf}: serves leader-only calls. */
  FakeNode asLeader() {
    this.leaderAddress = null;
    this.role = Role.LEADER;
    return this;
  }

  /** Serves watches over {@code shared}, which other nodes may serve too. */
  FakeNode history(FakeHistory shared) {
    this.history = shared;
    return this;
  }

  FakeHistory history() {
    return history;
  }

  /** Keeps leases in {@code shared}, which other nodes may keep theirs in too. */
  FakeNode leases(Map<Long, Long> shared) {
    this.leases = shared;
    return this;
  }

  /** The index a watch start token is checked against; default: the history's last index. */
  FakeNode watchApplied(long applied) {
    this.watchApplied = applied;
    return this;
  }

  /** Watches get their created message and then nothing: a node that paused. */
  FakeNode silentWatches() {
    this.silentWatches = true;
    return this;
  }

  /** Watches also get the {@code changes} changes before their start: a buggy node. */
  FakeNode replayOnWatch(long changes) {
    this.watchReplay = changes;
    return this;
  }

  /** Watch streams open on this node now. */
  int openWatches() {
    return watches.size();
  }

  /** Messages sent on the watch streams open now, created messages included. */
  long watchMessagesSent() {
    return watches.stream().mapToLong(w -> w.sent.get()).sum();
  }

  /** Ends every open watch stream with {@code failure}. */
  void cutWatches(StatusRuntimeException failure) {
    for (WatchStream w : List.copyOf(watches)) {
      w.fail(failure);
    }
  }

  /** Sends a progress notification on every open watch stream. */
  void sendProgress() {
    long at = history.last();
    for (WatchStream w : List.copyOf(watches)) {
      w.offer(watchResponse(at).setProgress(true).build());
    }
  }

  FakeNode appliedIndex(long applied) {
    index.set(applied);
    return this;
  }

  FakeNode term(long newTerm) {
    this.term = newTerm;
    return this;
  }

  /** How far behind the leader this node says it is, for BOUNDED_STALENESS reads. */
  FakeNode lagEntries(long entries) {
    this.lagEntries = entries;
    return this;
  }

  long appliedIndex() {
    return index.get();
  }

  String nodeId() {
    return "id-" + endpoint;
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

  /** The read options of every read received (Get, Range, read-only Txn), in order. */
  List<ReadOptions> readOptions() {
    return received.stream().map(r -> {
      if (r instanceof GetRequest g) {
        return g.getRead();
      } else if (r instanceof RangeRequest g) {
        return g.getRead();
      } else if (r instanceof TxnRequest t && !t.hasWriteId()) {
        return t.getRead();
      }
      return null;
    }).filter(o -> o != null).toList();
  }

  /** The port the server listens on, for one bound to a socket. */
  int port() {
    return server.getPort();
  }

  void stop() {
    server.shutdownNow();
  }

  /** Waits until the stopped server has released its port. */
  void awaitStopped() throws InterruptedException {
    server.awaitTermination();
  }

  static String token(long index) {
    return new SessionToken(CLUSTER_ID, index).encode();
  }

  static StatusRuntimeException status(Status.Code code, String description) {
    return Status.fromCode(code).withDescription(description).asRuntimeException();
  }

  /** What a node removed from the cluster answers to anything but an EVENTUAL read. */
  static StatusRuntimeException removed(String nodeId) {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.UNAVAILABLE.value())
        .setMessage("node " + nodeId + ": this node was removed from the cluster's "
            + "configuration and no longer serves reads that claim freshness; use another node")
        .addDetails(Any.pack(NodeRemoved.newBuilder().setNodeId(nodeId).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
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
    if (arrivals != null) {
      arrivals.add(endpoint);
    }
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

  /** Refuses a read this node has not caught up for, as a replica out of budget does. */
  private boolean lagging(ReadOptions read, StreamObserver<?> out) {
    long applied = index.get();
    if (read.getConsistency() == Consistency.SESSION && !read.getSessionToken().isEmpty()) {
      SessionToken token;
      try {
        token = SessionToken.parse(read.getSessionToken());
      } catch (IllegalArgumentException e) {
        out.onError(status(Status.Code.INVALID_ARGUMENT, e.getMessage()));
        return true;
      }
      if (token.clusterId() != CLUSTER_ID) {
        out.onError(status(Status.Code.INVALID_ARGUMENT, "session token belongs to cluster "
            + SessionToken.clusterIdText(token.clusterId())));
        return true;
      }
      if (token.index() > applied) {
        out.onError(laggingError(applied, token.index(), token.index() - applied));
        return true;
      }
    }
    if (read.getConsistency() == Consistency.BOUNDED_STALENESS && read.getMaxLagEntries() > 0
        && lagEntries > read.getMaxLagEntries()) {
      out.onError(laggingError(applied, 0, lagEntries));
      return true;
    }
    return false;
  }

  private StatusRuntimeException laggingError(long applied, long needed, long lag) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.FAILED_PRECONDITION.value())
        .setMessage("replica has applied index " + applied + " but the read needs " + needed)
        .addDetails(Any.pack(ReplicaLagging.newBuilder().setNodeId(nodeId())
            .setAppliedIndex(applied).setNeededIndex(needed).setLagEntries(lag).build()))
        .build());
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
    long applied = index.get();
    return ReadMeta.newBuilder().setServedBy(nodeId()).setAppliedIndex(applied)
        .setLagEntries(lagEntries).setSessionToken(token(applied)).build();
  }

  private static boolean leaderOnly(Consistency level) {
    return level != Consistency.EVENTUAL && level != Consistency.SESSION
        && level != Consistency.BOUNDED_STALENESS;
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
      long at = index.incrementAndGet();
      PutResponse response = PutResponse.newBuilder().setIndex(at)
          .setSessionToken(token(at)).build();
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
      long at = index.incrementAndGet();
      answerWrite(request.getWriteId(), DeleteResponse.newBuilder()
          .setIndex(at).setDeleted(true).setSessionToken(token(at)).build(), out);
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> out) {
      if (refused(request, leaderOnly(request.getRead().getConsistency()), out)
          || lagging(request.getRead(), out)) {
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
      if (refused(request, leaderOnly(request.getRead().getConsistency()), out)
          || lagging(request.getRead(), out)) {
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
      if (refused(request, writes || leaderOnly(request.getRead().getConsistency()), out)
          || (!writes && lagging(request.getRead(), out))) {
        return;
      }
      if (writes) {
        long at = index.incrementAndGet();
        answerWrite(request.getWriteId(), TxnResponse.newBuilder().setSucceeded(true)
            .setIndex(at).setSessionToken(token(at)).build(), out);
      } else {
        out.onNext(TxnResponse.newBuilder().setSucceeded(true).setMeta(meta()).build());
        out.onCompleted();
      }
    }
  }

  private WatchResponse.Builder watchResponse(long position) {
    return WatchResponse.newBuilder().setPosition(position).setSessionToken(token(position))
        .setServedBy(nodeId()).setAppliedIndex(history.last());
  }

  /** One open watch stream: sends what is offered as fast as the client asks for it. */
  private final class WatchStream {
    final AtomicLong sent = new AtomicLong();
    private final ServerCallStreamObserver<WatchResponse> out;
    private final java.util.ArrayDeque<WatchResponse> pending = new java.util.ArrayDeque<>();
    private final Consumer<WatchEvent> live = this::offerEvent;
    private boolean closed;

    WatchStream(ServerCallStreamObserver<WatchResponse> out) {
      this.out = out;
      out.setOnReadyHandler(this::drain);
      out.setOnCancelHandler(this::forget);
    }

    void follow(long start) {
      history.follow(Math.max(0, start - watchReplay),
          backlog -> backlog.forEach(this::offerEvent), live);
    }

    void offerEvent(WatchEvent event) {
      offer(watchResponse(event.getIndex()).addEvents(event).build());
    }

    synchronized void offer(WatchResponse response) {
      pending.add(response);
      drain();
    }

    synchronized void drain() {
      while (!closed && !pending.isEmpty() && out.isReady()) {
        out.onNext(pending.poll());
        sent.incrementAndGet();
      }
    }

    void fail(StatusRuntimeException failure) {
      synchronized (this) {
        if (closed) {
          return;
        }
        closed = true;
        out.onError(failure);
      }
      forget();
    }

    /** Not under this stream's lock: the history calls offer() under its own. */
    void forget() {
      synchronized (this) {
        closed = true;
      }
      watches.remove(this);
      history.unsubscribe(live);
    }
  }

  private final class Watch extends WatchGrpc.WatchImplBase {
    @Override
    public void watch(WatchRequest request, StreamObserver<WatchResponse> out) {
      if (refused(request, false, out)) {
        return;
      }
      long start = switch (request.getStartCase()) {
        case START_AFTER_INDEX -> request.getStartAfterIndex();
        case START_AFTER_TOKEN -> {
          SessionToken t;
          try {
            t = SessionToken.parse(request.getStartAfterToken());
          } catch (IllegalArgumentException e) {
            out.onError(status(Status.Code.INVALID_ARGUMENT, e.getMessage()));
            yield -1;
          }
          long applied = watchApplied != null ? watchApplied : history.last();
          if (t.index() > applied) {
            out.onError(laggingError(applied, t.index(), t.index() - applied));
            yield -1;
          }
          yield t.index();
        }
        default -> history.last();
      };
      if (start < 0) {
        return;
      }
      WatchStream stream = new WatchStream((ServerCallStreamObserver<WatchResponse>) out);
      watches.add(stream);
      stream.offer(watchResponse(start).setCreated(true).build());
      if (!silentWatches) {
        stream.follow(start);
      }
    }
  }

  private final class Lease extends LeaseGrpc.LeaseImplBase {
    @Override
    public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> out) {
      if (refused(request, true, out)) {
        return;
      }
      long at = index.incrementAndGet();
      leases.put(at, request.getTtlMs());
      out.onNext(LeaseGrantResponse.newBuilder().setId(at).setTtlMs(request.getTtlMs())
          .setIndex(at).setSessionToken(token(at)).build());
      out.onCompleted();
    }

    @Override
    public void leaseRevoke(LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> out) {
      if (refused(request, true, out)) {
        return;
      }
      if (leases.remove(request.getId()) == null) {
        out.onError(status(Status.Code.NOT_FOUND, "lease " + request.getId() + " not found"));
        return;
      }
      long at = index.incrementAndGet();
      out.onNext(LeaseRevokeResponse.newBuilder().setIndex(at).setSessionToken(token(at))
          .build());
      out.onCompleted();
    }

    @Override
    public void leaseInfo(LeaseInfoRequest request, StreamObserver<LeaseInfoResponse> out) {
      if (refused(request, true, out)) {
        return;
      }
      Long ttl = leases.get(request.getId());
      if (ttl == null) {
        out.onError(status(Status.Code.NOT_FOUND, "lease " + request.getId() + " not found"));
        return;
      }
      out.onNext(LeaseInfoResponse.newBuilder().setId(request.getId()).setGrantedTtlMs(ttl)
          .setRemainingTtlMs(ttl).build());
      out.onCompleted();
    }

    @Override
    public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(
        StreamObserver<LeaseKeepAliveResponse> out) {
      return new StreamObserver<>() {
        private boolean over;

        @Override
        public synchronized void onNext(LeaseKeepAliveRequest request) {
          keepAlives.incrementAndGet();
          if (over) {
            return;
          }
          StatusRuntimeException failure = alwaysFail;
          if (failure == null && leaderAddress != null) {
            failure = notLeader(leaderAddress);
          }
          if (failure != null) {
            over = true;
            out.onError(failure);
            return;
          }
          out.onNext(LeaseKeepAliveResponse.newBuilder().setId(request.getId())
              .setTtlMs(leases.getOrDefault(request.getId(), 0L)).build());
        }

        @Override
        public void onError(Throwable t) {
          over = true;
        }

        @Override
        public synchronized void onCompleted() {
          if (!over) {
            over = true;
            out.onCompleted();
          }
        }
      };
    }
  }

  private final class Admin extends AdminGrpc.AdminImplBase {
    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
      statusCalls.incrementAndGet();
      StatusRuntimeException failure = alwaysFail;
      if (failure != null) {
        out.onError(failure);
        return;
      }
      String leader = leaderAddress == null ? endpoint : leaderAddress;
      out.onNext(StatusResponse.newBuilder().setNodeId(nodeId()).setRole(role).setTerm(term)
          .setLeaderGrpcAddress(leader).setGrpcAddress(endpoint)
          .setAppliedIndex(index.get())
          .setClusterId(SessionToken.clusterIdText(CLUSTER_ID)).build());
      out.onCompleted();
    }
  }
}
