package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.LagPolicy;
import raftkv.v1.ReadOptions;

/** What a lagging replica's refusal leads to, per lag policy. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LagPolicyTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  /** A leader l:1 at 20, a follower f:2 and a learner r:3 both behind at 5. */
  private void laggingReplicas() {
    cluster.node("l:1").appliedIndex(20);
    cluster.node("f:2").followerOf("l:1").appliedIndex(5);
    cluster.node("r:3").learnerOf("l:1").appliedIndex(5);
  }

  /** A session that has seen its own write at 21, and the arrivals log cleared after it. */
  private Session sessionAfterAWrite(KvClient client) {
    Session session = client.newSession();
    session.blocking().put("k", "v");
    cluster.arrivals.clear();
    return session;
  }

  @Test
  void fallbackMovesALaggingRefusalToTheNextReplicaAndFinallyTheLeader() {
    laggingReplicas();
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    Session session = sessionAfterAWrite(client);

    GetResponse read = session.blocking().get("k");

    assertThat(read.getMeta().getServedBy()).isEqualTo("id-l:1");
    assertThat(cluster.arrivals).containsExactly("r:3", "f:2", "l:1");
    assertThat(cluster.node("l:1").readOptions()).singleElement().satisfies(o -> {
      assertThat(o.getConsistency()).isEqualTo(Consistency.SESSION);
      assertThat(o.getSessionToken()).isEqualTo(FakeNode.token(21));
    });
    // The refusals taught the router where the replicas are.
    assertThat(client.dispatcher().router().view("r:3").orElseThrow().appliedIndex())
        .isEqualTo(5);
  }

  @Test
  void fallbackFollowsThePreferenceOrder() {
    laggingReplicas();
    KvClient client = FakeCluster.rolesKnown(cluster.client(
        FakeCluster.builder().readPreference(ReadPreference.FOLLOWERS_FIRST),
        "l:1", "f:2", "r:3"));

    sessionAfterAWrite(client).blocking().get("k");

    assertThat(cluster.arrivals).containsExactly("f:2", "r:3", "l:1");
  }

  @Test
  void fallbackStopsAtAReplicaThatHasCaughtUp() {
    laggingReplicas();
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    Session session = sessionAfterAWrite(client);
    cluster.node("f:2").appliedIndex(21);

    assertThat(session.blocking().get("k").getMeta().getServedBy()).isEqualTo("id-f:2");
    assertThat(cluster.arrivals).containsExactly("r:3", "f:2");
  }

  @Test
  void failSurfacesKvExceptionWithTheReplicaLaggingDetailAndTriesNoOtherNode() {
    laggingReplicas();
    KvClient client = FakeCluster.rolesKnown(cluster.client(FakeCluster.builder()
        .lagPolicy(LagPolicy.FAIL).waitBudget(Duration.ofMillis(300)), "l:1", "f:2", "r:3"));
    Session session = sessionAfterAWrite(client);

    assertThatThrownBy(() -> session.blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.getMessage()).startsWith("FAILED_PRECONDITION: replica has applied");
          assertThat(e.replicaLagging()).hasValueSatisfying(lagging -> {
            assertThat(lagging.getNodeId()).isEqualTo("id-r:3");
            assertThat(lagging.getAppliedIndex()).isEqualTo(5);
            assertThat(lagging.getNeededIndex()).isEqualTo(21);
            assertThat(lagging.getLagEntries()).isEqualTo(16);
          });
          assertThat(e.leaderHint()).isEmpty();
        });
    assertThat(cluster.arrivals).containsExactly("r:3");
    assertThat(cluster.node("r:3").readOptions()).singleElement().satisfies(o -> {
      assertThat(o.getLagPolicy()).isEqualTo(LagPolicy.FAIL);
      assertThat(o.getWaitBudgetMs()).isEqualTo(300);
    });
  }

  @Test
  void waitNamedByTheRequestFailsWithTheDetailInsteadOfFallingBack() {
    laggingReplicas();
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    Session session = sessionAfterAWrite(client);

    assertThatThrownBy(() -> session.blocking().get(GetRequest.newBuilder()
        .setRead(ReadOptions.newBuilder().setLagPolicy(LagPolicy.WAIT)).build()))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.replicaLagging().orElseThrow().getNeededIndex()).isEqualTo(21);
        });
    assertThat(cluster.arrivals).containsExactly("r:3");
  }

  @Test
  void whenTheLeaderTooIsBehindFallbackFailsWithTheLeadersRefusal() {
    laggingReplicas();
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));

    assertThatThrownBy(() -> client.session(FakeNode.token(100)).blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.replicaLagging().orElseThrow().getNodeId()).isEqualTo("id-l:1");
        });
    assertThat(cluster.arrivals).containsExactly("r:3", "f:2", "l:1");
  }

  @Test
  void aFailedPreconditionWithoutTheLaggingDetailIsFinalEvenUnderFallback() {
    laggingReplicas();
    cluster.node("r:3").failNext(
        FakeNode.status(Status.Code.FAILED_PRECONDITION, "something else entirely"));
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));

    assertThatThrownBy(() -> client.newSession().blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
          assertThat(e.serverMessage()).isEqualTo("something else entirely");
          assertThat(e.replicaLagging()).isEmpty();
        });
    assertThat(cluster.arrivals).containsExactly("r:3");
  }

  @Test
  void boundedStalenessFallsBackPastAReplicaOutsideItsBound() {
    cluster.node("l:1");
    cluster.node("f:2").followerOf("l:1").lagEntries(1);
    cluster.node("r:3").learnerOf("l:1").lagEntries(10);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));

    GetResponse read = client.blocking().get(GetRequest.newBuilder().setRead(ReadOptions
        .newBuilder().setConsistency(Consistency.BOUNDED_STALENESS).setMaxLagEntries(2)).build());

    assertThat(read.getMeta().getServedBy()).isEqualTo("id-f:2");
    assertThat(cluster.arrivals).containsExactly("r:3", "f:2");
    assertThat(cluster.node("r:3").readOptions()).singleElement().satisfies(o -> {
      assertThat(o.getLagPolicy()).isEqualTo(LagPolicy.FALLBACK);
      assertThat(o.getWaitBudgetMs()).isEqualTo(1000);
    });
  }

  @Test
  void underFallbackAReplicaWaitsAtMostHalfTheTimeLeftSoTheLeaderStillGetsItsTurn() {
    laggingReplicas();
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    Session session = sessionAfterAWrite(client);

    session.blocking().withDeadline(Duration.ofMillis(1000)).get("k");

    int learnerBudget = cluster.node("r:3").readOptions().get(0).getWaitBudgetMs();
    int followerBudget = cluster.node("f:2").readOptions().get(0).getWaitBudgetMs();
    assertThat(learnerBudget).isBetween(1, 500);
    assertThat(followerBudget).isBetween(1, learnerBudget);
    assertThat(cluster.node("l:1").readOptions().get(0).getWaitBudgetMs()).isEqualTo(1000);
  }

  @Test
  void aPinnedReplicaThatLagsFallsBackToTheLeaderItNamedOrElseFails() {
    cluster.node("l:1").appliedIndex(20);
    cluster.node("r:3").learnerOf("l:1").appliedIndex(5);
    KvClient client = cluster.client("r:3");

    // No leader known yet: the pinned replica is all there is.
    assertThatThrownBy(() -> client.session(FakeNode.token(21)).blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.replicaLagging()).isPresent());
    // A write learns the leader from the replica's hint.
    Session session = sessionAfterAWrite(client);

    assertThat(session.blocking().get("k").getMeta().getServedBy()).isEqualTo("id-l:1");
    assertThat(cluster.arrivals).containsExactly("r:3", "l:1");
  }
}
