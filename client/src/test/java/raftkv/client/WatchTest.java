package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.token.SessionToken;
import raftkv.v1.HistoryCompacted;
import raftkv.v1.ReadOptions;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * Watches: every change after the start exactly once and in order, across nodes that die,
 * fall behind, go quiet or repeat themselves; a refusal that would come again ends the watch.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class WatchTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private static WatchRequest prefix(String prefix) {
    return WatchRequest.newBuilder().setPrefix(ByteString.copyFromUtf8(prefix)).build();
  }

  /** Records what a listener gets. */
  private static final class Recorder implements WatchListener {
    final List<WatchResponse> events = new CopyOnWriteArrayList<>();
    final List<WatchResponse> progress = new CopyOnWriteArrayList<>();
    final List<KvException> resumes = new CopyOnWriteArrayList<>();
    final List<KvException> errors = new CopyOnWriteArrayList<>();

    @Override
    public void onEvents(WatchResponse response) {
      events.add(response);
    }

    @Override
    public void onProgress(WatchResponse response) {
      progress.add(response);
    }

    @Override
    public void onResume(KvException cause, long position) {
      resumes.add(cause);
    }

    @Override
    public void onError(KvException error) {
      errors.add(error);
    }

    List<Long> indexes() {
      return events.stream().flatMap(r -> r.getEventsList().stream())
          .map(WatchEvent::getIndex).toList();
    }
  }

  private static List<Long> oneTo(long n) {
    return LongStream.rangeClosed(1, n).boxed().toList();
  }

  private static FakeNode serving(List<FakeNode> nodes) {
    return nodes.stream().filter(n -> n.openWatches() > 0).findFirst().orElseThrow();
  }

  @Test
  void aWatchResumesOnAnotherLearnerWhenItsNodeDiesWithNoGapAndNoDuplicate() {
    cluster.node("l:1");
    List<FakeNode> learners = List.of(cluster.node("r:2").learnerOf("l:1"),
        cluster.node("r:3").learnerOf("l:1"));
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "r:2", "r:3"));
    Recorder seen = new Recorder();

    Watcher watcher = client.watch(prefix("k/").toBuilder().setStartAfterIndex(0).build(), seen);
    for (int i = 0; i < 5; i++) {
      cluster.history.append("k/" + i, "v" + i);
    }
    await("5 changes delivered").until(() -> seen.indexes().size() == 5);
    FakeNode first = serving(learners);
    first.stop();
    for (int i = 5; i < 10; i++) {
      cluster.history.append("k/" + i, "v" + i);
    }

    await("10 changes delivered").until(() -> seen.indexes().size() >= 10);
    assertThat(seen.indexes()).as("every change once, in order").isEqualTo(oneTo(10));
    FakeNode second = serving(learners);
    assertThat(second).as("the other learner, not the leader").isNotSameAs(first);
    assertThat(seen.resumes).hasSize(1);
    WatchRequest resumed = (WatchRequest) second.received.get(second.received.size() - 1);
    assertThat(SessionToken.parse(resumed.getStartAfterToken()).index())
        .as("the resumed stream starts after the last change delivered").isEqualTo(5);
    assertThat(watcher.position()).isEqualTo(10);
    assertThat(watcher.sessionToken()).isEqualTo(FakeNode.token(10));
    assertThat(seen.progress).as("only the first stream's start is reported")
        .hasSize(1).allMatch(WatchResponse::getCreated);
    assertThat(seen.errors).isEmpty();
    watcher.close();
    assertThat(watcher.done()).isCompleted();
  }

  @Test
  void changesANodeSendsAgainAtOrBelowThePositionAreDropped() {
    FakeNode node = cluster.node("r:1").replayOnWatch(3);
    KvClient client = cluster.client("r:1");
    Recorder seen = new Recorder();
    for (int i = 0; i < 6; i++) {
      cluster.history.append("k/" + i, "v");
    }

    client.watch(prefix("k/").toBuilder().setStartAfterIndex(4).build(), seen);
    await("changes 5 and 6").until(() -> seen.indexes().size() >= 2);
    node.cutWatches(FakeNode.status(Status.Code.UNAVAILABLE, "node restarting"));
    cluster.history.append("k/x", "v");

    await("change 7 after the resume").until(() -> seen.indexes().contains(7L));
    assertThat(seen.indexes()).containsExactly(5L, 6L, 7L);
    assertThat(node.count(WatchRequest.class)).isEqualTo(2);
  }

  @Test
  void aStreamCancelledForFallingBehindOrALaggingNodeIsResumed() {
    cluster.node("l:1");
    FakeNode behind = cluster.node("r:2").learnerOf("l:1");
    FakeNode follower = cluster.node("f:3").followerOf("l:1");
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "r:2", "f:3"));
    Recorder seen = new Recorder();
    cluster.history.append("k/1", "v");
    Watcher watcher = client.watch(prefix("k/").toBuilder().setStartAfterIndex(0).build(), seen);
    await("change 1").until(() -> seen.indexes().size() == 1);
    assertThat(behind.openWatches()).as("learners first").isEqualTo(1);

    // The learner cancels its slow watcher and then falls behind the position: the watch
    // goes to the follower rather than waiting.
    behind.watchApplied(0);
    behind.cutWatches(FakeNode.status(Status.Code.RESOURCE_EXHAUSTED,
        "the watcher fell more than 10000 changes behind"));
    cluster.history.append("k/2", "v");

    await("change 2").until(() -> seen.indexes().size() == 2);
    assertThat(seen.indexes()).containsExactly(1L, 2L);
    assertThat(follower.openWatches()).isEqualTo(1);
    assertThat(seen.resumes).extracting(KvException::code)
        .contains(Status.Code.RESOURCE_EXHAUSTED);
    watcher.close();
  }

  @Test
  void aStreamThatGoesQuietIsResumedElsewhere() {
    cluster.node("l:1");
    FakeNode paused = cluster.node("r:2").learnerOf("l:1").silentWatches();
    FakeNode follower = cluster.node("f:3").followerOf("l:1");
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "r:2", "f:3"));
    Recorder seen = new Recorder();
    // 100 ms progress interval and 1 ms wait budget: quiet after 301 ms.
    WatchRequest request = prefix("k/").toBuilder().setStartAfterIndex(0)
        .setProgressIntervalMs(100).setRead(ReadOptions.newBuilder().setWaitBudgetMs(1)).build();

    client.watch(request, seen);
    cluster.history.append("k/1", "v");

    await("change 1 from the follower").atMost(Duration.ofSeconds(5))
        .until(() -> seen.indexes().size() == 1);
    assertThat(paused.count(WatchRequest.class)).isEqualTo(1);
    assertThat(follower.openWatches()).isEqualTo(1);
    assertThat(seen.resumes).singleElement().extracting(KvException::code)
        .isEqualTo(Status.Code.CANCELLED);
  }

  @Test
  void aStartOlderThanTheHistoryEndsTheWatchWithTheOldestIndexAndNoRetry() {
    FakeNode node = cluster.node("r:1");
    node.failNext(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.OUT_OF_RANGE.value())
        .setMessage("changes after index 3 are compacted; the oldest start is 40")
        .addDetails(Any.pack(HistoryCompacted.newBuilder().setNodeId("id-r:1")
            .setCompactedThrough(40).setRequestedAfter(3).build()))
        .build()));
    KvClient client = cluster.client("r:1");
    Recorder seen = new Recorder();

    Watcher watcher = client.watch(prefix("k/").toBuilder().setStartAfterIndex(3).build(), seen);

    assertThatThrownBy(() -> watcher.done().join()).isInstanceOf(CompletionException.class)
        .cause().isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.OUT_OF_RANGE);
          assertThat(e.historyCompacted()).get()
              .extracting(HistoryCompacted::getCompactedThrough).isEqualTo(40L);
        });
    assertThat(seen.errors).singleElement().extracting(KvException::code)
        .isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(node.count(WatchRequest.class)).isEqualTo(1);
    assertThat(seen.resumes).isEmpty();
  }

  @Test
  void refusalsThatWouldComeAgainEndTheWatch() {
    for (Status.Code code : List.of(Status.Code.INVALID_ARGUMENT, Status.Code.PERMISSION_DENIED,
        Status.Code.UNAUTHENTICATED, Status.Code.FAILED_PRECONDITION)) {
      try (FakeCluster own = new FakeCluster()) {
        FakeNode node = own.node("r:1").failNext(FakeNode.status(code, "no"));
        Recorder seen = new Recorder();
        Watcher watcher = own.client("r:1").watch(prefix("k/"), seen);

        await(code + " ends the watch").until(() -> watcher.done().isDone());
        assertThat(watcher.done()).isCompletedExceptionally();
        assertThat(seen.errors).as(code.name()).singleElement()
            .extracting(KvException::code).isEqualTo(code);
        assertThat(node.count(WatchRequest.class)).as(code.name()).isEqualTo(1);
      }
    }
  }

  @Test
  void aSessionWatchStartsAfterTheSessionsTokenAndAdvancesIt() {
    FakeNode node = cluster.node("l:1");
    KvClient client = cluster.client("l:1");
    for (int i = 0; i < 3; i++) {
      cluster.history.append("k/" + i, "v");
    }
    Session session = client.session(FakeNode.token(2));
    Recorder seen = new Recorder();

    session.watch(prefix("k/"), seen);
    await("change 3").until(() -> seen.indexes().size() == 1);
    cluster.history.append("k/4", "v");
    await("change 4").until(() -> seen.indexes().size() == 2);
    node.sendProgress();
    await("progress").until(() -> seen.progress.size() == 2);

    WatchRequest sent = (WatchRequest) node.received.get(0);
    assertThat(sent.getStartAfterToken()).isEqualTo(FakeNode.token(2));
    assertThat(seen.indexes()).containsExactly(3L, 4L);
    assertThat(session.token()).isEqualTo(FakeNode.token(4));
  }

  @Test
  void aCallerWhoStopsPullingStopsTheStreamAndThenGetsEverythingInOrder() {
    FakeNode node = cluster.node("r:1");
    for (int i = 1; i <= 500; i++) {
      cluster.history.append("k/" + i, "v");
    }
    KvClient client = cluster.client("r:1");

    try (Watcher watcher = client.watch(prefix("k/").toBuilder().setStartAfterIndex(0).build())) {
      await("the buffer filled").until(() -> node.watchMessagesSent() == Watcher.EVENTS_BUFFER);
      await("no message beyond the buffer while nobody pulls")
          .during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
          .until(() -> node.watchMessagesSent() == Watcher.EVENTS_BUFFER);

      List<Long> indexes = new ArrayList<>();
      Iterator<WatchResponse> events = watcher.events();
      while (indexes.size() < 500) {
        events.next().getEventsList().forEach(e -> indexes.add(e.getIndex()));
      }
      assertThat(indexes).isEqualTo(oneTo(500));
      assertThat(watcher.position()).isEqualTo(500);
    }
  }

  @Test
  void closingTheWatchEndsItsIteratorAndItsStream() {
    FakeNode node = cluster.node("r:1");
    KvClient client = cluster.client("r:1");
    Watcher watcher = client.watch(prefix("k/"));
    await("stream open").until(() -> node.openWatches() == 1);

    watcher.close();

    assertThat(watcher.events().hasNext()).isFalse();
    assertThat(watcher.done()).isCompleted();
    await("stream cancelled").until(() -> node.openWatches() == 0);
  }

  @Test
  void closingTheClientEndsTheWatchWithCancelled() {
    cluster.node("r:1");
    KvClient client = cluster.client("r:1");
    Recorder seen = new Recorder();
    Watcher watcher = client.watch(prefix("k/"), seen);

    client.close();

    assertThatThrownBy(() -> watcher.done().join()).cause().isInstanceOfSatisfying(
        KvException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.CANCELLED));
  }
}
