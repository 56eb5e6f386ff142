package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.MiniCluster;
import raftkv.token.SessionToken;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.KVGrpc;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.ReplicaLagging;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;
import raftkv.v1.WriteId;

/**
 * Watch streams on 3 voters + 1 learner (l1), through raw stubs: order, positions and tokens,
 * resume on another node, the session guarantee at the start, slow consumers, progress
 * notifications, fan-out, and refusals of bad requests.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WatchTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  /** Small, so that a consumer that stops reading is cut off after a few writes. */
  private static final long MAX_LAG = 20;
  @TempDir static Path dir;
  static MiniCluster cluster;
  static final Stubs stubs = new Stubs();
  private final List<WatchRecorder> opened = new ArrayList<>();

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, 1, dir,
        c -> c.withWatch(new WatchConfig(MAX_LAG, WatchConfig.DEFAULTS.progressIntervalMs())));
    long warm = put("warm-up", "1");
    // A LINEARIZABLE start on l1 needs it to know the leader: wait until it replicates.
    await("l1 applies from the leader").atMost(WAIT)
        .until(() -> cluster.node("l1").node().appliedIndex() >= warm);
  }

  @AfterEach
  void release() {
    opened.forEach(w -> {
      if (!w.ended.isDone()) {
        w.cancel();
      }
    });
    cluster.learners().forEach(l -> cluster.node(l).node().resumeApply());
  }

  @AfterAll
  static void stop() {
    stubs.close();
    cluster.close();
  }

  @Test
  void aPrefixWatchOnALearnerGetsPutsDeletesAndTxnsInIndexOrderWithPositionsAndTokens() {
    WatchRecorder watch = openCreated("l1", prefix("svc/"));
    long put = put("svc/a", "1");
    put("other/x", "ignored");
    long delete = kv().delete(DeleteRequest.newBuilder().setKey(bytes("svc/a")).build()).getIndex();
    long txn = kv().txn(TxnRequest.newBuilder().setWriteId(writeId())
        .addSuccess(putOp("svc/b", "2")).addSuccess(putOp("svc/c", "3"))
        .addSuccess(putOp("elsewhere", "4")).build()).getIndex();

    await("l1's stream reaches the txn").atMost(WAIT).until(() -> watch.position() >= txn);

    WatchResponse created = watch.responses.get(0);
    assertThat(created.getCreated()).isTrue();
    assertThat(created.getServedBy()).isEqualTo("l1");
    assertThat(created.getPosition()).isLessThan(put);
    List<WatchResponse> changes = watch.changes();
    assertThat(changes).extracting(WatchResponse::getPosition).containsExactly(put, delete, txn);
    assertThat(changes.get(0).getEventsList()).singleElement().satisfies(e -> {
      assertThat(e.getType()).isEqualTo(WatchEvent.Type.PUT);
      assertThat(e.getKv().getKey().toStringUtf8()).isEqualTo("svc/a");
      assertThat(e.getKv().getValue().toStringUtf8()).isEqualTo("1");
      assertThat(e.getIndex()).isEqualTo(put);
    });
    assertThat(changes.get(1).getEvents(0).getType()).isEqualTo(WatchEvent.Type.DELETE);
    assertThat(changes.get(2).getEventsList()).as("one index, one response, both keys")
        .extracting(e -> e.getKv().getKey().toStringUtf8()).containsExactly("svc/b", "svc/c");
    for (WatchResponse r : watch.responses) {
      assertThat(SessionToken.parse(r.getSessionToken()).index()).isEqualTo(r.getPosition());
      assertThat(r.getAppliedIndex()).isGreaterThanOrEqualTo(r.getPosition());
    }
  }

  @Test
  void resumingOnAVoterAfterTheLastTokenReceivedHasNoGapAndNoDuplicate() {
    WatchRecorder first = openCreated("l1", prefix("r/"));
    List<Long> written = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      written.add(put("r/" + i, "v" + i));
    }
    await("the first three changes on l1").atMost(WAIT).until(() -> first.changes().size() >= 3);
    first.cancel();
    WatchResponse last = first.changes().get(2);
    String voter = cluster.followers().get(0);
    WatchRecorder resumed = openCreated(voter,
        prefix("r/").toBuilder().setStartAfterToken(last.getSessionToken()).build());
    for (int i = 6; i < 10; i++) {
      written.add(put("r/" + i, "v" + i));
    }
    await("the resumed stream reaches the last write").atMost(WAIT)
        .until(() -> resumed.position() >= written.get(written.size() - 1));

    List<Long> seen = new ArrayList<>();
    first.changes().subList(0, 3).forEach(r -> seen.add(r.getPosition()));
    resumed.changes().forEach(r -> seen.add(r.getPosition()));
    assertThat(seen).isEqualTo(written);
    assertThat(resumed.responses.get(0).getPosition()).isEqualTo(last.getPosition());
    assertThat(resumed.responses.get(0).getServedBy()).isEqualTo(voter);
  }

  @Test
  void aStartTheLearnerHasNotAppliedFailsWithReplicaLaggingUnderFailAndWaitsUnderWait() {
    cluster.node("l1").node().holdApply();
    long start = put("held", "1");
    long next = put("held", "2");
    WatchRequest fromThere = key("held").toBuilder().setStartAfterIndex(start)
        .setRead(ReadOptions.newBuilder().setLagPolicy(LagPolicy.FAIL)).build();

    WatchRecorder refused = open("l1", fromThere);
    Status status = refused.ended.orTimeout(20, TimeUnit.SECONDS).join();
    assertThat(status.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    ReplicaLagging lagging = refused.detail(ReplicaLagging.class);
    assertThat(lagging.getNeededIndex()).isEqualTo(start);
    assertThat(lagging.getNodeId()).isEqualTo("l1");

    WatchRecorder waiting = open("l1", fromThere.toBuilder()
        .setRead(ReadOptions.newBuilder().setWaitBudgetMs(30_000)).build());
    await("a WAIT start stays pending while l1 is held").during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5)).until(() -> waiting.responses.isEmpty());
    cluster.node("l1").node().resumeApply();
    await("the change after the start arrives once l1 applies it").atMost(WAIT)
        .until(() -> waiting.position() >= next);
    assertThat(waiting.responses.get(0).getCreated()).isTrue();
    assertThat(waiting.responses.get(0).getPosition()).isEqualTo(start);
    assertThat(waiting.changes()).extracting(WatchResponse::getPosition).containsExactly(next);
  }

  @Test
  void aConsumerThatStopsReadingIsCutOffWhileAHealthyOneOnTheSameNodeKeepsReceiving()
      throws Exception {
    // A small HTTP/2 window, so that the stalled stream's transport fills after a few values.
    ManagedChannel small = NettyChannelBuilder.forTarget(cluster.grpcAddress("l1")).usePlaintext()
        .flowControlWindow(16 * 1024).build();
    try {
      WatchRecorder stalled = WatchRecorder.open(small, prefix("slow/"), false);
      opened.add(stalled);
      WatchRecorder healthy = openCreated("l1", prefix("slow/"));
      String value = "x".repeat(4096);
      // Far more than the transport buffers (16 KiB window + 32 KiB on the server) and then
      // more than the limit: the server ends the stream at the first round past the limit.
      long last = 0;
      for (int i = 0; i < 120; i++) {
        last = put("slow/" + (i % 10), value);
      }
      // The client delivers the status only after the messages it buffered: read them now.
      stalled.readAll();
      Status status = stalled.ended.orTimeout(20, TimeUnit.SECONDS).join();
      assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(status.getDescription()).contains("the limit is " + MAX_LAG)
          .contains("--watch-max-lag").contains("start_after_index ")
          .contains("start_after_token ");
      assertThat(stalled.position()).as("cut off well before the last write").isLessThan(last);
      assertThat(status.getDescription()).contains("start_after_index " + stalled.position());

      long lastWrite = put("slow/final", "done");
      await("the healthy stream gets every write").atMost(WAIT)
          .until(() -> healthy.position() >= lastWrite);
      assertThat(healthy.ended).isNotDone();
      assertThat(healthy.changes()).extracting(WatchResponse::getPosition)
          .as("each write once, in order").isSorted().doesNotHaveDuplicates()
          .contains(last, lastWrite);
    } finally {
      small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anIdleStreamGetsProgressNotificationsWithTheAppliedIndex() {
    long latest = put("elsewhere/progress", "1");
    WatchRecorder idle = openCreated("l1",
        key("nobody-writes-this").toBuilder().setProgressIntervalMs(200).build());
    long written = put("elsewhere/progress", "2");

    await("two progress notifications past the last write").atMost(WAIT).until(() ->
        idle.responses.stream().filter(r -> r.getProgress() && r.getPosition() >= written)
            .count() >= 2);
    WatchResponse progress = idle.responses.stream().filter(WatchResponse::getProgress)
        .reduce((a, b) -> b).orElseThrow();
    assertThat(progress.getEventsCount()).isZero();
    assertThat(progress.getPosition()).isEqualTo(progress.getAppliedIndex())
        .isGreaterThanOrEqualTo(Math.max(latest, written));
    assertThat(SessionToken.parse(progress.getSessionToken()).index())
        .isEqualTo(progress.getPosition());
  }

  @Test
  void aThousandStreamsOnOneLearnerAllReceiveOneWrite() throws Exception {
    // The server allows 1000 calls per connection: spread them over two.
    List<ManagedChannel> channels = List.of(stubs.channel(cluster.grpcAddress("l1")),
        stubs.channel(cluster.grpcAddress("l1")));
    WatchRequest request = key("fan-out").toBuilder()
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL)).build();
    List<WatchRecorder> streams = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      WatchRecorder w = WatchRecorder.open(channels.get(i % 2), request);
      streams.add(w);
      opened.add(w);
    }
    await("1000 streams created").atMost(Duration.ofSeconds(60))
        .until(() -> streams.stream().allMatch(WatchRecorder::created));
    long index = put("fan-out", "to everyone");
    await("every stream got the write").atMost(Duration.ofSeconds(60))
        .until(() -> streams.stream().allMatch(w -> w.changes().size() == 1));
    assertThat(streams).allSatisfy(w ->
        assertThat(w.changes().get(0).getEvents(0).getIndex()).isEqualTo(index));
  }

  @Test
  void badRequestsAreRefusedNamingTheFieldAndTheLimit() {
    WatchRequest none = WatchRequest.getDefaultInstance();
    assertRefused(none, "exactly one of key, prefix or range_start");
    assertRefused(key("a").toBuilder().setPrefix(bytes("b")).build(),
        "exactly one of key, prefix or range_start");
    assertRefused(WatchRequest.newBuilder().setKey(ByteString.copyFrom(new byte[5000])).build(),
        "key is 5000 bytes; the limit is 4096 bytes");
    assertRefused(WatchRequest.newBuilder().setRangeStart(bytes("b")).setRangeEnd(bytes("a"))
        .build(), "range_end must be above range_start");
    assertRefused(key("a").toBuilder().setProgressIntervalMs(50).build(),
        "progress_interval_ms is 50; give 0 (the server's default) or 100..600000");
    assertRefused(key("a").toBuilder().setStartAfterToken("not-a-token").build(),
        "start_after_token: ");
    assertRefused(key("a").toBuilder().setStartAfterToken(
        new SessionToken(cluster.node("l1").config().clusterId() + 1, 5).encode()).build(),
        "start_after_token: session token belongs to cluster");
    assertRefused(key("a").toBuilder().setRead(ReadOptions.newBuilder()
        .setConsistencyValue(42)).build(), "unknown consistency level 42");
    assertRefused(key("a").toBuilder().setStartAfterIndex(-1).build(),
        "start_after_index 18446744073709551615 is out of range");
  }

  private void assertRefused(WatchRequest request, String message) {
    StatusRuntimeException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
        StatusRuntimeException.class, () -> raftkv.v1.WatchGrpc.newBlockingStub(
            stubs.channel(cluster.grpcAddress("l1"))).withDeadlineAfter(10, TimeUnit.SECONDS)
            .watch(request).hasNext());
    assertThat(refused.getStatus().getCode()).as(message).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains(message);
  }

  private WatchRecorder open(String node, WatchRequest request) {
    WatchRecorder w = WatchRecorder.open(stubs.channel(cluster.grpcAddress(node)), request);
    opened.add(w);
    return w;
  }

  private WatchRecorder openCreated(String node, WatchRequest request) {
    WatchRecorder w = open(node, request);
    await("the stream on " + node + " is created").atMost(WAIT).until(() -> {
      assertThat(w.ended).as("the stream ended before it was created").isNotDone();
      return w.created();
    });
    return w;
  }

  private static KVGrpc.KVBlockingStub kv() {
    return stubs.kv(cluster.grpcAddress(cluster.awaitLeader()));
  }

  private static long put(String key, String value) {
    return kv().put(PutRequest.newBuilder().setKey(bytes(key)).setValue(bytes(value)).build())
        .getIndex();
  }

  private static RequestOp putOp(String key, String value) {
    return RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(bytes(key))
        .setValue(bytes(value))).build();
  }

  private static int sequence;

  private static WriteId writeId() {
    return WriteId.newBuilder().setClientId("watch-test").setSequence(++sequence).build();
  }

  static WatchRequest prefix(String prefix) {
    return WatchRequest.newBuilder().setPrefix(bytes(prefix)).build();
  }

  static WatchRequest key(String key) {
    return WatchRequest.newBuilder().setKey(bytes(key)).build();
  }

  static ByteString bytes(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
