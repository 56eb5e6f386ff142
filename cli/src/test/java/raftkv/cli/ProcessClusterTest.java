package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.v1.Consistency;
import raftkv.v1.GetResponse;
import raftkv.v1.PutResponse;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;

/**
 * The cluster as a user runs it: {@code raftkv cluster start} launches one JVM per node;
 * SIGKILL of the leader's process loses no acknowledged write, writes continue through
 * the client, and the killed node, restarted, catches up. SIGTERM of the leader's process
 * hands leadership over first, and no client write fails.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProcessClusterTest {
  @TempDir Path dir;

  @AfterEach
  void stopCluster() {
    Raftkv.run("cluster", "stop", "--dir", dir.toString());
  }

  @Test
  void killingTheLeaderProcessLosesNoAcknowledgedWriteAndTheRestartedNodeCatchesUp()
      throws Exception {
    // The nodes' temporary directory is watched: a SIGKILLed node must leave nothing there
    // (RocksDB used to copy its JNI library into it at every start).
    Path nodeTmp = Files.createDirectories(dir.resolve("node-tmp"));
    assertThat(Raftkv.run("cluster", "start", "--dir", dir.toString(), "--voters", "3",
        "--jvm-options", LocalCluster.DEFAULT_JVM_OPTIONS + " -Djava.io.tmpdir=" + nodeTmp))
        .isZero();
    ClusterFile cluster = ClusterFile.read(dir);
    assertThat(cluster.nodes()).hasSize(3)
        .allSatisfy(n -> assertThat(LocalCluster.alive(n.pid())).isTrue());
    for (ClusterFile.Node n : cluster.nodes()) {
      await(n.id() + " answers /health on its metrics address").atMost(Duration.ofSeconds(30))
          .ignoreExceptions().until(() -> httpStatus(n.metricsAddress(), "/health") == 200);
    }

    List<String> acknowledged = new ArrayList<>();
    try (KvClient client = KvClient.builder().endpoints(cluster.grpcAddresses())
        .defaultDeadline(Duration.ofSeconds(30)).build()) {
      for (int i = 0; i < 50; i++) {
        put(client, "before" + i);
        acknowledged.add("before" + i);
      }
      ClusterFile.Node leader = leader(cluster);
      ProcessHandle.of(leader.pid()).orElseThrow().destroyForcibly();
      await("leader process gone").atMost(Duration.ofSeconds(10))
          .until(() -> !LocalCluster.alive(leader.pid()));
      try (var left = Files.list(nodeTmp)) {
        assertThat(left.map(p -> p.getFileName().toString()))
            .as("files the killed node left in its temporary directory")
            .noneMatch(name -> name.contains("rocksdb"));
      }

      long lastIndex = 0;
      for (int i = 0; i < 50; i++) {
        lastIndex = put(client, "after" + i).getIndex();
        acknowledged.add("after" + i);
      }
      for (String key : acknowledged) {
        GetResponse got = client.blocking().get(ByteString.copyFromUtf8(key));
        assertThat(got.getFound()).as("acknowledged write %s", key).isTrue();
        assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("value-of-" + key);
      }

      assertThat(Raftkv.run("cluster", "restart-node", "--dir", dir.toString(), "--id", leader.id()))
          .isZero();
      long target = lastIndex;
      await("restarted " + leader.id() + " caught up to index " + target)
          .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> LocalCluster.status(leader.grpcAddress(), Duration.ofSeconds(1))
              .map(s -> s.getAppliedIndex() >= target).orElse(false));
      try (KvClient pinned = KvClient.builder().endpoints(List.of(leader.grpcAddress())).build()) {
        GetResponse local = pinned.blocking().get(ByteString.copyFromUtf8("after49"), Consistency.EVENTUAL);
        assertThat(local.getMeta().getServedBy()).isEqualTo(leader.id());
        assertThat(local.getKv().getValue().toStringUtf8()).isEqualTo("value-of-after49");
      }
    }
  }

  @Test
  void sigtermOnTheLeaderHandsLeadershipOverWithNoFailedClientWrite() throws Exception {
    assertThat(Raftkv.run("cluster", "start", "--dir", dir.toString(), "--voters", "3")).isZero();
    ClusterFile cluster = ClusterFile.read(dir);
    try (KvClient client = KvClient.builder().endpoints(cluster.grpcAddresses())
        .defaultDeadline(Duration.ofSeconds(10)).build()) {
      for (int i = 0; i < 20; i++) {
        put(client, "warm" + i);
      }
      ClusterFile.Node leader = leader(cluster);
      // Writes keep going while the leader's process stops; each must succeed (a failure
      // throws and fails the test).
      long slowestMs = 0;
      ProcessHandle.of(leader.pid()).orElseThrow().destroy();
      int written = 0;
      while (LocalCluster.alive(leader.pid()) || written < 100) {
        long start = System.nanoTime();
        put(client, "during" + written);
        slowestMs = Math.max(slowestMs, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        written++;
        assertThat(written).as("writes while %s stops", leader.id()).isLessThan(100_000);
      }
      System.out.printf("SIGTERM on leader %s: %d writes while it stopped, slowest %d ms%n",
          leader.id(), written, slowestMs);
      for (int i = 0; i < written; i++) {
        assertThat(client.blocking().get(ByteString.copyFromUtf8("during" + i)).getFound())
            .as("write during%d", i).isTrue();
      }
      assertThat(java.nio.file.Files.readString(Path.of(leader.logFile())))
          .contains("handed leadership to");
    }
  }

  private static PutResponse put(KvClient client, String key) {
    return client.blocking().put(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8("value-of-" + key));
  }

  private static int httpStatus(String hostPort, String path) throws Exception {
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    return http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://" + hostPort + path))
            .timeout(Duration.ofSeconds(5)).build(),
        java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static ClusterFile.Node leader(ClusterFile cluster) {
    ClusterFile.Node[] found = new ClusterFile.Node[1];
    await("a leader").atMost(Duration.ofSeconds(30)).until(() -> {
      for (ClusterFile.Node n : cluster.nodes()) {
        Optional<StatusResponse> s = LocalCluster.status(n.grpcAddress(), Duration.ofSeconds(1));
        if (s.isPresent() && s.get().getRole() == Role.LEADER) {
          found[0] = n;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }
}
