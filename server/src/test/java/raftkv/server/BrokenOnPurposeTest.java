package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static raftkv.server.ReplicaReadLevelsTest.get;
import static raftkv.server.ReplicaReadLevelsTest.session;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.reads.BrokenOnPurpose;
import raftkv.testkit.MiniCluster;
import raftkv.v1.Consistency;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutResponse;
import raftkv.v1.ReadOptions;

/**
 * The switches that break read admission on purpose, so that checker tests can see a
 * checker fail: each scenario runs beside the same situation on a correct node.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrokenOnPurposeTest extends ClusterPerTest {
  private static final ReadOptions LINEARIZABLE =
      ReadOptions.newBuilder().setConsistency(Consistency.LINEARIZABLE).build();

  private KVGrpc.KVBlockingStub kv(String id) {
    return stubs.kv(cluster.grpcAddress(id));
  }

  private void awaitApplied(String id, long index) {
    await(id + " applied " + index).atMost(Duration.ofSeconds(20))
        .until(() -> cluster.node(id).node().appliedIndex() >= index);
  }

  @Test
  void aLearnerIgnoringTokensAnswersASessionReadAtOnceWithAStaleValueWhereACorrectOneRefuses() {
    // l1 is broken, l2 is not; both are held at the same index.
    cluster = MiniCluster.start(3, 2, dir, c -> c.nodeId().equals("l1")
        ? c.withBroken(Set.of(BrokenOnPurpose.LEARNER_IGNORES_TOKEN)) : c);
    String leader = cluster.awaitLeader();
    PutResponse first = kv(leader).put(LeaderRedirectTest.put("profile", "old"));
    List<String> learners = List.of("l1", "l2");
    learners.forEach(l -> awaitApplied(l, first.getIndex()));
    learners.forEach(l -> cluster.node(l).node().holdApply());
    try {
      PutResponse second = kv(leader).put(LeaderRedirectTest.put("profile", "new"));

      // A correct learner would wait up to 20 s for the token's index, past the stub's 10 s
      // deadline; the broken one answers from what it holds.
      GetResponse lied = kv("l1").get(get("profile",
          session(second.getSessionToken(), 20_000, LagPolicy.WAIT)));
      assertThat(lied.getKv().getValue().toStringUtf8()).isEqualTo("old");
      assertThat(lied.getMeta().getServedBy()).isEqualTo("l1");
      // The lie is in admission only: the metadata states the index actually served.
      assertThat(lied.getMeta().getAppliedIndex()).isEqualTo(first.getIndex());
      assertThat(cluster.node("l1").node().appliedIndex()).as("still held")
          .isLessThan(second.getIndex());

      StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
          () -> kv("l2").get(get("profile", session(second.getSessionToken(), 0, LagPolicy.FAIL))));
      assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    } finally {
      learners.forEach(l -> cluster.node(l).node().resumeApply());
    }
  }

  /**
   * Starts 3 voters with {@code broken}, writes k=before, then stops both followers: the
   * leader steps down on losing its quorum but hears of no successor. Returns its id.
   */
  private String oldLeaderCutOffFromItsFollowers(Set<BrokenOnPurpose> broken) {
    cluster = MiniCluster.start(3, dir, c -> c.withBroken(broken));
    String leader = cluster.awaitLeader();
    kv(leader).put(LeaderRedirectTest.put("k", "before"));
    for (String follower : cluster.followers()) {
      cluster.stop(follower);
    }
    await(leader + " steps down on losing its quorum").atMost(Duration.ofSeconds(30))
        .until(() -> !cluster.node(leader).node().isLeader());
    return leader;
  }

  @Test
  void anOldLeaderWithStaleLeaderReadsStillAnswersLinearizableReadsFromLocalState() {
    String old = oldLeaderCutOffFromItsFollowers(Set.of(BrokenOnPurpose.STALE_LEADER_READS));
    assertThat(cluster.node(old).node().believesLeader()).isTrue();

    GetResponse stale = kv(old).get(get("k", LINEARIZABLE));

    assertThat(stale.getKv().getValue().toStringUtf8()).isEqualTo("before");
    assertThat(stale.getMeta().getServedBy()).isEqualTo(old);
  }

  @Test
  void aCorrectOldLeaderRefusesLinearizableReadsOnceItHasLostItsQuorum() {
    String old = oldLeaderCutOffFromItsFollowers(Set.of());
    // It believes it leads as much as the broken one; only the switch acts on the belief.
    assertThat(cluster.node(old).node().believesLeader()).isTrue();

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> kv(old).get(get("k", LINEARIZABLE)));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void anUnknownSwitchInTheSystemPropertyRefusesToStartAndListsTheValidOnes() {
    PeerSpec self = new PeerSpec("n1", "127.0.0.1:" + MiniCluster.freePort(),
        "127.0.0.1:" + MiniCluster.freePort(), false);
    ServerConfig config = ServerConfig.of("n1", List.of(self), dir.resolve("n1"));
    String previous = System.getProperty(BrokenOnPurpose.SYSTEM_PROPERTY);
    System.setProperty(BrokenOnPurpose.SYSTEM_PROPERTY, "stale-leader-reads,stale-follower");
    try {
      assertThatIllegalArgumentException().isThrownBy(() -> RaftkvServer.start(config).close())
          .withMessage("raftkv.broken: unknown switch 'stale-follower'; valid: "
              + "learner-ignores-token, stale-leader-reads, watch-skips-on-resume");
    } finally {
      if (previous == null) {
        System.clearProperty(BrokenOnPurpose.SYSTEM_PROPERTY);
      } else {
        System.setProperty(BrokenOnPurpose.SYSTEM_PROPERTY, previous);
      }
    }
  }
}
