package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import raftkv.testkit.MiniCluster;
import raftkv.v1.ReplicaHealth;
import raftkv.v1.ReplicatorState;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/**
 * A voter of three goes down and comes back: the leader's Admin.Status, metrics, /health and
 * log show it not replicating, for how long, and when that degrades the group (three election
 * timeouts), then show it back. Writes go on throughout: a degraded group still serves.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReplicaHealthScenarioTest extends ClusterPerTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final Logger peerLog = (Logger) LoggerFactory.getLogger(PeerHealthLog.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @AfterEach
  void detachLog() {
    peerLog.detachAppender(logged);
  }

  @Test
  void aStoppedVoterShowsAsNotReplicatingThenDegradedThenBack() throws Exception {
    logged.start();
    peerLog.addAppender(logged);
    peerLog.setLevel(Level.INFO);
    cluster = MiniCluster.start(3, 0, dir,
        c -> c.withMetrics(new MetricsConfig("127.0.0.1:0", 5_000)));
    String leader = cluster.awaitLeader();
    String down = cluster.followers().get(0);
    String up = cluster.followers().get(1);
    stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("before", "1"));
    await("the leader sees both voters replicating").atMost(WAIT).ignoreExceptions()
        .until(() -> replica(leader, down).getReplicating() && replica(leader, up).getReplicating());
    assertThat(status(leader).getReplication().getDegraded()).isFalse();
    assertThat(status(up).hasReplication()).as("only the leader reports replication").isFalse();
    assertThat(scrape(leader).value("raftkv_peer_replicating", "peer", down, "role", "voter"))
        .isEqualTo(1);
    assertThat(health(leader)).contains("\"replication\":\"ok\"");

    cluster.stop(down);
    await(down + " not replicating in the leader's status").atMost(WAIT)
        .until(() -> !replica(leader, down).getReplicating());
    long firstAge = replica(leader, down).getMsSinceAck();
    await("ms since " + down + "'s last ack grows").atMost(WAIT)
        .until(() -> replica(leader, down).getMsSinceAck() >= firstAge + 1_000);
    ReplicaHealth stale = replica(leader, down);
    assertThat(stale.getState()).isNotEqualTo(ReplicatorState.REPLICATOR_REPLICATING);
    assertThat(stale.getLearner()).isFalse();
    assertThat(stale.getMember().getGrpcAddress()).isEqualTo(cluster.grpcAddress(down));

    long degradedAfterMs = ReplicationHealth.degradedAfterMs(
        cluster.node(leader).config().electionTimeoutMs());
    await("replication degraded after " + degradedAfterMs + " ms").atMost(WAIT)
        .until(() -> status(leader).getReplication().getDegraded());
    assertThat(replica(leader, down).getMsSinceAck()).isGreaterThan(degradedAfterMs);
    assertThat(status(leader).getReplication().getDegradedReason())
        .startsWith("voter " + down + " (");
    await("the metrics follow").atMost(WAIT)
        .until(() -> scrape(leader).value("raftkv_replication_degraded") == 1);
    PrometheusText degraded = scrape(leader);
    assertThat(degraded.value("raftkv_peer_replicating", "peer", down, "role", "voter")).isZero();
    assertThat(degraded.value("raftkv_peer_replicating", "peer", up, "role", "voter")).isEqualTo(1);
    assertThat(degraded.value("raftkv_peer_ack_age_seconds", "peer", down))
        .isGreaterThan(degradedAfterMs / 1000.0);
    assertThat(health(leader)).contains("\"replication\":\"degraded\"").contains(down);
    assertThat(scrape(up).value("raftkv_replication_degraded")).isZero();
    // Degraded, not down: the leader and the other voter still commit writes.
    stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("during", "2"));

    cluster.restart(down);
    await(down + " replicating again").atMost(WAIT)
        .until(() -> replica(leader, down).getReplicating());
    await("replication no longer degraded").atMost(WAIT)
        .until(() -> !status(leader).getReplication().getDegraded());
    await("the metrics follow").atMost(WAIT)
        .until(() -> scrape(leader).value("raftkv_replication_degraded") == 0);
    assertThat(scrape(leader).value("raftkv_peer_replicating", "peer", down)).isEqualTo(1);
    assertThat(health(leader)).contains("\"replication\":\"ok\"");

    await("the leader logged " + down + " reachable again").atMost(WAIT)
        .until(() -> lines(down).stream().anyMatch(l -> l.contains("reachable again after")));
    List<String> aboutDown = lines(down);
    assertThat(aboutDown).as("one line down, one line back: %s", aboutDown).hasSize(2);
    assertThat(aboutDown.get(0)).startsWith("WARN peer " + down + " (voter at ")
        .contains("unreachable for");
    assertThat(aboutDown.get(1)).startsWith("INFO peer " + down);
  }

  private List<String> lines(String peer) {
    synchronized (logged.list) {
      return logged.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage())
          .filter(l -> l.contains("peer " + peer + " ")).toList();
    }
  }

  private StatusResponse status(String id) {
    return stubs.admin(cluster.grpcAddress(id)).status(StatusRequest.getDefaultInstance());
  }

  private ReplicaHealth replica(String leader, String id) {
    return status(leader).getReplication().getReplicasList().stream()
        .filter(r -> r.getMember().getId().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("no replica " + id + " in " + status(leader)));
  }

  private String health(String id) throws IOException, InterruptedException {
    return get(id, "/health").body();
  }

  private PrometheusText scrape(String id) throws IOException, InterruptedException {
    return PrometheusText.parse(get(id, "/metrics").body());
  }

  private HttpResponse<String> get(String id, String path)
      throws IOException, InterruptedException {
    java.net.InetSocketAddress address = cluster.node(id).metricsAddress().orElseThrow();
    URI uri = URI.create("http://" + address.getHostString() + ":" + address.getPort() + path);
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path).isEqualTo(200);
    return response;
  }
}
