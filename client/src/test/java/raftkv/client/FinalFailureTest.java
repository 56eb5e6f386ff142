package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Failures that retrying cannot fix end the call at once, with the server's words. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class FinalFailureTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @ParameterizedTest
  @EnumSource(value = Status.Code.class, names = {"INVALID_ARGUMENT", "FAILED_PRECONDITION",
      "PERMISSION_DENIED", "UNAUTHENTICATED", "NOT_FOUND", "INTERNAL", "ABORTED"})
  void aFinalStatusIsNotRetriedAnywhereAndKeepsTheServerMessage(Status.Code code) {
    FakeNode leader = cluster.node("a:1")
        .failNext(FakeNode.status(code, "value is 2000000 bytes; the limit is 1048576"));
    FakeNode other = cluster.node("b:2");
    KvClient client = cluster.client("a:1", "b:2");

    assertThatThrownBy(() -> client.blocking().put("k", "v"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(code);
          assertThat(e.serverMessage()).isEqualTo("value is 2000000 bytes; the limit is 1048576");
          assertThat(e.getMessage())
              .isEqualTo(code + ": value is 2000000 bytes; the limit is 1048576");
          assertThat(e.leaderHint()).isEmpty();
        });
    assertThat(leader.received).hasSize(1);
    assertThat(other.received).isEmpty();
  }

  @Test
  void aReadRefusedAsInvalidIsNotRetried() {
    FakeNode leader = cluster.node("a:1")
        .failNext(FakeNode.status(Status.Code.INVALID_ARGUMENT, "key is empty"));
    KvClient client = cluster.client("a:1");

    assertThatThrownBy(() -> client.blocking().get(""))
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.getMessage()).isEqualTo("INVALID_ARGUMENT: key is empty"));
    assertThat(leader.received).hasSize(1);
  }

  @Test
  void aMessageTooLargeForTheTransportIsNotRetriedAsIfTheLeaderWereBusy() {
    FakeNode leader = cluster.node("a:1").failAlways(FakeNode.status(
        Status.Code.RESOURCE_EXHAUSTED, "gRPC message exceeds maximum size 8388608: 9000000"));
    KvClient client = cluster.client("a:1");

    assertThatThrownBy(() -> client.blocking().put("k", "v"))
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
    assertThat(leader.received).hasSize(1);
  }

  @Test
  void aBusyLeaderIsRetriedAfterABackoffUntilItAccepts() {
    FakeNode leader = cluster.node("a:1").failNext(
        FakeNode.status(Status.Code.RESOURCE_EXHAUSTED, "apply queue full"),
        FakeNode.status(Status.Code.RESOURCE_EXHAUSTED, "apply queue full"));
    FakeNode other = cluster.node("b:2");
    KvClient client = cluster.client("a:1", "b:2");

    client.blocking().withDeadline(Duration.ofSeconds(2)).put("k", "v");

    assertThat(leader.received).hasSize(3);
    assertThat(other.received).isEmpty();
  }
}
