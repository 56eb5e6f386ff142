package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static raftkv.cli.CliRun.raftkv;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftkv cluster restart-node|stop|status} and {@code raftkv status} on a local cluster
 * of node processes, where a node goes down and comes back: what each verb says and its exit
 * status.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterVerbsProcessTest {
  @TempDir Path dir;

  @AfterEach
  void stopCluster() {
    raftkv("cluster", "stop", "--dir", dir.toString());
  }

  /**
   * Bugs: restart-node returned while the node still did not answer (status said UNREACHABLE
   * for ~10 s), and status showed the down node's id as '?'.
   */
  @Test
  void statusNamesAKilledNodeAndRestartNodeReturnsOnceTheNodeIsReady() throws Exception {
    start();
    ClusterFile.Node victim = ClusterFile.read(dir).node("n2");
    ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly();
    await(victim.id() + " process gone").atMost(Duration.ofSeconds(10))
        .until(() -> !LocalCluster.alive(victim.pid()));

    CliRun down = raftkv("status", "--cluster", dir.toString(), "--json", "--timeout", "2s");
    assertThat(down.exitCode()).as(down.toString()).isZero();
    JsonNode row = row(down, victim.grpcAddress());
    assertThat(row.get("id").asText()).isEqualTo(victim.id());
    assertThat(row.get("role").asText()).isEqualTo("UNREACHABLE");

    CliRun restarted = raftkv("cluster", "restart-node", "--dir", dir.toString(), "--id",
        victim.id());

    assertThat(restarted.exitCode()).as(restarted.toString()).isZero();
    assertThat(restarted.out().strip())
        .matches("restarted n2 as pid [0-9]+; ready after [0-9]+\\.[0-9] s");
    // At once, no waiting: the verb has already waited.
    assertThat(readyStatus(ClusterFile.read(dir).node(victim.id()).metricsAddress()))
        .isEqualTo(200);
    CliRun up = raftkv("status", "--endpoints", victim.grpcAddress(), "--json");
    assertThat(up.exitCode()).as(up.toString()).isZero();
    assertThat(row(up, victim.grpcAddress()).get("role").asText()).isIn("FOLLOWER", "LEADER");
  }

  /**
   * Bugs: stop of a stopped cluster printed "stopped 3 nodes" and exited 0; status with every
   * node down exited 0.
   */
  @Test
  void stopAndStatusOfAClusterWithNoNodeRunningSaySoAndExitThree() {
    start();
    CliRun stopped = raftkv("cluster", "stop", "--dir", dir.toString());
    assertThat(stopped.exitCode()).as(stopped.toString()).isZero();
    assertThat(stopped.out().strip()).isEqualTo("stopped 3 nodes in " + dir);

    CliRun again = raftkv("cluster", "stop", "--dir", dir.toString());
    CliRun status = raftkv("cluster", "status", "--dir", dir.toString());

    assertThat(again.exitCode()).as(again.toString()).isEqualTo(ClusterCommand.NOT_RUNNING);
    assertThat(again.out()).isEmpty();
    assertThat(again.err()).contains("no node of the cluster in " + dir
        + " was running; nothing to stop");
    assertThat(status.exitCode()).as(status.toString()).isEqualTo(ClusterCommand.NOT_RUNNING);
    assertThat(status.out()).contains("DOWN");
    assertThat(status.err()).contains("no node of the cluster in " + dir + " is running");
  }

  private void start() {
    CliRun started = raftkv("cluster", "start", "--dir", dir.toString(), "--voters", "3");
    assertThat(started.exitCode()).as(started.toString()).isZero();
  }

  private static JsonNode row(CliRun status, String endpoint) {
    return StreamSupport.stream(status.json().get("nodes").spliterator(), false)
        .filter(n -> n.get("endpoint").asText().equals(endpoint)).findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + endpoint + " in " + status));
  }

  private static int readyStatus(String metricsAddress) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + metricsAddress + "/ready"))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
