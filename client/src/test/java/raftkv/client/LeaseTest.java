package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.LeaseGrantRequest;
import raftkv.v1.LeaseGrantResponse;
import raftkv.v1.PutRequest;

/** Leases: grants at the leader, and keep-alives that follow the leader and report the end. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class LeaseTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void aGrantGoesToTheLeaderWithAWriteIdAndReturnsTheLease() {
    FakeNode leader = cluster.node("l:1");
    cluster.node("f:2").followerOf("l:1");
    KvClient client = cluster.client("f:2", "l:1");

    LeaseGrantResponse granted = client.leases().grant(Duration.ofSeconds(5)).join();

    assertThat(granted.getTtlMs()).isEqualTo(5000);
    assertThat(cluster.leases).containsEntry(granted.getId(), 5000L);
    LeaseGrantRequest sent = (LeaseGrantRequest) leader.received.get(0);
    assertThat(sent.hasWriteId()).isTrue();
    assertThat(client.leases().info(granted.getId(), false).join().getGrantedTtlMs())
        .isEqualTo(5000);
  }

  @Test
  void aTtlOutsideTheLimitsIsRefusedNamingThem() {
    KvClient client = cluster.client("l:1");

    assertThatThrownBy(() -> client.leases().grant(Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a lease's TTL must be between 1 s and 30 days, got 500 ms");
    assertThatThrownBy(() -> client.leases().grant(Duration.ofDays(31)))
        .hasMessageContaining("between 1 s and 30 days");
  }

  @Test
  void aPutCarriesItsLease() {
    FakeNode leader = cluster.node("l:1");
    KvClient client = cluster.client("l:1");

    client.blocking().put("services/web-1", "10.0.0.1:8080", 42);

    assertThat(((PutRequest) leader.received.get(0)).getLease()).isEqualTo(42);
  }

  @Test
  void keepAliveRenewsEveryThirdOfTheTtl() {
    FakeNode leader = cluster.node("l:1");
    KvClient client = cluster.client("l:1");
    long id = client.leases().grant(Duration.ofSeconds(1)).join().getId();

    long started = System.nanoTime();
    try (LeaseKeepAlive alive = client.leases().keepAlive(id)) {
      await("4 renewals").atMost(Duration.ofSeconds(3)).until(() -> leader.keepAlives.get() >= 4);
      // The first at once, then one every 333 ms: four take about a second.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(
          Duration.ofMillis(900));
      assertThat(alive.ttl()).isEqualTo(Duration.ofSeconds(1));
      assertThat(alive.done()).isNotDone();
    }
  }

  @Test
  void keepAliveFollowsANewLeaderThatAReplicaNames() {
    FakeNode first = cluster.node("l:1");
    FakeNode second = cluster.node("f:2").followerOf("l:1");
    KvClient client = cluster.client("l:1", "f:2");
    long id = client.leases().grant(Duration.ofSeconds(1)).join().getId();
    LeaseKeepAlive alive = client.leases().keepAlive(id);
    await("renewed at the first leader").until(() -> first.keepAlives.get() >= 2);

    first.followerOf("f:2");
    second.asLeader();

    await("renewed at the new leader").atMost(Duration.ofSeconds(5))
        .until(() -> second.keepAlives.get() >= 3);
    assertThat(alive.done()).isNotDone();
    alive.close();
    assertThat(alive.done()).isCompleted();
  }

  @Test
  void keepAliveReconnectsWhenTheLeadersNodeDies() {
    FakeNode first = cluster.node("l:1");
    FakeNode second = cluster.node("l:2").followerOf("l:1");
    KvClient client = cluster.client("l:1", "l:2");
    long id = client.leases().grant(Duration.ofSeconds(1)).join().getId();
    LeaseKeepAlive alive = client.leases().keepAlive(id);
    await("renewed at the first leader").until(() -> first.keepAlives.get() >= 1);

    second.asLeader();
    first.stop();

    await("renewed at the new leader").atMost(Duration.ofSeconds(5))
        .until(() -> second.keepAlives.get() >= 2);
    assertThat(alive.done()).isNotDone();
  }

  @Test
  void keepAliveReportsALeaseThatIsGone() {
    cluster.node("l:1");
    KvClient client = cluster.client("l:1");
    long id = client.leases().grant(Duration.ofSeconds(1)).join().getId();
    LeaseKeepAlive alive = client.leases().keepAlive(id);
    await("renewed").until(() -> alive.ttl().toMillis() == 1000);

    client.leases().revoke(id).join();

    assertThatThrownBy(() -> alive.done().join()).isInstanceOf(CompletionException.class)
        .cause().isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(e.getMessage()).contains("lease " + id + " does not exist");
        });
  }
}
