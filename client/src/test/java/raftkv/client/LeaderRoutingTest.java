package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.GetRequest;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;

/** Writes and linearizable reads find the leader through hints and failures. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class LeaderRoutingTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void writeSentToAFollowerIsRedirectedToTheLeaderItNames() {
    FakeNode follower = cluster.node("f:1").followerOf("l:2");
    FakeNode leader = cluster.node("l:2");
    KvClient client = cluster.client("f:1", "l:2");

    PutResponse response = client.blocking().put("k", "v");

    assertThat(response.getIndex()).isEqualTo(1);
    assertThat(follower.count(PutRequest.class)).isEqualTo(1);
    assertThat(leader.count(PutRequest.class)).isEqualTo(1);
  }

  @Test
  void theLeaderLearnedFromAHintIsRememberedForLaterCalls() {
    FakeNode follower = cluster.node("f:1").followerOf("l:2");
    FakeNode leader = cluster.node("l:2");
    KvClient client = cluster.client("f:1", "l:2");

    client.blocking().put("k1", "v");
    client.blocking().put("k2", "v");
    client.blocking().get("k1");

    assertThat(follower.received).hasSize(1);
    assertThat(leader.received).hasSize(3);
  }

  @Test
  void aHintToANodeOutsideTheEndpointListIsFollowed() {
    cluster.node("f:1").followerOf("hidden:9");
    FakeNode hidden = cluster.node("hidden:9");
    KvClient client = cluster.client("f:1");

    client.blocking().put("k", "v");

    assertThat(hidden.count(PutRequest.class)).isEqualTo(1);
    assertThat(cluster.opened).containsExactly("f:1", "hidden:9");
  }

  @Test
  void linearizableReadsFollowTheHintToo() {
    FakeNode follower = cluster.node("f:1").followerOf("l:2");
    FakeNode leader = cluster.node("l:2");
    KvClient client = cluster.client("f:1", "l:2");

    assertThat(client.blocking().get("k").getMeta().getServedBy()).isEqualTo("id-l:2");
    assertThat(follower.count(GetRequest.class)).isEqualTo(1);
    assertThat(leader.count(GetRequest.class)).isEqualTo(1);
  }

  @Test
  void aDownFirstEndpointIsSkippedForTheNext() {
    FakeNode leader = cluster.node("l:2");
    KvClient client = cluster.client("down:1", "l:2");

    client.blocking().put("k", "v");
    client.blocking().put("k", "v");

    assertThat(leader.count(PutRequest.class)).isEqualTo(2);
    assertThat(client.dispatcher().router().believedLeader()).isEqualTo("l:2");
  }

  @Test
  void aFollowerThatKnowsNoLeaderMakesTheClientTryTheNextEndpoint() {
    FakeNode follower = cluster.node("f:1").followerOf("");
    FakeNode leader = cluster.node("l:2");
    KvClient client = cluster.client("f:1", "l:2");

    client.blocking().put("k", "v");

    assertThat(follower.count(PutRequest.class)).isEqualTo(1);
    assertThat(leader.count(PutRequest.class)).isEqualTo(1);
  }

  @Test
  void aMalformedHintIsIgnoredAndTheSearchGoesOn() {
    FakeNode follower = cluster.node("f:1").followerOf("no port here");
    FakeNode leader = cluster.node("l:2");
    KvClient client = cluster.client("f:1", "l:2");

    client.blocking().put("k", "v");

    assertThat(follower.received).hasSize(1);
    assertThat(leader.received).hasSize(1);
    assertThat(cluster.opened).containsExactly("f:1", "l:2");
  }

  @Test
  void unavailableWithoutAHintMovesOnToTheNextEndpoint() {
    FakeNode stopping = cluster.node("a:1")
        .failAlways(FakeNode.status(Status.Code.UNAVAILABLE, "node is stopping"));
    FakeNode leader = cluster.node("b:2");
    KvClient client = cluster.client("a:1", "b:2");

    client.blocking().delete("k");

    assertThat(stopping.received).hasSize(1);
    assertThat(leader.received).hasSize(1);
  }

  @Test
  void hintsThatGoRoundInACircleAreRetriedWithBackoffUntilTheDeadline() {
    FakeNode a = cluster.node("a:1").followerOf("b:2");
    FakeNode b = cluster.node("b:2").followerOf("a:1");
    KvClient client = cluster.client("a:1", "b:2");

    assertThatThrownBy(() -> client.blocking().withDeadline(Duration.ofMillis(300)).put("k", "v"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.leaderHint()).isPresent();
        });
    // Backoff of at least 1..20 ms between rounds: a hot loop would make thousands of calls.
    assertThat(a.received.size() + b.received.size()).isBetween(4, 200);
  }
}
