package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.reads.BrokenOnPurpose;
import raftkv.testkit.MiniCluster;
import raftkv.v1.HistoryCompacted;
import raftkv.v1.PutRequest;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * What a watch can start from: the history a node keeps (bounded, and kept across a
 * restart), a node stopping under its streams, and the watch-skips-on-resume switch.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WatchHistoryTest extends ClusterPerTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void aStartOlderThanTheHistoryIsRefusedNamingTheOldestStillAvailable() {
    cluster = MiniCluster.start(1, dir, c -> c.withStore(c.store().withHistory(5, 0)));
    long first = put("c", "0");
    for (int i = 1; i < 30; i++) {
      put("c", Integer.toString(i));
    }
    await("the history is trimmed past the first write").atMost(WAIT)
        .until(() -> cluster.node("n1").node().store().historyCompactedThrough() > first);

    WatchRecorder old = open(WatchTest.key("c").toBuilder().setStartAfterIndex(first).build());
    Status status = old.ended.orTimeout(20, TimeUnit.SECONDS).join();
    assertThat(status.getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    HistoryCompacted compacted = old.detail(HistoryCompacted.class);
    assertThat(compacted.getRequestedAfter()).isEqualTo(first);
    assertThat(compacted.getCompactedThrough()).isGreaterThan(first);
    assertThat(compacted.getNodeId()).isEqualTo("n1");
    assertThat(status.getDescription())
        .contains("start_after_index >= " + compacted.getCompactedThrough());

    WatchRecorder oldest = open(WatchTest.key("c").toBuilder()
        .setStartAfterIndex(compacted.getCompactedThrough()).build());
    long next = put("c", "next");
    await("the oldest start available streams").atMost(WAIT)
        .until(() -> oldest.position() >= next);
    assertThat(oldest.changes()).extracting(WatchResponse::getPosition).isSorted()
        .doesNotHaveDuplicates().contains(next);
    assertThat(oldest.changes().get(0).getPosition())
        .isEqualTo(compacted.getCompactedThrough() + 1);
  }

  @Test
  void streamsEndUnavailableWhenTheNodeStopsAndItsHistoryIsThereAfterARestart() {
    cluster = MiniCluster.start(1, dir, c -> c);
    cluster.awaitLeader();
    List<Long> written = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      written.add(put("h/" + i, "v" + i));
    }
    WatchRecorder live = open(WatchTest.prefix("h/"));
    await("created").atMost(WAIT).until(() -> created(live));

    cluster.stop("n1");
    Status stopped = live.ended.orTimeout(20, TimeUnit.SECONDS).join();
    assertThat(stopped.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(stopped.getDescription()).contains("node shutting down");

    cluster.restart("n1");
    cluster.awaitLeader();
    WatchRecorder replay = open(WatchTest.prefix("h/").toBuilder()
        .setStartAfterIndex(written.get(0) - 1).build());
    await("the history replayed after the restart").atMost(WAIT)
        .until(() -> replay.changes().size() >= 5);
    assertThat(replay.changes()).extracting(WatchResponse::getPosition).isEqualTo(written);
    assertThat(replay.events()).extracting(e -> e.getKv().getValue().toStringUtf8())
        .containsExactly("v0", "v1", "v2", "v3", "v4");
  }

  @Test
  void aStreamResumedOnALearnerThatInstalledASnapshotMeanwhileHasNoGapAndNoDuplicate()
      throws Exception {
    cluster = MiniCluster.start(1, 1, dir, c -> c);
    long warm = put("warm-up", "1");
    // A LINEARIZABLE start on l1 needs it to know the leader: wait until it replicates.
    await("l1 applies from the leader").atMost(WAIT)
        .until(() -> cluster.node("l1").node().appliedIndex() >= warm);
    WatchRecorder before = WatchRecorder.open(stubs.channel(cluster.grpcAddress("l1")),
        WatchTest.prefix("s/"));
    await("created on l1").atMost(WAIT).until(() -> created(before));
    List<Long> written = new ArrayList<>();
    written.add(put("s/first", "0"));
    await("l1 streamed the first change").atMost(WAIT)
        .until(() -> before.position() >= written.get(0));
    String resumeToken = before.changes().get(0).getSessionToken();

    cluster.stop("l1");
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 50; i++) {
        written.add(put("s/" + round + "/" + i, "v"));
      }
      // Two snapshots: jraft truncates the log only up to the previous one.
      cluster.node("n1").node().snapshot().get(30, TimeUnit.SECONDS);
    }
    cluster.restart("l1");
    WatchRecorder after = WatchRecorder.open(stubs.channel(cluster.grpcAddress("l1")),
        WatchTest.prefix("s/").toBuilder().setStartAfterToken(resumeToken)
            .setRead(raftkv.v1.ReadOptions.newBuilder().setWaitBudgetMs(30_000)).build());
    long last = written.get(written.size() - 1);
    await("the resumed stream on l1 reaches the last write").atMost(Duration.ofSeconds(60))
        .until(() -> after.position() >= last);

    assertThat(ReplicationScenariosTest.snapshotsIn(dir.resolve("l1")))
        .as("l1 caught up by installing a snapshot").isPositive();
    List<Long> seen = new ArrayList<>(List.of(written.get(0)));
    after.changes().forEach(r -> seen.add(r.getPosition()));
    assertThat(seen).isEqualTo(written);
  }

  @Test
  void theWatchSkipsOnResumeSwitchDropsTheFirstChangeOfAnExplicitStartOnly() {
    cluster = MiniCluster.start(1, dir,
        c -> c.withBroken(Set.of(BrokenOnPurpose.WATCH_SKIPS_ON_RESUME)));
    long first = put("b", "1");
    long second = put("b", "2");
    WatchRecorder resumed =
        open(WatchTest.key("b").toBuilder().setStartAfterIndex(first - 1).build());
    WatchRecorder fromNow = open(WatchTest.key("b"));
    await("created").atMost(WAIT).until(() -> created(fromNow));
    long third = put("b", "3");

    await("both streams reach the third write").atMost(WAIT)
        .until(() -> resumed.position() >= third && fromNow.position() >= third);
    assertThat(resumed.changes()).extracting(WatchResponse::getPosition)
        .as("the first change after the start is missing").containsExactly(second, third);
    assertThat(fromNow.changes()).extracting(WatchResponse::getPosition).containsExactly(third);
  }

  @Test
  void aStalledStreamWhoseHistoryWasTrimmedEndsOutOfRangeAndTheMetricsSayWhy() throws Exception {
    cluster = MiniCluster.start(1, dir, c -> c.withStore(c.store().withHistory(5, 0))
        .withMetrics(new MetricsConfig("127.0.0.1:0", MetricsConfig.DEFAULT_READY_MAX_LAG_MS))
        .withWatch(new WatchConfig(1_000_000, WatchConfig.DEFAULTS.progressIntervalMs())));
    cluster.awaitLeader();
    io.grpc.ManagedChannel small = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
        .forTarget(cluster.grpcAddress("n1")).usePlaintext().flowControlWindow(16 * 1024)
        .maxInboundMessageSize(16 << 20).build();
    try {
      WatchRecorder stalled = WatchRecorder.open(small, WatchTest.prefix("big/"), false);
      WatchRecorder healthy = open(WatchTest.prefix("big/"));
      await("created").atMost(WAIT).until(() -> created(healthy));
      // 12 MB of changes: more than the hub's 8 MiB window and the 5 indexes of history, so
      // the stalled stream's next change is gone from both by the time it reads again.
      String value = "v".repeat(1_000_000);
      long last = 0;
      for (int i = 0; i < 12; i++) {
        last = put("big/" + i, value);
      }
      long lastWrite = last;
      await("the healthy stream got every change").atMost(WAIT)
          .until(() -> healthy.position() >= lastWrite);
      stalled.readAll();

      Status status = stalled.ended.orTimeout(20, TimeUnit.SECONDS).join();
      assertThat(status.getCode()).as(String.valueOf(status)).isEqualTo(Status.Code.OUT_OF_RANGE);
      HistoryCompacted compacted = stalled.detail(HistoryCompacted.class);
      assertThat(compacted.getRequestedAfter()).isEqualTo(stalled.position());
      assertThat(compacted.getCompactedThrough()).isGreaterThan(stalled.position());

      PrometheusText metrics = scrape("n1");
      assertThat(metrics.value("raftkv_watchers_ended_total", "reason", "compacted"))
          .isEqualTo(1);
      assertThat(metrics.value("raftkv_watchers_open")).isEqualTo(1);
      assertThat(metrics.value("raftkv_watch_events_sent_total")).isGreaterThanOrEqualTo(12);
      // The history kept (5 indexes of 1 MB values) is on the operator's dashboard.
      assertThat(metrics.value("raftkv_watch_history_size_bytes")).isGreaterThan(1_000_000);
      assertThat(metrics.value("raftkv_watch_history_compacted_through"))
          .isEqualTo(compacted.getCompactedThrough());
    } finally {
      small.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private PrometheusText scrape(String id) throws Exception {
    java.net.InetSocketAddress address = cluster.node(id).metricsAddress().orElseThrow();
    java.net.URI uri = java.net.URI.create(
        "http://" + address.getHostString() + ":" + address.getPort() + "/metrics");
    java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return PrometheusText.parse(response.body());
  }

  /** Created; fails at once, with the status, when the stream ended instead. */
  private static boolean created(WatchRecorder w) {
    assertThat(w.ended).as("the stream ended before it was created").isNotDone();
    return w.created();
  }

  private WatchRecorder open(WatchRequest request) {
    return WatchRecorder.open(stubs.channel(cluster.grpcAddress("n1")), request);
  }

  private long put(String key, String value) {
    return stubs.kv(cluster.grpcAddress(cluster.awaitLeader())).put(PutRequest.newBuilder()
        .setKey(WatchTest.bytes(key)).setValue(WatchTest.bytes(value)).build()).getIndex();
  }
}
