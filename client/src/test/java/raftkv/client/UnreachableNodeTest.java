package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;

/**
 * A node that cannot answer however often it is asked (nothing listens at its address, or it
 * was removed from the cluster) fails the call at once, naming the node and the cause, when no
 * other node is left; with others left it is skipped. Failures that heal are still retried
 * (see DeadlineTest, LeaderRoutingTest).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class UnreachableNodeTest {
  /** Far longer than any of these calls may take: failing early is the point. */
  private static final Duration LONG_DEADLINE = Duration.ofSeconds(30);
  /** Within this, a call has failed early: a cold JVM on a loaded machine, not retries. */
  private static final long EARLY_MILLIS = 5000;

  private final FakeCluster cluster = new FakeCluster();
  private volatile FakeNode served;

  @AfterEach
  void tearDown() {
    cluster.close();
    if (served != null) {
      served.stop();
    }
  }

  @Test
  void aSingleEndpointThatRefusesConnectionsFailsAtOnceNamingItsAddress() throws Exception {
    String endpoint = "127.0.0.1:" + ClosedPort.next();
    try (KvClient client = KvClient.builder().endpoints(endpoint)
        .defaultDeadline(LONG_DEADLINE).build()) {
      for (Runnable call : new Runnable[] {
          () -> client.blocking().put("k", "v"),
          () -> client.blocking().get("k"),
          () -> client.newSession().blocking().get("k")}) {
        long start = System.nanoTime();

        assertThatThrownBy(call::run).isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getMessage()).isEqualTo("UNAVAILABLE: connection refused to " + endpoint
              + " (nothing listens on that port)");
        });
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
            .as("well before the %s deadline", LONG_DEADLINE).isLessThan(EARLY_MILLIS);
      }
    }
  }

  @Test
  void whenEveryEndpointRefusesTheCallFailsAtOnceNamingThemAll() throws Exception {
    String a = "127.0.0.1:" + ClosedPort.next();
    String b = "127.0.0.1:" + ClosedPort.next();
    try (KvClient client = KvClient.builder().endpoints(a + "," + b)
        .defaultDeadline(LONG_DEADLINE).build()) {
      long start = System.nanoTime();

      assertThatThrownBy(() -> client.blocking().put("k", "v"))
          .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.getMessage())
              .isEqualTo("UNAVAILABLE: connection refused to every endpoint: " + a + ", " + b
                  + " (nothing listens on those ports)"));
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(EARLY_MILLIS);
    }
  }

  @Test
  void aRefusingNodeIsSkippedAndAReplicaReadGoesOnToTheOthers() throws Exception {
    String refusing = "127.0.0.1:" + ClosedPort.next();
    served = new FakeNode(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()),
        "live");
    String live = "127.0.0.1:" + served.port();
    try (KvClient client = KvClient.builder().endpoints(refusing + "," + live)
        .defaultDeadline(LONG_DEADLINE).build()) {
      for (int i = 0; i < 4; i++) {
        assertThat(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy())
            .isEqualTo("id-live");
      }
    }
  }

  @Test
  void aStatusQuestionToARefusingNodeNamesItsAddress() throws Exception {
    String endpoint = "127.0.0.1:" + ClosedPort.next();
    try (KvClient client = KvClient.builder().endpoints(endpoint).build()) {
      assertThatThrownBy(() -> client.admin().blockingStatus(endpoint))
          .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.getMessage())
              .isEqualTo("UNAVAILABLE: connection refused to " + endpoint
                  + " (nothing listens on that port)"));
    }
  }

  @Test
  void aRemovedNodeThatIsTheOnlyEndpointFailsTheReadAtOnceWithItsWords() {
    FakeNode removed = cluster.node("l9:1").failAlways(FakeNode.removed("l9"));
    KvClient client = cluster.client(FakeCluster.builder().defaultDeadline(LONG_DEADLINE), "l9:1");
    long start = System.nanoTime();

    assertThatThrownBy(() -> client.newSession().blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getMessage()).isEqualTo("UNAVAILABLE: node l9: this node was removed "
              + "from the cluster's configuration and no longer serves reads that claim "
              + "freshness; use another node (at l9:1)");
          assertThat(e.serverMessage()).startsWith("node l9: this node was removed");
        });
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(EARLY_MILLIS);
    assertThat(removed.count(GetRequest.class)).isEqualTo(1);
  }

  @Test
  void aRemovedReplicaIsAskedOncePerCallAndTheReadGoesOnToAnotherNode() {
    FakeNode removed = cluster.node("l9:1").failAlways(FakeNode.removed("l9"));
    FakeNode leader = cluster.node("n1:1");
    // Roles unknown: reads go round the endpoints as configured, the removed one included.
    KvClient client = cluster.clientWithoutPolling("l9:1", "n1:1");
    Session session = client.newSession();

    for (int i = 0; i < 4; i++) {
      assertThat(session.blocking().get("k").getMeta().getServedBy()).isEqualTo("id-n1:1");
    }
    assertThat(removed.count(GetRequest.class)).isLessThanOrEqualTo(4);
    assertThat(leader.count(GetRequest.class)).isEqualTo(4);
  }

  @Test
  void aNodeWithoutALeaderIsStillRetriedUntilOneIsElected() {
    FakeNode only = cluster.node("a:1").failNext(
        FakeNode.status(Status.Code.UNAVAILABLE, "no leader is known right now; retry shortly"),
        FakeNode.status(Status.Code.UNAVAILABLE, "no leader is known right now; retry shortly"));
    KvClient client = cluster.client("a:1");

    client.blocking().put("k", "v");

    assertThat(only.received).hasSize(3);
  }

  @Test
  void aNodeThatAnsweredBeforeAndRefusesWhileItRestartsIsWaitedForNotGivenUpOn()
      throws Exception {
    served = new FakeNode(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()),
        "only");
    int port = served.port();
    String endpoint = "127.0.0.1:" + port;
    ScheduledExecutorService restarter = Executors.newSingleThreadScheduledExecutor();
    try (KvClient client = KvClient.builder().endpoints(endpoint)
        .defaultDeadline(LONG_DEADLINE).build()) {
      client.blocking().put("k", "v");
      served.stop();
      served.awaitStopped();
      // The node comes back on its port while the next call is refused and retrying.
      restarter.schedule(() -> {
        served = new FakeNode(
            Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create()), "only");
        return null;
      }, 500, TimeUnit.MILLISECONDS);

      assertThat(client.blocking().put("k", "v2").getIndex()).isPositive();
    } finally {
      restarter.shutdownNow();
    }
  }
}
