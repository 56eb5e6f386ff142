package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutResponse;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;

/** Building, closing, and the admin facet. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class LifecycleTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void endpointsAreParsedFromACommaSeparatedListWithoutDuplicates() {
    KvClient client = cluster.client(KvClient.builder().endpoints(" a:1, b:2,,a:1 ")
        .statusInterval(Duration.ZERO));

    assertThat(client.admin().endpoints()).containsExactly("a:1", "b:2");
    assertThat(cluster.opened).as("without status polls channels open on first use").isEmpty();
  }

  @Test
  void withSeveralEndpointsBuildingStartsAStatusPollOfEachWithoutWaitingForIt() {
    FakeNode a = cluster.node("a:1");
    FakeNode b = cluster.node("b:2").followerOf("a:1");

    KvClient client = cluster.client("a:1", "b:2", "down:3");

    await().until(() -> a.statusCalls.get() > 0 && b.statusCalls.get() > 0);
    await().until(() -> client.dispatcher().router().view("b:2")
        .map(v -> v.role() == Role.FOLLOWER).orElse(false));
    assertThat(cluster.opened).contains("a:1", "b:2", "down:3");
    assertThat(a.received).as("no KV call was made").isEmpty();
  }

  @Test
  void withOneEndpointNoStatusIsAsked() {
    FakeNode a = cluster.node("a:1");
    KvClient client = cluster.client("a:1");

    client.blocking().put("k", "v");
    client.dispatcher().pollStatus().join();

    assertThat(a.statusCalls.get()).isZero();
  }

  @Test
  void badReadSettingsAreRefusedWhenBuilding() {
    assertThatThrownBy(() -> KvClient.builder().waitBudget(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wait budget");
    assertThatThrownBy(() -> KvClient.builder().waitBudget(Duration.ofSeconds(61)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("60 s");
    assertThatThrownBy(() -> KvClient.builder().lagPolicy(LagPolicy.LAG_POLICY_UNSPECIFIED))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FALLBACK");
    assertThatThrownBy(() -> KvClient.builder().readPreference(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void badConfigurationIsRefusedWhenBuilding() {
    assertThatThrownBy(() -> KvClient.builder().endpoints("localhost"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
    assertThatThrownBy(() -> KvClient.builder().endpoints(" , "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KvClient.builder().defaultDeadline(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KvClient.builder().build()).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closeFailsCallsWaitingToRetryAndShutsEveryChannel() {
    cluster.node("a:1").failAlways(FakeNode.status(Status.Code.UNAVAILABLE, "no leader"));
    KvClient client = cluster.client(KvClient.builder()
        .backoff(Duration.ofSeconds(2), Duration.ofSeconds(2))
        .defaultDeadline(Duration.ofSeconds(30)), "a:1");
    CompletableFuture<PutResponse> waiting = client.async().put("k", "v");
    await().until(() -> cluster.channels.size() == 1);

    client.close();

    assertThatThrownBy(waiting::join).isInstanceOf(CompletionException.class).cause()
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.CANCELLED));
    assertThat(cluster.channels).allMatch(ManagedChannel::isShutdown);
    assertThatThrownBy(() -> client.blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.getMessage()).isEqualTo("CANCELLED: the client is closed"));
  }

  @Test
  void adminStatusAsksTheNamedNodeOnly() {
    cluster.node("a:1");
    cluster.node("b:2").followerOf("a:1");
    KvClient client = cluster.clientWithoutPolling("a:1", "b:2");

    StatusResponse status = client.admin().blockingStatus("b:2");

    assertThat(status.getNodeId()).isEqualTo("id-b:2");
    assertThat(status.getRole()).isEqualTo(Role.FOLLOWER);
    assertThat(status.getLeaderGrpcAddress()).isEqualTo("a:1");
    assertThat(client.admin().status("a:1").join().getRole()).isEqualTo(Role.LEADER);
    assertThat(cluster.opened).containsExactly("b:2", "a:1");
  }

  @Test
  void adminStatusOfADownNodeFailsAtOnceWithoutTryingOthers() {
    FakeNode up = cluster.node("a:1");
    KvClient client = cluster.clientWithoutPolling("a:1", "down:2");

    assertThatThrownBy(() -> client.admin().blockingStatus("down:2"))
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(up.received).isEmpty();
    assertThat(cluster.opened).isEqualTo(List.of("down:2"));
  }
}
