package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.testkit.MiniCluster;
import raftkv.v1.AddLearnerRequest;
import raftkv.v1.DigestRequest;
import raftkv.v1.GetRequest;
import raftkv.v1.Member;
import raftkv.v1.PutRequest;
import raftkv.v1.RangeRequest;
import raftkv.v1.RemoveLearnerRequest;
import raftkv.v1.RequestOp;
import raftkv.v1.StatusRequest;
import raftkv.v1.TxnRequest;
import raftkv.v1.WriteId;

/**
 * Authentication and roles on a single-voter cluster with TLS (client certificates optional)
 * and bearer tokens for each role; the test client certificate's subject is mapped to
 * readwrite. Each role may call what it should and is refused what it should not, with
 * UNAUTHENTICATED or PERMISSION_DENIED naming the reason, and a refused write writes nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AuthTest {
  @TempDir static Path dir;
  static SecureFixture fixture;
  static MiniCluster cluster;
  static String endpoint;
  /** TLS without a client certificate: identity comes from tokens only. */
  static ManagedChannel channel;

  @BeforeAll
  static void start() {
    fixture = new SecureFixture(dir.resolve("sec"));
    AuthConfig auth = AuthConfig.tokens(fixture.tokens)
        .withCertificateRoles(Map.of(fixture.clientSubject, AccessRole.READWRITE));
    cluster = MiniCluster.start(1, dir,
        c -> c.withTls(fixture.tls(TlsConfig.ClientAuth.OPTIONAL)).withAuth(auth)
            .withMetrics(new MetricsConfig("127.0.0.1:0", MetricsConfig.DEFAULT_READY_MAX_LAG_MS)));
    endpoint = cluster.grpcAddress(cluster.awaitLeader());
    channel = fixture.tlsChannel(endpoint, false);
  }

  @AfterAll
  static void stop() {
    if (fixture != null) {
      fixture.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void readCanGetRangeAndStatusButNotPutTxnDigestOrAddLearner() {
    String t = SecureFixture.READ_TOKEN;

    assertThat(SecureFixture.kv(channel, t).get(get("r/absent")).getFound()).isFalse();
    assertThat(SecureFixture.kv(channel, t).range(RangeRequest.newBuilder()
        .setPrefix(bytes("r/")).build()).getKvsList()).isEmpty();
    assertThat(SecureFixture.admin(channel, t).status(StatusRequest.getDefaultInstance())
        .getNodeId()).isEqualTo("n1");
    // Digest scans the whole store: admin only.
    assertDenied(() -> SecureFixture.admin(channel, t).digest(DigestRequest.getDefaultInstance()),
        "role read may not call raftkv.v1.Admin/Digest; it needs admin");
    assertDenied(() -> SecureFixture.kv(channel, t).put(put("r/k", "v")),
        "role read may not call raftkv.v1.KV/Put; it needs readwrite");
    assertDenied(() -> SecureFixture.kv(channel, t).txn(txnPut("r/t", "v")),
        "role read may not call raftkv.v1.KV/Txn; it needs readwrite");
    assertDenied(() -> SecureFixture.admin(channel, t).addLearner(addLearner("l7")),
        "role read may not call raftkv.v1.Admin/AddLearner; it needs admin");
  }

  @Test
  void readwriteCanPutAndDeleteButNotAddLearner() {
    String t = SecureFixture.READWRITE_TOKEN;

    assertThat(SecureFixture.kv(channel, t).put(put("rw/k", "v")).getIndex()).isPositive();
    assertThat(SecureFixture.kv(channel, t).get(get("rw/k")).getKv().getValue())
        .isEqualTo(bytes("v"));
    assertDenied(() -> SecureFixture.admin(channel, t).addLearner(addLearner("l8")),
        "role readwrite may not call raftkv.v1.Admin/AddLearner; it needs admin");
  }

  @Test
  void adminCanAddAndRemoveALearner() {
    String t = SecureFixture.ADMIN_TOKEN;

    // A learner at a dead address: jraft accepts it (see JRAFT-NOTES), and commits go on
    // because learners never count toward quorum.
    assertThat(SecureFixture.admin(channel, t).addLearner(addLearner("l9")).getLearnersList())
        .extracting(Member::getId).contains("l9");
    assertThat(SecureFixture.admin(channel, t).removeLearner(RemoveLearnerRequest.newBuilder()
        .setId("l9").build()).getLearnersList()).extracting(Member::getId).doesNotContain("l9");
  }

  @Test
  void aCallWithoutTokenOrWithAnUnknownTokenIsUnauthenticated() {
    assertRefused(() -> SecureFixture.kv(channel, null).get(get("x")), Status.Code.UNAUTHENTICATED,
        "missing bearer token: send metadata 'authorization: Bearer <token>'");
    assertRefused(() -> SecureFixture.kv(channel, "not-a-configured-token-at-all").get(get("x")),
        Status.Code.UNAUTHENTICATED, "unknown bearer token");
    assertRefused(() -> SecureFixture.admin(channel, null)
        .status(StatusRequest.getDefaultInstance()), Status.Code.UNAUTHENTICATED,
        "missing bearer token");
  }

  @Test
  void aRefusedPutWritesNothing() {
    long before = cluster.stateHash("n1").appliedIndex();

    assertDenied(() -> SecureFixture.kv(channel, SecureFixture.READ_TOKEN)
        .put(put("refused/k", "v")), "may not call raftkv.v1.KV/Put");

    assertThat(SecureFixture.kv(channel, SecureFixture.ADMIN_TOKEN).get(get("refused/k"))
        .getFound()).isFalse();
    assertThat(cluster.stateHash("n1").appliedIndex()).isEqualTo(before);
  }

  @Test
  void aMappedCertificateSubjectGetsItsRoleWithoutAToken() {
    ManagedChannel withCertificate = fixture.tlsChannel(endpoint, true);

    assertThat(SecureFixture.kv(withCertificate, null).put(put("cert/k", "v")).getIndex())
        .isPositive();
    assertDenied(() -> SecureFixture.admin(withCertificate, null).addLearner(addLearner("l6")),
        "role readwrite may not call raftkv.v1.Admin/AddLearner; it needs admin");
    // A token, when sent, decides: the read token narrows this connection to read.
    assertDenied(() -> SecureFixture.kv(withCertificate, SecureFixture.READ_TOKEN)
        .put(put("cert/k2", "v")), "role read may not call raftkv.v1.KV/Put");
  }

  @Test
  void theKvClientSendsItsBearerTokenAndReportsRefusals() {
    try (KvClient writer = KvClient.builder().endpoints(List.of(endpoint)).tls(fixture.ca)
            .bearerToken(SecureFixture.READWRITE_TOKEN).build();
         KvClient reader = KvClient.builder().endpoints(List.of(endpoint)).tls(fixture.ca)
            .bearerToken(SecureFixture.READ_TOKEN).build()) {
      writer.blocking().put("client/k", "v");

      assertThat(reader.blocking().get("client/k").getKv().getValue().toStringUtf8())
          .isEqualTo("v");
      assertThat(reader.admin().blockingStatus(endpoint).getNodeId()).isEqualTo("n1");
      assertThatThrownBy(() -> reader.blocking().put("client/k", "w"))
          .isInstanceOfSatisfying(KvException.class,
              e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }
  }

  private static void assertDenied(ThrowingCallable call, String message) {
    assertRefused(call, Status.Code.PERMISSION_DENIED, message);
  }

  private static void assertRefused(ThrowingCallable call, Status.Code code, String message) {
    assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(message);
    });
  }

  private static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static GetRequest get(String key) {
    return GetRequest.newBuilder().setKey(bytes(key)).build();
  }

  private static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build();
  }

  private static TxnRequest txnPut(String key, String value) {
    return TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(bytes(key))
            .setValue(bytes(value))))
        .setWriteId(WriteId.newBuilder().setClientId("auth-test").setSequence(1)).build();
  }

  @Test
  void refusedCallsAreCountedInTheRequestMetricsByStatus() throws Exception {
    assertThatThrownBy(() -> SecureFixture.kv(channel, null).put(put("m/k", "v")))
        .isInstanceOf(StatusRuntimeException.class);
    assertDenied(() -> SecureFixture.kv(channel, SecureFixture.READ_TOKEN).put(put("m/k", "v")),
        "role read may not call raftkv.v1.KV/Put; it needs readwrite");

    java.net.InetSocketAddress metrics =
        cluster.node(cluster.awaitLeader()).metricsAddress().orElseThrow();
    java.net.http.HttpResponse<String> scrape = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
            + metrics.getPort() + "/metrics")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    PrometheusText text = PrometheusText.parse(scrape.body());
    String requests = "raftkv_grpc_server_requests_seconds_count";
    assertThat(text.value(requests, "method", "raftkv.v1.KV/Put", "status", "UNAUTHENTICATED"))
        .isGreaterThanOrEqualTo(1);
    assertThat(text.value(requests, "method", "raftkv.v1.KV/Put", "status", "PERMISSION_DENIED"))
        .isGreaterThanOrEqualTo(1);
  }

  private static AddLearnerRequest addLearner(String id) {
    return AddLearnerRequest.newBuilder().setLearner(Member.newBuilder().setId(id)
        .setRaftAddress("127.0.0.1:" + MiniCluster.freePort())
        .setGrpcAddress("127.0.0.1:" + MiniCluster.freePort())).build();
  }
}
