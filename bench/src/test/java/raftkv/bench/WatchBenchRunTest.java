package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.testkit.MiniCluster;

/** A whole watch bench run against 3 voters and a learner, read as its JSON report. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WatchBenchRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();

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

  @Test
  void everyWatcherOnTheLearnerGetsEveryPutOfTheWindowAndTheReportSaysSo() throws Exception {
    cluster = MiniCluster.start(3, 1, dir, UnaryOperator.identity());
    cluster.awaitLeader();
    client = KvClient.builder().endpoints(cluster.endpoints())
        .defaultDeadline(Duration.ofSeconds(10)).build();
    int watchers = 20;
    WatchBenchOptions options = new WatchBenchOptions(watchers, 4, 0, Duration.ofSeconds(2),
        Duration.ofMillis(500), 50, 64, "wb/");
    List<String> lines = Collections.synchronizedList(new ArrayList<>());

    WatchBenchReport report = WatchBench.run(client, options, lines::add);
    JsonNode json = JSON.readTree(report.toJson());

    String learner = cluster.learners().get(0);
    assertThat(report.servedBy()).as("watches go to the learner first")
        .containsExactly(java.util.Map.entry(learner, (long) watchers));
    assertThat(report.writes()).isPositive();
    assertThat(report.streamsBehind()).isZero();
    // Every put of the window reached every watcher once (the client drops nothing and
    // repeats nothing); a put acknowledged just after the window closed may add its events.
    assertThat(report.events()).isBetween(report.writes() * watchers,
        (report.writes() + options.writers()) * watchers);
    assertThat(report.delayMs().p50()).isLessThanOrEqualTo(report.delayMs().max());
    assertThat(json.get("eventsPerSec").asDouble()).isPositive();
    assertThat(json.get("delayMs").get("p99").isNumber()).isTrue();
    assertThat(json.get("nodesCpuSeconds").size()).isEqualTo(4);
    assertThat(report.table()).contains("events", "ack -> event", "served by {" + learner);
    assertThat(lines).anySatisfy(l -> assertThat(l).contains(watchers + " of " + watchers
        + " watch streams open"));
  }
}
