package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.rocksdb.RocksDBException;
import raftkv.core.ChangesPage;
import raftkv.core.KvStore;
import raftkv.testkit.MiniCluster;
import raftkv.v1.KeyValue;
import raftkv.v1.LeaseGrantRequest;
import raftkv.v1.LeaseGrantResponse;
import raftkv.v1.LeaseInfoRequest;
import raftkv.v1.LeaseInfoResponse;
import raftkv.v1.LeaseKeepAliveRequest;
import raftkv.v1.LeaseKeepAliveResponse;
import raftkv.v1.LeaseRevokeRequest;
import raftkv.v1.LeaseRevokeResponse;
import raftkv.v1.NotLeader;
import raftkv.v1.PutRequest;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WatchEvent;
import raftkv.v1.WriteId;
import raftkv.v1.internal.ChangeSet;

/**
 * Leases on an in-process cluster through the raw gRPC API: what a lease owner relies on
 * (keys vanish together when it ends, keep-alives hold it, a leader change never expires it
 * early) and what a caller is told when it asks wrongly.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LeaseScenariosTest extends ClusterPerTest {
  private static final long TTL_MS = 1000;
  private final ScheduledExecutorService sender = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopSending() {
    sender.shutdownNow();
  }

  @Test
  void revokeDeletesEveryAttachedKeyAtOneIndex() throws Exception {
    cluster = MiniCluster.start(1, dir,
        c -> c.withMetrics(new MetricsConfig("127.0.0.1:0", MetricsConfig.DEFAULT_READY_MAX_LAG_MS)));
    String leader = cluster.awaitLeader();
    LeaseGrantResponse lease = grant(leader, 60_000);
    for (String key : List.of("svc/a", "svc/b", "svc/c")) {
      stubs.kv(cluster.grpcAddress(leader)).put(PutRequest.newBuilder().setKey(bytes(key))
          .setValue(bytes("up")).setLease(lease.getId()).build());
    }
    assertThat(stored(leader, "svc/b").getLease()).isEqualTo(lease.getId());
    LeaseInfoResponse info = stubs.lease(cluster.grpcAddress(leader)).leaseInfo(
        LeaseInfoRequest.newBuilder().setId(lease.getId()).setKeys(true).build());
    assertThat(info.getKeysList()).extracting(ByteString::toStringUtf8)
        .containsExactly("svc/a", "svc/b", "svc/c");
    assertThat(info.getGrantedTtlMs()).isEqualTo(60_000);
    assertThat(info.getRemainingTtlMs()).isBetween(1L, 60_000L);
    assertThat(leasesGauge(leader)).isEqualTo(1);
    long before = store(leader).appliedIndex();

    LeaseRevokeResponse revoked = stubs.lease(cluster.grpcAddress(leader))
        .leaseRevoke(LeaseRevokeRequest.newBuilder().setId(lease.getId()).build());

    assertThat(revoked.getDeletedKeys()).isEqualTo(3);
    assertThat(leasesGauge(leader)).isZero();
    for (String key : List.of("svc/a", "svc/b", "svc/c")) {
      assertThat(stored(leader, key)).as(key).isNull();
    }
    assertThat(deleteIndexes(leader, before)).as("indexes of the deletes").hasSize(3)
        .containsOnly(revoked.getIndex());
    StatusRuntimeException again = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.lease(cluster.grpcAddress(leader))
            .leaseRevoke(LeaseRevokeRequest.newBuilder().setId(lease.getId()).build()));
    assertThat(again.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(again.getStatus().getDescription())
        .isEqualTo("lease " + lease.getId() + " does not exist (expired, revoked or never granted)");
    StatusRuntimeException gone = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.lease(cluster.grpcAddress(leader))
            .leaseInfo(LeaseInfoRequest.newBuilder().setId(lease.getId()).build()));
    assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void withoutKeepAlivesALeaseExpiresAfterItsTtlAndTakesItsKeysAtOneIndex() throws Exception {
    cluster = MiniCluster.start(1, dir);
    String leader = cluster.awaitLeader();
    long before = store(leader).appliedIndex();
    long grantedAfter = System.nanoTime();
    LeaseGrantResponse lease = grant(leader, TTL_MS);
    put(leader, "lock/owner", lease.getId());
    put(leader, "lock/since", lease.getId());

    await("lease " + lease.getId() + " expired").atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> store(leader).lease(lease.getId()) == null);

    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - grantedAfter))
        .as("ms from grant to expiry").isGreaterThanOrEqualTo(TTL_MS);
    assertThat(stored(leader, "lock/owner")).isNull();
    assertThat(stored(leader, "lock/since")).isNull();
    assertThat(deleteIndexes(leader, before)).hasSize(2).containsOnly(
        deleteIndexes(leader, before).get(0));
  }

  @Test
  void keepAlivesHoldALeasePastSeveralTtls() throws Exception {
    cluster = MiniCluster.start(1, dir);
    String leader = cluster.awaitLeader();
    LeaseGrantResponse lease = grant(leader, TTL_MS);
    put(leader, "member/n1", lease.getId());
    KeepAlives keepAlives = new KeepAlives(leader);
    sender.scheduleWithFixedDelay(() -> keepAlives.send(lease.getId()), 0, 250,
        TimeUnit.MILLISECONDS);

    await("lease and key held by keep-alives for 4 TTLs").during(Duration.ofMillis(4 * TTL_MS))
        .atMost(Duration.ofMillis(6 * TTL_MS))
        .until(() -> store(leader).lease(lease.getId()) != null
            && stored(leader, "member/n1") != null);
    sender.shutdownNow();

    assertThat(keepAlives.answers).hasSizeGreaterThanOrEqualTo(4)
        .allSatisfy(a -> {
          assertThat(a.getId()).isEqualTo(lease.getId());
          assertThat(a.getTtlMs()).isEqualTo(TTL_MS);
        });
    await("lease expired once keep-alives stopped").atMost(Duration.ofSeconds(20))
        .until(() -> stored(leader, "member/n1") == null);
    keepAlives.send(lease.getId());
    await("a keep-alive of the expired lease answered").atMost(Duration.ofSeconds(10))
        .until(() -> keepAlives.answers.stream().anyMatch(a -> a.getTtlMs() == 0));
    keepAlives.close();
  }

  @Test
  void aLeaderChangeNeverExpiresALeaseBeforeTtlPlusTheNewLeadersElectionTimeout()
      throws Exception {
    long electionTimeoutMs = 2000;
    cluster = MiniCluster.start(3, dir, c -> c.withElectionTimeoutMs((int) electionTimeoutMs));
    String oldLeader = cluster.awaitLeader();
    LeaseGrantResponse lease = grant(oldLeader, TTL_MS);
    put(oldLeader, "leader/elected", lease.getId());
    cluster.awaitConverged();
    String newLeader = cluster.followers().get(0);
    // The owner keeps the lease alive on the old leader until that leader turns it away.
    KeepAlives keepAlives = new KeepAlives(oldLeader);
    sender.scheduleWithFixedDelay(() -> keepAlives.send(lease.getId()), 0, 200,
        TimeUnit.MILLISECONDS);
    await("first keep-alive answered").atMost(Duration.ofSeconds(10))
        .until(() -> !keepAlives.answers.isEmpty());

    long transferStarted = System.nanoTime();
    cluster.node(oldLeader).node()
        .transferLeadership(cluster.node(newLeader).config().self().raftAddress());
    await(newLeader + " leads").atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> cluster.node(newLeader).node().isLeader());
    long observed = System.nanoTime();
    await("the old leader ends the keep-alive stream").atMost(Duration.ofSeconds(10))
        .until(keepAlives.ended::isDone);
    sender.shutdownNow();

    // The new leader started after transferStarted, so it expires nothing before
    // transferStarted + ttl + election timeout. Without that grace it would have expired the
    // lease about a ttl after it was observed leading; hold the check past that point.
    long holdUntil = Math.min(observed + ms(TTL_MS + 700),
        transferStarted + ms(TTL_MS + electionTimeoutMs - 300));
    assertThat(holdUntil - observed).as("the leader change took too long to tell grace apart")
        .isGreaterThan(ms(TTL_MS + 300));
    Duration hold = Duration.ofNanos(holdUntil - System.nanoTime());
    await("lease held by the new leader within ttl + election timeout").during(hold)
        .atMost(hold.plusSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> store(newLeader).lease(lease.getId()) != null
            && stored(newLeader, "leader/elected") != null);

    await("lease expired by the new leader").atMost(Duration.ofSeconds(20))
        .until(() -> store(newLeader).lease(lease.getId()) == null);
    assertThat(System.nanoTime() - transferStarted).as("ns from the transfer to expiry")
        .isGreaterThanOrEqualTo(ms(TTL_MS + electionTimeoutMs));
    assertThat(stored(newLeader, "leader/elected")).isNull();
    keepAlives.close();
  }

  @Test
  void followersSendGrantsAndKeepAlivesToTheLeader() throws Exception {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    String follower = cluster.followers().get(0);
    LeaseGrantResponse lease = grant(leader, 60_000);

    StatusRuntimeException grant = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.lease(cluster.grpcAddress(follower))
            .leaseGrant(LeaseGrantRequest.newBuilder().setTtlMs(60_000).build()));
    assertThat(leaderHint(grant).getLeaderId()).isEqualTo(leader);

    KeepAlives keepAlives = new KeepAlives(follower);
    keepAlives.send(lease.getId());
    Throwable ended = keepAlives.ended.get(10, TimeUnit.SECONDS);
    NotLeader hint = leaderHint(ended);
    assertThat(hint.getLeaderId()).isEqualTo(leader);
    assertThat(hint.getLeaderGrpcAddress()).isEqualTo(cluster.grpcAddress(leader));
    assertThat(keepAlives.answers).isEmpty();
  }

  @Test
  void aWriteNamingAMissingLeaseIsRefusedAndWritesNothing() throws Exception {
    cluster = MiniCluster.start(1, dir);
    String leader = cluster.awaitLeader();
    long before = store(leader).appliedIndex();

    StatusRuntimeException put = catchThrowableOfType(StatusRuntimeException.class,
        () -> put(leader, "orphan", 424242));
    StatusRuntimeException txn = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.kv(cluster.grpcAddress(leader)).txn(TxnRequest.newBuilder()
            .setWriteId(WriteId.newBuilder().setClientId("c1").setSequence(1))
            .addSuccess(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
                .setKey(bytes("plain")).setValue(bytes("v"))))
            .addFailure(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
                .setKey(bytes("orphan")).setValue(bytes("v")).setLease(424242)))
            .build()));

    for (StatusRuntimeException refused : List.of(put, txn)) {
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(refused.getStatus().getDescription()).startsWith("lease 424242 does not exist");
    }
    assertThat(stored(leader, "orphan")).isNull();
    assertThat(stored(leader, "plain")).isNull();
    assertThat(store(leader).appliedIndex()).as("nothing proposed").isEqualTo(before);
  }

  @Test
  void aTtlOutsideOneSecondToThirtyDaysIsRefusedNamingTheLimits() {
    cluster = MiniCluster.start(1, dir);
    String leader = cluster.awaitLeader();
    for (long ttl : new long[] {0, 999, -5, 2_592_000_001L}) {
      StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
          () -> grant(leader, ttl));
      assertThat(refused.getStatus().getCode()).as("ttl %d", ttl)
          .isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(refused.getStatus().getDescription())
          .isEqualTo("ttl_ms must be between 1000 and 2592000000 ms (1 second to 30 days), got "
              + ttl);
    }
    assertThat(store(leader).leasesOrEmpty()).isEmpty();
  }

  @Test
  void aGrantRetriedWithItsWriteIdReturnsTheSameLease() {
    cluster = MiniCluster.start(1, dir);
    String leader = cluster.awaitLeader();
    LeaseGrantRequest request = LeaseGrantRequest.newBuilder().setTtlMs(30_000)
        .setWriteId(WriteId.newBuilder().setClientId("owner-1").setSequence(7)).build();

    LeaseGrantResponse first = stubs.lease(cluster.grpcAddress(leader)).leaseGrant(request);
    LeaseGrantResponse retried = stubs.lease(cluster.grpcAddress(leader)).leaseGrant(request);
    LeaseGrantResponse next = stubs.lease(cluster.grpcAddress(leader)).leaseGrant(
        request.toBuilder().setWriteId(request.getWriteId().toBuilder().setSequence(8)).build());

    assertThat(retried).isEqualTo(first);
    assertThat(first.getId()).isEqualTo(first.getIndex());
    assertThat(first.getTtlMs()).isEqualTo(30_000);
    assertThat(next.getId()).isNotEqualTo(first.getId());
    assertThat(store(leader).leasesOrEmpty()).hasSize(2);

    // The same id on a put is a different request: refused, not answered with the grant.
    StatusRuntimeException reused = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.kv(cluster.grpcAddress(leader)).put(PutRequest.newBuilder()
            .setKey(bytes("k")).setValue(bytes("v")).setWriteId(request.getWriteId()).build()));
    assertThat(reused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(reused.getStatus().getDescription())
        .startsWith("write_id owner-1/7 was already used by another kind of write");
  }

  // --- helpers ---

  private LeaseGrantResponse grant(String node, long ttlMs) {
    return stubs.lease(cluster.grpcAddress(node))
        .leaseGrant(LeaseGrantRequest.newBuilder().setTtlMs(ttlMs).build());
  }

  private void put(String node, String key, long lease) {
    stubs.kv(cluster.grpcAddress(node)).put(PutRequest.newBuilder().setKey(bytes(key))
        .setValue(bytes("v")).setLease(lease).build());
  }

  private StoreView store(String node) {
    return new StoreView(cluster.node(node).node().store());
  }

  private KeyValue stored(String node, String key) throws RocksDBException {
    return cluster.node(node).node().store().get(key.getBytes()).result();
  }

  /** Indexes of the DELETE events in the node's history after {@code afterIndex}. */
  private List<Long> deleteIndexes(String node, long afterIndex) throws Exception {
    ChangesPage page = cluster.node(node).node().store().changesAfter(afterIndex, 100);
    return page.changes().stream().map(ChangeSet::getEventsList).flatMap(List::stream)
        .filter(e -> e.getType() == WatchEvent.Type.DELETE).map(WatchEvent::getIndex).toList();
  }

  /** raftkv_leases as the node's metrics endpoint reports it. */
  private double leasesGauge(String node) throws Exception {
    java.net.InetSocketAddress at = cluster.node(node).metricsAddress().orElseThrow();
    java.net.http.HttpResponse<String> scraped = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(
            "http://127.0.0.1:" + at.getPort() + "/metrics")).timeout(Duration.ofSeconds(10))
            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    return PrometheusText.parse(scraped.body()).value("raftkv_leases");
  }

  private static NotLeader leaderHint(Throwable refused) {
    assertThat(Status.fromThrowable(refused).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    return StatusProto.fromThrowable(refused).getDetailsList().stream()
        .filter(a -> a.is(NotLeader.class)).findFirst().map(a -> {
          try {
            return a.unpack(NotLeader.class);
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        }).orElseThrow(() -> new AssertionError("no NotLeader detail in " + refused));
  }

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** The store's lease table, read as a test reads it. */
  private record StoreView(KvStore store) {
    long appliedIndex() {
      return store.appliedIndex();
    }

    Object lease(long id) throws RocksDBException {
      return store.lease(id);
    }

    List<?> leasesOrEmpty() {
      try {
        return store.leases();
      } catch (RocksDBException e) {
        throw new AssertionError(e);
      }
    }
  }

  /** One LeaseKeepAlive stream: what it answered and how it ended. */
  private final class KeepAlives {
    final ConcurrentLinkedQueue<LeaseKeepAliveResponse> answers = new ConcurrentLinkedQueue<>();
    /** Completes with the error that ended the stream, or null when it completed. */
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    private final StreamObserver<LeaseKeepAliveRequest> requests;

    KeepAlives(String node) {
      requests = stubs.leaseStream(cluster.grpcAddress(node)).leaseKeepAlive(
          new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse answer) {
              answers.add(answer);
            }

            @Override
            public void onError(Throwable t) {
              ended.complete(t);
            }

            @Override
            public void onCompleted() {
              ended.complete(null);
            }
          });
    }

    /** From one thread at a time (a gRPC request stream is not thread-safe). */
    synchronized void send(long id) {
      if (!ended.isDone()) {
        requests.onNext(LeaseKeepAliveRequest.newBuilder().setId(id).build());
      }
    }

    synchronized void close() {
      if (!ended.isDone()) {
        requests.onCompleted();
      }
    }
  }
}
