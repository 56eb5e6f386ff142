package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.client.KvClient;
import raftkv.testkit.MiniCluster;
import raftkv.v1.GetResponse;
import raftkv.v1.PutResponse;

/** Writes through the Java client across leader changes. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FailoverTest extends ClusterPerTest {

  @Test
  void aClientThatKnowsOnlyAFollowerWritesThroughTheLeader() {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    String follower = cluster.followers().get(0);
    try (KvClient client = KvClient.builder().endpoints(List.of(cluster.grpcAddress(follower)))
        .build()) {
      PutResponse put = client.blocking().put(bytes("via-follower"), bytes("ok"));
      assertThat(cluster.node(leader).node().store().appliedIndex())
          .isGreaterThanOrEqualTo(put.getIndex());
      assertThat(client.blocking().get(bytes("via-follower")).getKv().getValue().toStringUtf8())
          .isEqualTo("ok");
    }
  }

  @Test
  void stoppingTheLeaderLosesNoAcknowledgedWriteAndWritesResume() throws Exception {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    try (KvClient client = KvClient.builder().endpoints(cluster.endpoints())
        .defaultDeadline(Duration.ofSeconds(30)).build()) {
      // 64 writes in flight while the leader goes away: each either fails or is durable.
      List<CompletableFuture<PutResponse>> inFlight = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        inFlight.add(client.async().put(bytes("k" + i), bytes("v" + i)));
      }
      cluster.stop(leader);
      List<Integer> acknowledged = new ArrayList<>();
      for (int i = 0; i < inFlight.size(); i++) {
        try {
          inFlight.get(i).join();
          acknowledged.add(i);
        } catch (RuntimeException failedAcrossTheChange) {
          // allowed: the client's deadline or a lost leader; not allowed: losing an ack
        }
      }
      String newLeader = cluster.awaitLeader();
      assertThat(newLeader).isNotEqualTo(leader);

      for (int i = 64; i < 96; i++) {
        client.blocking().put(bytes("k" + i), bytes("v" + i));
        acknowledged.add(i);
      }
      for (int i : acknowledged) {
        GetResponse got = client.blocking().get(bytes("k" + i));
        assertThat(got.getFound()).as("acknowledged k%d", i).isTrue();
        assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("v" + i);
      }
      assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(32);

      cluster.restart(leader);
      cluster.awaitConverged();
    }
  }

  static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
