package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.LeaseKeepAlive;
import raftkv.client.WatchListener;
import raftkv.client.Watcher;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;
import raftkv.testkit.MiniCluster;

/**
 * The Java client's watch and keep-alive against real nodes (3 voters, 2 learners): a watch
 * whose learner stops mid-stream resumes on the other learner with every change exactly
 * once, in order; a kept-alive lease outlives a leader change, and ends once no longer kept.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClientWatchLeaseScenarioTest {
  @TempDir Path dir;
  private MiniCluster cluster;
  private KvClient client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private void start() {
    cluster = MiniCluster.start(3, 2, dir, c -> c);
    cluster.awaitLeader();
    client = KvClient.builder().endpoints(cluster.endpoints())
        .defaultDeadline(Duration.ofSeconds(30)).build();
  }

  /** Records the changes and the node of every message. */
  private static final class Recorder implements WatchListener {
    final List<Long> indexes = new CopyOnWriteArrayList<>();
    final List<String> keys = new CopyOnWriteArrayList<>();
    final List<KvException> resumes = new CopyOnWriteArrayList<>();
    volatile String servedBy = "";

    @Override
    public void onEvents(WatchResponse response) {
      servedBy = response.getServedBy();
      for (WatchEvent e : response.getEventsList()) {
        indexes.add(e.getIndex());
        keys.add(e.getKv().getKey().toStringUtf8());
      }
    }

    @Override
    public void onProgress(WatchResponse response) {
      servedBy = response.getServedBy();
    }

    @Override
    public void onResume(KvException cause, long position) {
      resumes.add(cause);
    }
  }

  @Test
  void aWatchWhoseLearnerStopsResumesOnTheOtherLearnerWithEveryChangeOnceInOrder()
      throws Exception {
    start();
    long start = client.blocking().put("outside", "x").getIndex();
    Recorder seen = new Recorder();
    int writes = 200;
    List<Long> written = new CopyOnWriteArrayList<>();

    try (Watcher watcher = client.watch(WatchRequest.newBuilder()
        .setPrefix(ByteString.copyFromUtf8("s/")).setStartAfterIndex(start).build(), seen)) {
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < writes; i++) {
          written.add(client.blocking().put("s/" + i, "v" + i).getIndex());
        }
      });
      await("50 changes watched").atMost(Duration.ofSeconds(60))
          .until(() -> seen.indexes.size() >= 50);
      String first = seen.servedBy;
      assertThat(cluster.learners()).as("served by a learner").contains(first);
      cluster.stop(first);

      writer.get(60, TimeUnit.SECONDS);
      await("every change watched").atMost(Duration.ofSeconds(60))
          .until(() -> seen.indexes.size() >= writes);

      assertThat(seen.indexes).as("each change once, in index order").isEqualTo(written);
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < writes; i++) {
        keys.add("s/" + i);
      }
      assertThat(seen.keys).isEqualTo(keys);
      assertThat(seen.resumes).isNotEmpty();
      assertThat(seen.servedBy).as("resumed on the other learner")
          .isNotEqualTo(first).isIn(cluster.learners());
      assertThat(watcher.position()).isGreaterThanOrEqualTo(written.get(writes - 1));
    }
  }

  @Test
  void aKeptAliveLeaseOutlivesALeaderChangeAndEndsOnceNoLongerKept() {
    start();
    Duration ttl = Duration.ofSeconds(2);
    long lease = client.leases().grant(ttl).join().getId();
    LeaseKeepAlive alive = client.leases().keepAlive(lease);
    client.blocking().put("member/a", "here", lease);

    String next = cluster.followers().get(0);
    client.admin().transferLeadership(next, 0).join();
    await("the key outlives three TTLs and a leader change").during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(10))
        .until(() -> client.blocking().get("member/a").getFound() && !alive.done().isDone());
    assertThat(cluster.awaitLeader()).isEqualTo(next);

    alive.close();

    await("the key is deleted once the lease is no longer kept alive")
        .atMost(Duration.ofSeconds(20)).until(() -> !client.blocking().get("member/a").getFound());
    assertThat(alive.done()).isCompleted();
  }
}
