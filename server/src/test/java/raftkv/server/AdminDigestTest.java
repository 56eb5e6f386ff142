package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.DigestRequest;
import raftkv.v1.DigestResponse;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.StatusRequest;
import raftkv.v1.WriteId;

/** Admin.Digest: what the chaos tool's convergence check compares across replicas. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminDigestTest extends ClusterPerTest {
  private DigestResponse digest(String id) {
    return stubs.admin(cluster.grpcAddress(id)).digest(DigestRequest.getDefaultInstance());
  }

  private PutResponse put(String leader, String key, String value, long sequence) {
    PutRequest request = LeaderRedirectTest.put(key, value).toBuilder()
        .setWriteId(WriteId.newBuilder().setClientId("digest-test").setSequence(sequence))
        .build();
    return stubs.kv(cluster.grpcAddress(leader)).put(request);
  }

  private List<DigestResponse> awaitDigestsAt(long index) {
    List<DigestResponse>[] digests = new List[1];
    await("every replica's digest at applied index " + index).atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50)).until(() -> {
          digests[0] = cluster.ids().stream().map(this::digest).toList();
          return digests[0].stream().allMatch(d -> d.getAppliedIndex() == index);
        });
    return digests[0];
  }

  @Test
  void replicasAtTheSameAppliedIndexAgreeAndAReplicaHeldBehindDiffersUntilItCatchesUp() {
    cluster = MiniCluster.start(3, 1, dir, java.util.function.UnaryOperator.identity());
    String leader = cluster.awaitLeader();
    put(leader, "a", "1", 1);
    long settled = put(leader, "b", "2", 2).getIndex();

    List<DigestResponse> same = awaitDigestsAt(settled);
    assertThat(same).extracting(DigestResponse::getStateHash).containsOnly(
        same.get(0).getStateHash());
    assertThat(same).extracting(DigestResponse::getKeys).containsOnly(2L);
    assertThat(same).extracting(DigestResponse::getNodeId)
        .containsExactlyElementsOf(cluster.ids());
    assertThat(same.get(0).getStateHash()).matches("[0-9a-f]{64}");
    for (String id : cluster.ids()) {
      assertThat(digest(id).getAppliedIndex()).as(id + ": digest index is Status's")
          .isEqualTo(stubs.admin(cluster.grpcAddress(id)).status(StatusRequest.getDefaultInstance())
              .getAppliedIndex());
    }

    // A replica whose apply is held answers at its own index, with the state it holds.
    String held = cluster.learners().get(0);
    cluster.node(held).node().holdApply();
    long next;
    try {
      next = put(leader, "a", "changed", 3).getIndex();
      DigestResponse behind = digest(held);
      DigestResponse ahead = digest(leader);
      assertThat(behind.getAppliedIndex()).isEqualTo(settled);
      assertThat(behind.getStateHash()).isEqualTo(same.get(0).getStateHash());
      assertThat(ahead.getAppliedIndex()).isEqualTo(next);
      assertThat(ahead.getStateHash()).isNotEqualTo(behind.getStateHash());
    } finally {
      cluster.node(held).node().resumeApply();
    }

    List<DigestResponse> caughtUp = awaitDigestsAt(next);
    assertThat(caughtUp).extracting(DigestResponse::getStateHash).containsOnly(
        digest(leader).getStateHash());
  }
}
