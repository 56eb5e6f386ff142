package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.testkit.MiniCluster;
import raftkv.v1.StatusRequest;

/**
 * TLS on the client API, with client certificates required: a client that trusts the CA and
 * presents a certificate reads and writes; one without a certificate, or speaking plaintext
 * to the TLS port, gets nothing. One single-voter cluster for the class.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsTest {
  @TempDir static Path dir;
  static SecureFixture fixture;
  static MiniCluster cluster;
  static String endpoint;

  @BeforeAll
  static void start() {
    fixture = new SecureFixture(dir.resolve("tls"));
    cluster = MiniCluster.start(1, dir,
        c -> c.withTls(fixture.tls(TlsConfig.ClientAuth.REQUIRE)));
    endpoint = cluster.grpcAddress(cluster.awaitLeader());
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
  void aClientTrustingTheCaWithACertificatePutsAndGetsOverTls() {
    try (KvClient client = KvClient.builder().endpoints(List.of(endpoint))
        .tls(fixture.ca, fixture.clientCert, fixture.clientKey).build()) {
      long index = client.blocking().put("tls-key", "tls-value").getIndex();

      assertThat(index).isPositive();
      assertThat(client.blocking().get("tls-key").getKv().getValue().toStringUtf8())
          .isEqualTo("tls-value");
      assertThat(client.admin().blockingStatus(endpoint).getAppliedIndex())
          .isGreaterThanOrEqualTo(index);
    }
  }

  @Test
  void aClientWithoutACertificateIsRefusedWhenCertificatesAreRequired() {
    var withCertificate = SecureFixture.admin(fixture.tlsChannel(endpoint, true), null);
    var without = SecureFixture.admin(fixture.tlsChannel(endpoint, false), null);

    assertThat(withCertificate.status(StatusRequest.getDefaultInstance()).getNodeId())
        .isEqualTo("n1");
    assertThatThrownBy(() -> without.status(StatusRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void aPlaintextClientCannotTalkToTheTlsPort() {
    var plaintext = SecureFixture.admin(fixture.plaintextChannel(endpoint), null);

    assertThatThrownBy(() -> plaintext.status(StatusRequest.getDefaultInstance()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void theKvClientWithoutTlsFailsAgainstTheTlsPortWithinItsDeadline() {
    try (KvClient client = KvClient.builder().endpoints(List.of(endpoint))
        .defaultDeadline(Duration.ofSeconds(2)).build()) {
      assertThatThrownBy(() -> client.blocking().put("plain", "never"))
          .isInstanceOf(KvException.class);
    }
  }
}
