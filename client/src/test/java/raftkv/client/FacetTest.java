package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.GetResponse;
import raftkv.v1.PutResponse;

/** The async and blocking facets: same calls, failures as KvException either way. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class FacetTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void theBlockingFacetReturnsResponsesDirectly() {
    cluster.node("a:1");
    KvClient client = cluster.client("a:1");

    PutResponse put = client.blocking().put(ByteString.copyFromUtf8("k"),
        ByteString.copyFromUtf8("v"));
    GetResponse get = client.blocking().get(ByteString.copyFromUtf8("k"));

    assertThat(put.getIndex()).isEqualTo(1);
    assertThat(get.getKv().getValue().toStringUtf8()).isEqualTo("from a:1");
  }

  @Test
  void theBlockingFacetThrowsKvExceptionOnTheCallersStackWithTheAsyncFailureAsCause() {
    cluster.node("a:1").failNext(FakeNode.status(Status.Code.INVALID_ARGUMENT, "bad key"));
    KvClient client = cluster.client("a:1");

    assertThatThrownBy(() -> client.blocking().get("k"))
        .isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.serverMessage()).isEqualTo("bad key");
          assertThat(e.getCause()).isInstanceOf(KvException.class);
          assertThat(e.getStackTrace()).anyMatch(
              frame -> frame.getClassName().equals(FacetTest.class.getName()));
        });
  }

  @Test
  void anAsyncFailureCompletesTheFutureWithKvException() {
    cluster.node("a:1").failNext(FakeNode.status(Status.Code.PERMISSION_DENIED, "no"));
    KvClient client = cluster.client("a:1");

    CompletableFuture<PutResponse> call = client.async().put("k", "v");

    assertThatThrownBy(call::get).isInstanceOf(ExecutionException.class).cause()
        .isInstanceOfSatisfying(KvException.class,
            e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void aBlockingCallInterruptedWhileWaitingIsCancelledAndKeepsTheInterrupt() {
    FakeNode leader = cluster.node("a:1");
    KvClient client = cluster.client("a:1");

    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> client.blocking().put("hold-1", "v"))
          .isInstanceOfSatisfying(KvException.class,
              e -> assertThat(e.code()).isEqualTo(Status.Code.CANCELLED));
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    await().until(() -> client.dispatcher().writeIds().ackedBelow() == 2);
    assertThat(leader.writeIds).hasSizeLessThanOrEqualTo(1);
  }

  @Test
  void withDeadlineReturnsAViewAndLeavesTheFacetItCameFromAlone() {
    cluster.node("a:1");
    KvClient client = cluster.client("a:1");

    BlockingKv quick = client.blocking().withDeadline(Duration.ofMillis(100));

    assertThat(quick.deadline()).isEqualTo(Duration.ofMillis(100));
    assertThat(client.blocking().deadline()).isEqualTo(Duration.ofSeconds(5));
    assertThat(quick.put("k", "v").getIndex()).isEqualTo(1);
    assertThatThrownBy(() -> client.async().withDeadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
