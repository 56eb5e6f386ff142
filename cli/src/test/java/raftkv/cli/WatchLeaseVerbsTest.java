package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.cli.CliRun.raftkv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.testkit.MiniCluster;

/**
 * {@code raftkv watch}, {@code raftkv lease ...} and {@code put --lease} against a cluster of
 * 3 voters and a learner: what each prints, plain and {@code --json}, and its exit code.
 * Watches start after a known index, so what they print does not depend on when they start.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WatchLeaseVerbsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static MiniCluster cluster;
  static KvClient client;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, 1, dir, c -> c);
    cluster.awaitLeader();
    client = KvClient.builder().endpoints(cluster.endpoints())
        .defaultDeadline(Duration.ofSeconds(30)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  static CliRun verb(String verb, String... args) {
    return raftkv(Stream.concat(Stream.of(verb, "--endpoints", cluster.endpoints()),
        Stream.of(args)).toArray(String[]::new));
  }

  /** {@code raftkv lease SUB --endpoints <all four nodes> ARGS...}. */
  static CliRun lease(String sub, String... args) {
    return raftkv(Stream.concat(Stream.of("lease", sub, "--endpoints", cluster.endpoints()),
        Stream.of(args)).toArray(String[]::new));
  }

  private static String learner() {
    return cluster.grpcAddress(cluster.learners().get(0));
  }

  @Test
  void watchOnALearnerPrintsEachChangeOfThePrefixInIndexOrderAndExitsAfterCount() {
    long before = client.blocking().put("elsewhere", "x").getIndex();
    long put1 = client.blocking().put("w1/a", "1").getIndex();
    client.blocking().put("w1-not-under", "x");
    long put2 = client.blocking().put("w1/b", "2").getIndex();
    long del = client.blocking().delete("w1/a").getIndex();

    CliRun r = raftkv("watch", "--endpoints", learner(), "--prefix", "w1/", "--after-index",
        Long.toString(before), "--count", "3", "--timeout", "60s");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out().lines().toList()).containsExactly(
        "PUT w1/a = 1 (index " + put1 + ")",
        "PUT w1/b = 2 (index " + put2 + ")",
        "DELETE w1/a (index " + del + ")");
  }

  @Test
  void watchJsonPrintsOneObjectPerChangeWithItsPositionAndToken() throws Exception {
    long before = client.blocking().put("elsewhere", "x").getIndex();
    long put = client.blocking().put("w2", "v").getIndex();

    CliRun r = verb("watch", "w2", "--after-index", Long.toString(before), "--count", "1",
        "--json", "--timeout", "60s");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(1);
    JsonNode event = JSON.readTree(lines.get(0));
    assertThat(event.get("type").asText()).isEqualTo("PUT");
    assertThat(event.get("key").asText()).isEqualTo("w2");
    assertThat(event.get("value").asText()).isEqualTo("v");
    assertThat(event.get("index").asLong()).isEqualTo(put);
    assertThat(event.get("version").asLong()).isEqualTo(put);
    assertThat(event.get("position").asLong()).isGreaterThanOrEqualTo(put);
    assertThat(event.get("token").asText()).startsWith("rkv1.");
  }

  @Test
  void watchWithATimeoutExitsZeroWithWhatCameAndOneWhenCountWasNotReached() {
    long before = client.blocking().put("elsewhere", "x").getIndex();
    long put = client.blocking().put("w3", "only").getIndex();

    CliRun enough = verb("watch", "w3", "--after-index", Long.toString(before), "--timeout", "2s");
    CliRun tooFew = verb("watch", "w3", "--after-index", Long.toString(before), "--count", "2",
        "--timeout", "2s");

    assertThat(enough.exitCode()).as(enough.toString()).isZero();
    assertThat(enough.out().strip()).isEqualTo("PUT w3 = only (index " + put + ")");
    assertThat(tooFew.exitCode()).as(tooFew.toString()).isEqualTo(1);
    assertThat(tooFew.out().strip()).isEqualTo("PUT w3 = only (index " + put + ")");
    assertThat(tooFew.err()).contains("raftkv: only 1 of 2 changes came within 2000 ms");
  }

  @Test
  void aLeaseIsGrantedAttachedInspectedAndRevokedAndItsKeyDeletionIsWatched() throws Exception {
    CliRun granted = lease("grant", "30s");
    assertThat(granted.exitCode()).as(granted.toString()).isZero();
    String lease = granted.out().strip();
    assertThat(lease).matches("[1-9][0-9]*");
    assertThat(granted.err()).contains("lease " + lease + " granted with a TTL of 30 s");

    CliRun put = verb("put", "--lease", lease, "svc/web-1", "10.0.0.1:8080");
    assertThat(put.exitCode()).as(put.toString()).isZero();
    CliRun info = lease("info", lease, "--keys", "--json");
    assertThat(info.exitCode()).as(info.toString()).isZero();
    assertThat(info.json().get("grantedTtlMs").asLong()).isEqualTo(30_000);
    assertThat(info.json().get("remainingTtlMs").asLong()).isBetween(1L, 30_000L);
    assertThat(info.json().get("keys").get(0).asText()).isEqualTo("svc/web-1");

    CliRun revoked = lease("revoke", lease);
    assertThat(revoked.exitCode()).as(revoked.toString()).isZero();
    assertThat(revoked.out().strip())
        .matches("OK lease " + lease + " revoked at index [0-9]+; 1 key deleted");
    long revokedAt = Long.parseLong(revoked.out().replaceAll(".*at index ([0-9]+).*\\s*", "$1"));

    CliRun watched = verb("watch", "--prefix", "svc/", "--after-index", lease, "--count", "2",
        "--timeout", "60s", "--json");
    assertThat(watched.exitCode()).as(watched.toString()).isZero();
    List<String> lines = watched.out().lines().toList();
    assertThat(JSON.readTree(lines.get(0)).get("lease").asText()).isEqualTo(lease);
    JsonNode delete = JSON.readTree(lines.get(1));
    assertThat(delete.get("type").asText()).isEqualTo("DELETE");
    assertThat(delete.get("index").asLong()).isEqualTo(revokedAt);
    assertThat(client.blocking().get("svc/web-1").getFound()).isFalse();
  }

  @Test
  void aPutToALeaseThatDoesNotExistAndItsKeepAliveFailWithExitOne() {
    CliRun put = verb("put", "--lease", "999999999", "k-no-lease", "v");
    CliRun keepAlive = lease("keep-alive", "999999999");

    assertThat(put.exitCode()).as(put.toString()).isEqualTo(1);
    assertThat(put.err()).startsWith("raftkv: FAILED_PRECONDITION");
    assertThat(client.blocking().get("k-no-lease").getFound()).isFalse();
    assertThat(keepAlive.exitCode()).as(keepAlive.toString()).isEqualTo(1);
    assertThat(keepAlive.err()).contains("lease 999999999 does not exist");
  }

  @Test
  void keepAliveExitsOneWhenItsLeaseIsRevoked() throws Exception {
    long lease = client.leases().grant(Duration.ofSeconds(30)).join().getId();
    CompletableFuture<CliRun> keepAlive = CompletableFuture.supplyAsync(
        () -> lease("keep-alive", Long.toString(lease)));

    client.leases().revoke(lease).join();

    CliRun r = keepAlive.get(60, TimeUnit.SECONDS);
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("raftkv: NOT_FOUND: lease " + lease + " does not exist");
  }
}
