package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.testkit.MiniCluster;
import raftkv.v1.Consistency;

/**
 * Whole bench runs against 3 voters and a learner, read as a user reads the JSON report: every
 * field is there and filled, the session guarantees held, and the counts add up.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BenchRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> LATENCIES = List.of("p50", "p90", "p99", "p999", "max");

  @TempDir static Path dir;
  static MiniCluster cluster;
  static KvClient client;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, 1, dir, UnaryOperator.identity());
    cluster.awaitLeader();
    client = KvClient.builder().endpoints(cluster.endpoints())
        .defaultDeadline(Duration.ofSeconds(10)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private static BenchOptions.Builder shortRun() {
    return BenchOptions.builder().duration(Duration.ofSeconds(2)).warmup(Duration.ofSeconds(1))
        .keys(500).seed(42);
  }

  @Test
  void aMixedRunOverAllFourLevelsReportsEveryFieldAndNoGuaranteeViolation() throws Exception {
    BenchOptions options = shortRun().pattern(Pattern.MIXED).readRatio(0.5).clients(8)
        .sessions(16)
        .consistency(LevelMix.parse("linearizable:1,session:1,bounded:1,eventual:1")).build();
    List<String> lines = Collections.synchronizedList(new ArrayList<>());

    BenchReport report = Bench.run(client, options, lines::add);
    JsonNode json = JSON.readTree(report.toJson());

    assertThat(lines).as("live progress lines, each rate named")
        .anySatisfy(l -> assertThat(l).contains("writes/s", "reads/s", "stale reads/s"));
    JsonNode levels = json.get("levels");
    assertThat(fieldNames(levels))
        .containsExactlyInAnyOrder("linearizable", "session", "bounded", "eventual");
    long readOps = 0;
    for (String name : fieldNames(levels)) {
      JsonNode level = levels.get(name);
      assertOpsFilled(name, level);
      JsonNode violations = level.get("violations");
      assertThat(violations.get("readYourWrites").isIntegralNumber()).as(name).isTrue();
      assertThat(violations.get("monotonicReads").isIntegralNumber()).as(name).isTrue();
      assertThat(level.get("staleReads").isIntegralNumber()).as(name).isTrue();
      assertThat(level.get("servedBy").isObject()).as(name).isTrue();
      assertThat(level.get("serverWaitMs").isObject()).as(name).isTrue();
      if (ConsistencyChecker.guarantees(LevelMix.level(name))) {
        assertThat(violations.get("readYourWrites").asLong()).as(name).isZero();
        assertThat(violations.get("monotonicReads").asLong()).as(name).isZero();
        assertThat(level.get("staleReads").asLong()).as(name).isZero();
      }
      readOps += level.get("ops").asLong();
    }
    JsonNode writes = json.get("writes");
    assertOpsFilled("writes", writes);
    assertThat(writes.get("violations").get("monotonicWrites").isIntegralNumber()).isTrue();
    assertThat(writes.get("violations").get("monotonicWrites").asLong()).isZero();
    assertThat(json.get("errors").isObject()).as("errors").isTrue();
    assertThat(json.get("tool").get("cpuSeconds").asDouble()).isPositive();
    assertThat(json.get("tool").get("cpuMicrosPerOp").asDouble()).isPositive();
    // Every node's CPU over the window, from its own counter: cost per operation without a
    // profiler.
    JsonNode nodesCpu = json.get("cluster").get("cpuSecondsByNode");
    assertThat(fieldNames(nodesCpu)).hasSize(4);
    double sum = 0;
    for (String node : fieldNames(nodesCpu)) {
      assertThat(nodesCpu.get(node).asDouble()).as(node).isPositive();
      sum += nodesCpu.get(node).asDouble();
    }
    assertThat(json.get("cluster").get("cpuSeconds").asDouble()).isCloseTo(sum, within(0.05));
    assertThat(json.get("cluster").get("cpuMicrosPerOp").asDouble()).isPositive();
    assertThat(report.table()).contains("cluster CPU: ").contains("µs per operation (per node");
    assertThat(json.get("total").get("ops").asLong())
        .isEqualTo(writes.get("ops").asLong() + readOps);
    // Linearizable reads go through the leader (ReadIndex), never a replica.
    assertThat(fieldNames(levels.get("linearizable").get("servedBy"))).containsExactly("leader");
    assertThat(json.get("config").get("pattern").asText()).isEqualTo("mixed");
    assertThat(json.get("config").get("sessions").asInt()).isEqualTo(16);
    assertThat(json.has("arrivals")).as("arrivals in a closed loop").isFalse();
    assertThat(report.guaranteeViolations()).isZero();
  }

  @Test
  void aWriteThenReadRunAtSessionReadsEverySessionsOwnWrite() throws Exception {
    BenchOptions options = shortRun().pattern(Pattern.WRITE_THEN_READ).clients(4)
        .consistency(LevelMix.of(Consistency.SESSION)).build();

    BenchReport report = Bench.run(client, options, line -> { });
    JsonNode json = JSON.readTree(report.toJson());

    JsonNode session = json.get("levels").get("session");
    assertThat(fieldNames(json.get("levels"))).containsExactly("session");
    assertThat(session.get("ops").asLong()).isPositive();
    assertThat(session.get("violations").get("readYourWrites").asLong()).isZero();
    assertThat(session.get("violations").get("monotonicReads").asLong()).isZero();
    assertThat(session.get("staleReads").asLong()).isZero();
    // Every read follows its own write. Each half counts in the window it completed in
    // (BenchReport.Ops#ops), so a session whose write was acknowledged in the warmup and whose
    // read came back after it contributes a read without its write: one per session at most.
    assertThat(json.get("writes").get("ops").asLong())
        .isGreaterThanOrEqualTo(session.get("ops").asLong() - options.sessions());
    assertThat(report.guaranteeViolations()).isZero();
  }

  @Test
  void anOpenLoopRunReportsItsArrivals() throws Exception {
    BenchOptions options = shortRun().rate(200).clients(4).build();

    BenchReport report = Bench.run(client, options, line -> { });
    JsonNode json = JSON.readTree(report.toJson());

    JsonNode arrivals = json.get("arrivals");
    assertThat(arrivals).as("arrivals").isNotNull();
    assertThat(arrivals.get("dropped").isIntegralNumber()).isTrue();
    assertThat(arrivals.get("unsentAtEnd").isIntegralNumber()).isTrue();
    assertThat(json.get("total").get("ops").asLong()).isPositive();
    assertThat(json.get("config").get("rate").asDouble()).isEqualTo(200.0);
    assertThat(report.table()).contains("open loop:");
    assertThat(report.guaranteeViolations()).isZero();
  }

  /** ops and throughput positive, latency percentiles present and in order. */
  private static void assertOpsFilled(String name, JsonNode ops) {
    assertThat(ops).as(name).isNotNull();
    assertThat(ops.get("ops").asLong()).as("%s ops", name).isPositive();
    assertThat(ops.get("throughputOpsPerSec").asDouble()).as("%s throughput", name).isPositive();
    JsonNode latency = ops.get("latencyMs");
    List<Double> values = new ArrayList<>();
    for (String p : LATENCIES) {
      assertThat(latency.get(p)).as("%s latencyMs.%s", name, p).isNotNull();
      assertThat(latency.get(p).isNumber()).as("%s latencyMs.%s", name, p).isTrue();
      values.add(latency.get(p).asDouble());
    }
    assertThat(values).as("%s latencyMs p50 <= p90 <= p99 <= p999 <= max", name).isSorted();
    assertThat(latency.get("max").asDouble()).as("%s latencyMs.max", name).isPositive();
  }

  private static List<String> fieldNames(JsonNode node) {
    assertThat(node).as("a JSON object").isNotNull();
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
