package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.cli.CliRun.raftkv;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftkv cluster start --secure}: the nodes serve TLS and require credentials, the
 * CA, admin certificate and admin token are recorded in cluster.json, and every verb given
 * {@code --cluster DIR} uses them without further flags. One single-voter cluster of one
 * process keeps this cheap on a small CI machine.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SecureClusterProcessTest {
  @TempDir Path dir;

  @AfterEach
  void stopCluster() {
    Raftkv.run("cluster", "stop", "--dir", dir.toString());
  }

  @Test
  void verbsGivenTheClusterDirectoryUseItsTlsFilesAndAdminToken() throws Exception {
    // Three voters: a write commits only if Raft traffic between them (mutual TLS) works.
    CliRun started = raftkv("cluster", "start", "--dir", dir.toString(), "--voters", "3",
        "--secure");
    assertThat(started.exitCode()).as(started.toString()).isZero();
    ClusterFile cluster = ClusterFile.read(dir);
    assertThat(cluster.caFile()).isNotNull();
    assertThat(Files.readString(Path.of(cluster.tokenFile())).strip()).hasSize(43);
    assertThat(Path.of(cluster.clientCertFile())).isRegularFile();
    assertThat(Path.of(cluster.clientKeyFile())).isRegularFile();
    String endpoint = cluster.grpcAddresses().get(0);

    CliRun put = raftkv("put", "--cluster", dir.toString(), "--json", "secure-key", "v1");
    CliRun get = raftkv("get", "--cluster", dir.toString(), "--json", "secure-key");
    CliRun status = raftkv("status", "--cluster", dir.toString(), "--json");

    assertThat(put.exitCode()).as(put.toString()).isZero();
    assertThat(get.exitCode()).as(get.toString()).isZero();
    assertThat(get.json().get("value").asText()).isEqualTo("v1");
    assertThat(status.exitCode()).as(status.toString()).isZero();
    assertThat(status.json().get("nodes").findValuesAsText("role"))
        .hasSize(3).containsOnlyOnce("LEADER");
    assertThat(cluster.nodes()).allSatisfy(n -> assertThat(n.command())
        .contains("--raft-tls-keystore", "--raft-tls-password-file"));

    // Trusting the CA is not enough: without a token or the admin certificate the node
    // refuses; a wrong token likewise; plaintext cannot talk to the TLS port at all.
    CliRun noCredentials = raftkv("get", "--endpoints", endpoint, "--cacert", cluster.caFile(),
        "secure-key");
    CliRun wrongToken = raftkv("get", "--endpoints", endpoint, "--cacert", cluster.caFile(),
        "--auth-token", "wrong-token-wrong-token", "secure-key");
    CliRun plaintext = raftkv("get", "--endpoints", endpoint, "--timeout", "2s", "secure-key");
    CliRun withToken = raftkv("get", "--endpoints", endpoint, "--cacert", cluster.caFile(),
        "--auth-token-file", cluster.tokenFile(), "--json", "secure-key");

    assertThat(noCredentials.exitCode()).as(noCredentials.toString()).isEqualTo(1);
    assertThat(noCredentials.err()).contains("missing bearer token");
    assertThat(wrongToken.exitCode()).as(wrongToken.toString()).isEqualTo(1);
    assertThat(wrongToken.err()).contains("unknown bearer token");
    assertThat(plaintext.exitCode()).as(plaintext.toString()).isEqualTo(1);
    assertThat(withToken.exitCode()).as(withToken.toString()).isZero();
    assertThat(withToken.json().get("value").asText()).isEqualTo("v1");
  }
}
