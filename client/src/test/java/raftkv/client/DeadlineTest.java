package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.PutResponse;

/** A call's deadline bounds all its attempts and backoffs together. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class DeadlineTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void whenEveryEndpointIsDownTheCallFailsAtItsDeadlineNamingAttemptsAndEndpoints() {
    KvClient client = cluster.client("x:1", "y:2");
    long start = System.nanoTime();

    assertThatThrownBy(() -> client.blocking().withDeadline(Duration.ofMillis(300)).put("k", "v"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.getMessage())
              .startsWith("DEADLINE_EXCEEDED: no answer within 300ms after ")
              .contains(" attempts at x:1, y:2; last failure: UNAVAILABLE");
        });
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(elapsedMillis).isBetween(290L, 1500L);
  }

  @Test
  void aBusyLeaderIsRetriedOnlyUntilTheDeadline() {
    FakeNode leader = cluster.node("a:1")
        .failAlways(FakeNode.status(Status.Code.RESOURCE_EXHAUSTED, "apply queue full"));
    KvClient client = cluster.client("a:1");

    assertThatThrownBy(() -> client.blocking().withDeadline(Duration.ofMillis(200)).put("k", "v"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.serverMessage()).isEqualTo("apply queue full");
          assertThat(e.getMessage()).contains("last failure: RESOURCE_EXHAUSTED: apply queue full");
        });
    assertThat(leader.received.size()).isGreaterThan(1);
  }

  @Test
  void aNodeThatNeverAnswersFailsTheCallAtTheFacetsDeadline() {
    FakeNode leader = cluster.node("a:1");
    KvClient client = cluster.client("a:1");
    long start = System.nanoTime();

    CompletableFuture<PutResponse> call =
        client.async().withDeadline(Duration.ofMillis(200)).put("hold-forever", "v");

    assertThatThrownBy(call::join).isInstanceOf(CompletionException.class)
        .cause().isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          assertThat(e.getMessage()).contains("after 1 attempt at a:1");
        });
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1500);
    assertThat(leader.received).hasSize(1);
  }

  @Test
  void theDefaultDeadlineAppliesWhenNoneIsGiven() {
    KvClient client = cluster.client(KvClient.builder()
        .backoff(Duration.ofMillis(1), Duration.ofMillis(20))
        .defaultDeadline(Duration.ofMillis(150)), "x:1");

    assertThat(client.async().deadline()).isEqualTo(Duration.ofMillis(150));
    assertThatThrownBy(() -> client.blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.getMessage()).contains("no answer within 150ms"));
  }

  @Test
  void aDeadlineExceededFromTheServerBeforeOursRunsOutIsReportedAsItCame() {
    FakeNode leader = cluster.node("a:1")
        .failNext(FakeNode.status(Status.Code.DEADLINE_EXCEEDED, "read index timed out"));
    KvClient client = cluster.client("a:1");

    assertThatThrownBy(() -> client.blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class, e -> assertThat(e.getMessage())
            .isEqualTo("DEADLINE_EXCEEDED: read index timed out"));
    assertThat(leader.received).hasSize(1);
  }
}
