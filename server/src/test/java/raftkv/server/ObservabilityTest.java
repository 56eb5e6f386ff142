package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;

/**
 * Metrics, liveness and readiness (HTTP) and the gRPC health and reflection services, on a
 * cluster of 3 voters and a learner whose every node serves metrics on an ephemeral port.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ObservabilityTest extends ClusterPerTest {
  private static final long READY_MAX_LAG_MS = 1_000;
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  private void startCluster() {
    cluster = MiniCluster.start(3, 1, dir,
        c -> c.withMetrics(new MetricsConfig("127.0.0.1:0", READY_MAX_LAG_MS)));
  }

  @Test
  void aScrapeShowsRequestsReadsRaftProgressStorageJvmAndJraftSeries() throws Exception {
    startCluster();
    String leader = cluster.awaitLeader();
    PutResponse last = null;
    for (int i = 0; i < 20; i++) {
      last = stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("k" + i, "v" + i));
    }
    String token = last.getSessionToken();
    String learner = "l1";
    stubs.kv(cluster.grpcAddress(leader)).get(get("k1", ReadOptions.newBuilder()
        .setConsistency(Consistency.LINEARIZABLE).build()));
    stubs.kv(cluster.grpcAddress(learner)).get(get("k2", ReadOptions.newBuilder()
        .setConsistency(Consistency.SESSION).setSessionToken(token).setWaitBudgetMs(10_000)
        .build()));
    stubs.kv(cluster.grpcAddress(learner)).get(get("k3", ReadOptions.newBuilder()
        .setConsistency(Consistency.EVENTUAL).build()));
    await("a bounded-staleness read on the learner").atMost(WAIT)
        .ignoreException(StatusRuntimeException.class)
        .until(() -> stubs.kv(cluster.grpcAddress(learner)).get(get("k4", ReadOptions.newBuilder()
            .setConsistency(Consistency.BOUNDED_STALENESS).setMaxLagMs(2_000)
            .setLagPolicy(LagPolicy.FAIL).build())).getFound());
    stubs.kv(cluster.grpcAddress(learner)).range(RangeRequest.newBuilder()
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL)).build());
    stubs.kv(cluster.grpcAddress(learner)).txn(TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setGet(RequestOp.Get.newBuilder()
            .setKey(ByteString.copyFromUtf8("k5"))))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.SESSION)
            .setSessionToken(token).setWaitBudgetMs(10_000)).build());

    PrometheusText onLearner = scrape(learner);
    String requests = "raftkv_grpc_server_requests_seconds_count";
    assertThat(onLearner.value(requests, "method", "raftkv.v1.KV/Get", "level", "session",
        "status", "OK", "node", learner)).isEqualTo(1);
    assertThat(onLearner.value(requests, "method", "raftkv.v1.KV/Get", "level", "eventual",
        "status", "OK")).isEqualTo(1);
    assertThat(onLearner.value(requests, "method", "raftkv.v1.KV/Get",
        "level", "bounded_staleness", "status", "OK")).isGreaterThanOrEqualTo(1);
    assertThat(onLearner.value(requests, "method", "raftkv.v1.KV/Range", "level", "eventual"))
        .isEqualTo(1);
    assertThat(onLearner.value(requests, "method", "raftkv.v1.KV/Txn", "level", "session"))
        .isEqualTo(1);
    assertThat(onLearner.find("raftkv_grpc_server_requests_seconds_bucket",
        "method", "raftkv.v1.KV/Get", "level", "session", "le", "+Inf")).isPresent();
    // The Get and the read-only Txn at SESSION.
    assertThat(onLearner.value("raftkv_read_wait_seconds_count", "level", "session"))
        .isEqualTo(2);
    assertThat(onLearner.value("raftkv_read_wait_seconds_count", "level", "eventual"))
        .isEqualTo(2);
    assertThat(onLearner.value("raftkv_reads_refused_total", "level", "session",
        "reason", "wait_budget_exhausted")).isZero();
    assertThat(onLearner.value("raftkv_raft_applied_index")).isGreaterThanOrEqualTo(20);
    assertThat(onLearner.value("raftkv_raft_commit_index")).isGreaterThanOrEqualTo(20);
    assertThat(onLearner.value("raftkv_raft_term")).isPositive();
    assertThat(onLearner.value("raftkv_raft_leader")).isZero();
    assertThat(onLearner.value("raftkv_replica_lag_entries")).isGreaterThanOrEqualTo(0);
    assertThat(onLearner.value("raftkv_replica_lag_seconds")).isGreaterThanOrEqualTo(0);
    assertThat(onLearner.value("raftkv_raft_leader_changes_total")).isGreaterThanOrEqualTo(1);
    assertThat(onLearner.value("raftkv_apply_batch_entries_count")).isPositive();
    assertThat(onLearner.value("raftkv_apply_batch_entries_sum"))
        .isGreaterThanOrEqualTo(20);
    // -1 would mean RocksDB did not answer the property.
    assertThat(onLearner.value("raftkv_rocksdb_sst_files_size_bytes")).isGreaterThanOrEqualTo(0);
    assertThat(onLearner.value("raftkv_rocksdb_live_data_size_bytes"))
        .isGreaterThanOrEqualTo(0);
    assertThat(onLearner.value("raftkv_rocksdb_memtables_size_bytes")).isPositive();
    // One series per heap pool; a survivor space may well be empty.
    assertThat(onLearner.sum("jvm_memory_used_bytes", "area", "heap")).isPositive();
    assertThat(onLearner.names("jvm_gc_.*|jvm_threads_live_threads|process_uptime_seconds"))
        .isNotEmpty();

    // jraft registers a replicator's metrics when it starts and drops them when it stops: a
    // leader that stepped down and won again under load has none for a moment.
    await("the leader's three replicators registered their metrics").atMost(WAIT)
        .until(() -> scrape(leader).names("replicator_raftkv_.*_log_lags").size() == 3);
    PrometheusText onLeader = scrape(leader);
    assertThat(onLeader.value(requests, "method", "raftkv.v1.KV/Put", "level", "none",
        "status", "OK")).isEqualTo(20);
    assertThat(onLeader.value(requests, "method", "raftkv.v1.KV/Get", "level", "linearizable"))
        .isEqualTo(1);
    assertThat(onLeader.value("raftkv_read_wait_seconds_count", "level", "linearizable"))
        .isEqualTo(1);
    assertThat(onLeader.value("raftkv_raft_leader")).isEqualTo(1);
    assertThat(onLeader.value("raftkv_raft_leader_changes_total")).isGreaterThanOrEqualTo(1);
    // jraft's own registry, bridged with sanitised names.
    assertThat(onLeader.names(".*(replicate_entries|append_logs).*")).isNotEmpty();
    // The leader's per-replica lag: one replicator per other member, learner included.
    List<String> peers = cluster.ids().stream().filter(id -> !id.equals(leader))
        .map(id -> cluster.node(id).config().self().raftAddress()).toList();
    assertThat(onLeader.names("replicator_raftkv_.*_log_lags")).hasSize(3);
    for (String peer : peers) {
      assertThat(onLeader.find("replicator_raftkv_" + peer.replaceAll("[.:]", "_") + "_log_lags",
          "peer", peer)).as(peer).isPresent();
    }
    // Colons are legal in Prometheus names but reserved for recording rules.
    assertThat(onLeader.names(".*:.*")).isEmpty();
  }

  @Test
  void aLearnerHeldBehindIsNotReadyAndNotServingUntilItCatchesUp() throws Exception {
    startCluster();
    String leader = cluster.awaitLeader();
    String learner = "l1";
    stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("first", "1"));
    await("the learner is ready").atMost(WAIT).until(() -> get(learner, "/ready").statusCode() == 200);
    assertThat(get(leader, "/ready").body()).contains("\"ready\":true");
    // Health is re-evaluated every 500 ms: it may trail /ready by one refresh.
    await("gRPC health SERVING on the ready learner").atMost(WAIT)
        .until(() -> health(learner, "raftkv.v1.KV") == ServingStatus.SERVING);
    assertThat(health(learner, "")).isEqualTo(ServingStatus.SERVING);

    cluster.node(learner).node().holdApply();
    String[] token = new String[1];
    int[] writes = {0};
    await("the held learner's lag exceeds " + READY_MAX_LAG_MS + " ms").atMost(WAIT)
        .pollInterval(Duration.ofMillis(100)).until(() -> {
          token[0] = stubs.kv(cluster.grpcAddress(leader))
              .put(LeaderRedirectTest.put("w" + writes[0]++, "x")).getSessionToken();
          return get(learner, "/ready").statusCode() == 503;
        });
    HttpResponse<String> notReady = get(learner, "/ready");
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(notReady.body()).startsWith("{\"ready\":false,\"reason\":\"lag ")
        .contains("ms > " + READY_MAX_LAG_MS + " ms");
    await("gRPC health follows readiness").atMost(WAIT)
        .until(() -> health(learner, "raftkv.v1.KV") == ServingStatus.NOT_SERVING);
    assertThat(health(learner, "")).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(health(leader, "raftkv.v1.KV")).isEqualTo(ServingStatus.SERVING);
    assertThat(get(learner, "/health").statusCode()).isEqualTo(200);

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.kv(cluster.grpcAddress(learner)).get(get("first", ReadOptions.newBuilder()
            .setConsistency(Consistency.SESSION).setSessionToken(token[0])
            .setLagPolicy(LagPolicy.FAIL).build())));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    PrometheusText held = scrape(learner);
    assertThat(held.value("raftkv_reads_refused_total", "level", "session", "reason", "no_wait"))
        .isEqualTo(1);
    assertThat(held.value("raftkv_grpc_server_requests_seconds_count", "method",
        "raftkv.v1.KV/Get", "level", "session", "status", "FAILED_PRECONDITION")).isEqualTo(1);
    assertThat(held.value("raftkv_replica_lag_seconds")).isGreaterThan(READY_MAX_LAG_MS / 1000.0);
    assertThat(held.value("raftkv_replica_lag_entries")).isPositive();

    cluster.node(learner).node().resumeApply();
    await("the learner is ready again once caught up").atMost(WAIT)
        .until(() -> get(learner, "/ready").statusCode() == 200);
    assertThat(get(learner, "/ready").body()).contains("\"ready\":true");
    await("gRPC health SERVING again").atMost(WAIT)
        .until(() -> health(learner, "raftkv.v1.KV") == ServingStatus.SERVING);
  }

  @Test
  void healthIsUpAndReflectionListsTheServices() throws Exception {
    startCluster();
    String leader = cluster.awaitLeader();
    for (String id : cluster.ids()) {
      HttpResponse<String> health = get(id, "/health");
      assertThat(health.statusCode()).as(id).isEqualTo(200);
      assertThat(health.body()).contains("up");
    }
    assertThat(get(leader, "/nope").statusCode()).isEqualTo(404);
    assertThat(listServices(leader))
        .contains("raftkv.v1.KV", "raftkv.v1.Admin", "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection");
  }

  // ---- helpers ----

  private static GetRequest get(String key, ReadOptions read) {
    return GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setRead(read).build();
  }

  private HttpResponse<String> get(String id, String path) throws IOException, InterruptedException {
    java.net.InetSocketAddress address = cluster.node(id).metricsAddress().orElseThrow();
    URI uri = URI.create("http://" + address.getHostString() + ":" + address.getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private PrometheusText scrape(String id) throws IOException, InterruptedException {
    HttpResponse<String> response = get(id, "/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("text/plain"));
    return PrometheusText.parse(response.body());
  }

  private ManagedChannel channel(String id) {
    ManagedChannel channel =
        ManagedChannelBuilder.forTarget(cluster.grpcAddress(id)).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  private ServingStatus health(String id, String service) {
    return HealthGrpc.newBlockingStub(channel(id)).withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  private List<String> listServices(String id) throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel(id))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            services.complete(response.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList());
          }

          @Override
          public void onError(Throwable t) {
            services.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            services.completeExceptionally(new IllegalStateException("no response"));
          }
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();
    return services.get(10, TimeUnit.SECONDS);
  }
}
