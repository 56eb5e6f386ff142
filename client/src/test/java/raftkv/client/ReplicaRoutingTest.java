package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.PutRequest;
import raftkv.v1.RangeRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.Role;

/**
 * Where replica-served reads go: the preference's tiers as the nodes' status reported them,
 * a SESSION read to a replica known to hold its token, a single endpoint always.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ReplicaRoutingTest {
  private static final ReadOptions BOUNDED = ReadOptions.newBuilder()
      .setConsistency(Consistency.BOUNDED_STALENESS).setMaxLagEntries(100).build();

  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  /** A leader l:1, a follower f:2 and a learner r:3, all at index 10. */
  private void threeRoles() {
    cluster.node("l:1").appliedIndex(10);
    cluster.node("f:2").followerOf("l:1").appliedIndex(10);
    cluster.node("r:3").learnerOf("l:1").appliedIndex(10);
  }

  private void readAtEveryReplicaLevel(KvClient client) {
    client.blocking().get("k", Consistency.EVENTUAL);
    client.blocking().get("k", Consistency.SESSION);
    client.blocking().get(GetRequest.newBuilder().setRead(BOUNDED).build());
    client.newSession().blocking().get("k");
    client.blocking().range(RangeRequest.newBuilder().setRead(BOUNDED).build());
  }

  @ParameterizedTest
  @CsvSource({"LEARNERS_FIRST, r:3", "FOLLOWERS_FIRST, f:2", "LEADER_ONLY, l:1"})
  void onceRolesAreKnownReplicaReadsGoToTheFirstTierOfThePreference(ReadPreference preference,
      String expected) {
    threeRoles();
    KvClient client = FakeCluster.rolesKnown(cluster.client(
        FakeCluster.builder().readPreference(preference), "l:1", "f:2", "r:3"));

    readAtEveryReplicaLevel(client);

    assertThat(cluster.arrivals).hasSize(5).containsOnly(expected);
  }

  @Test
  void withoutALearnerReadsGoToAFollowerAndWithoutEitherToTheLeader() {
    cluster.node("l:1");
    cluster.node("f:2").followerOf("l:1");
    KvClient noLearner = FakeCluster.rolesKnown(cluster.client("l:1", "f:2"));
    KvClient leaderOnly = FakeCluster.rolesKnown(cluster.client("l:1", "down:9"));

    readAtEveryReplicaLevel(noLearner);
    assertThat(cluster.arrivals).hasSize(5).containsOnly("f:2");
    cluster.arrivals.clear();

    readAtEveryReplicaLevel(leaderOnly);
    assertThat(cluster.arrivals).hasSize(5).containsOnly("l:1");
  }

  @Test
  void writesAndLinearizableReadsStillGoToTheLeaderWhenReplicasAreKnown() {
    threeRoles();
    KvClient client = FakeCluster.rolesKnown(cluster.client("r:3", "f:2", "l:1"));

    client.blocking().put("k", "v");
    client.blocking().get("k");
    client.blocking().get("k");

    // The first put learns the leader from the learner's hint; the rest go straight there.
    assertThat(cluster.arrivals).containsExactly("r:3", "l:1", "l:1", "l:1");
  }

  @Test
  void aReplicaThatStopsAnsweringIsLeftForTheNextTierAtOnce() {
    threeRoles();
    FakeNode learner = cluster.node("r:3");
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    learner.failAlways(FakeNode.status(Status.Code.UNAVAILABLE, "node is stopping"));

    assertThat(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy())
        .isEqualTo("id-f:2");
    assertThat(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy())
        .isEqualTo("id-f:2");

    assertThat(cluster.arrivals).containsExactly("r:3", "f:2", "f:2");
  }

  @Test
  void aReplicaThatFailedIsAskedForItsStatusAgainAndTakenBackWhenItAnswers() {
    threeRoles();
    FakeNode learner = cluster.node("r:3");
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    learner.failNext(FakeNode.status(Status.Code.UNAVAILABLE, "restarting"));
    int asked = learner.statusCalls.get();

    assertThat(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy())
        .isEqualTo("id-f:2");

    // The failure made the client poll again; the learner answers and gets reads again.
    await().until(() -> learner.statusCalls.get() > asked);
    await().until(() -> client.dispatcher().router().view("r:3")
        .map(v -> v.role() == Role.LEARNER).orElse(false));
    assertThat(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy())
        .isEqualTo("id-r:3");
  }

  @Test
  void aSessionReadGoesToAReplicaAlreadyKnownToHoldItsToken() {
    cluster.node("l:1").appliedIndex(12);
    cluster.node("f:2").followerOf("l:1").appliedIndex(12);
    cluster.node("r:3").learnerOf("l:1").appliedIndex(4);
    cluster.node("r:4").learnerOf("l:1").appliedIndex(12);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3", "r:4"));
    Session session = client.session(FakeNode.token(11));

    for (int i = 0; i < 4; i++) {
      assertThat(session.blocking().get("k").getMeta().getServedBy()).isEqualTo("id-r:4");
    }
    // Without a token to honour, reads take turns over both learners.
    client.blocking().get("k", Consistency.EVENTUAL);
    client.blocking().get("k", Consistency.EVENTUAL);

    assertThat(cluster.arrivals.subList(0, 4)).containsOnly("r:4");
    assertThat(cluster.arrivals.subList(4, 6)).containsExactlyInAnyOrder("r:3", "r:4");
  }

  @Test
  void whenNoLearnerHoldsTheTokenAFollowerThatDoesIsPreferredToWaiting() {
    cluster.node("l:1").appliedIndex(12);
    cluster.node("f:2").followerOf("l:1").appliedIndex(12);
    cluster.node("r:3").learnerOf("l:1").appliedIndex(4);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));

    client.session(FakeNode.token(11)).blocking().get("k");

    assertThat(cluster.arrivals).containsExactly("f:2");
  }

  @Test
  void whenNoReplicaIsKnownToHoldTheTokenTheFirstTierServesItAndTheLeaderIsSpared() {
    cluster.node("l:1").appliedIndex(12);
    cluster.node("f:2").followerOf("l:1").appliedIndex(4);
    FakeNode learner = cluster.node("r:3").learnerOf("l:1").appliedIndex(4);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    // It catches up after the poll: only a read can tell.
    learner.appliedIndex(12);

    client.session(FakeNode.token(11)).blocking().get("k");

    assertThat(cluster.arrivals).containsExactly("r:3");
    assertThat(client.dispatcher().router().view("r:3").orElseThrow().appliedIndex())
        .as("learned from the read's meta").isEqualTo(12);
  }

  @Test
  void appliedIndexesAreLearnedFromStatusReadsAndWrites() {
    threeRoles();
    FakeNode follower = cluster.node("f:2");
    KvClient client = FakeCluster.rolesKnown(cluster.client(
        FakeCluster.builder().readPreference(ReadPreference.FOLLOWERS_FIRST),
        "l:1", "f:2", "r:3"));
    Router router = client.dispatcher().router();
    assertThat(router.view("f:2").orElseThrow().appliedIndex()).isEqualTo(10);

    follower.appliedIndex(15);
    client.blocking().get("k", Consistency.EVENTUAL);
    client.blocking().put("k", "v");

    assertThat(router.view("f:2").orElseThrow().appliedIndex()).isEqualTo(15);
    assertThat(router.view("l:1").orElseThrow().appliedIndex()).isEqualTo(11);
    assertThat(router.view("r:3").orElseThrow().nodeId()).isEqualTo("id-r:3");
  }

  @Test
  void withOneEndpointReadsArePinnedToItAndNoRolesAreAsked() {
    FakeNode leader = cluster.node("l:1");
    FakeNode learner = cluster.node("r:3").learnerOf("l:1");
    KvClient client = cluster.client("r:3");

    readAtEveryReplicaLevel(client);
    client.blocking().put("k", "v");
    readAtEveryReplicaLevel(client);

    assertThat(learner.count(GetRequest.class) + learner.count(RangeRequest.class))
        .isEqualTo(10);
    assertThat(leader.count(PutRequest.class)).isEqualTo(1);
    assertThat(leader.received).hasSize(1);
    assertThat(learner.statusCalls.get() + leader.statusCalls.get()).isZero();
    assertThat(cluster.opened).isEqualTo(List.of("r:3", "l:1"));
  }
}
