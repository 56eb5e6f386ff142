package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftkv chaos} as a user runs it, on node processes behind fault proxies: the CI chaos
 * profile (every fault kind once, every checker clean), and the two broken-on-purpose switches,
 * each of which the checkers must catch: this is what shows they can fail.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ChaosProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @BeforeAll
  static void initLogging() {
    // Logback's start-up status goes to System.out before CliRun captures it.
    org.slf4j.LoggerFactory.getILoggerFactory();
  }

  @AfterEach
  void noNodeProcessSurvives() {
    await("no node process of " + dir + " alive").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200)).until(() -> nodeProcesses().isEmpty());
  }

  @Test
  void aRunThroughEveryFaultKindChecksEveryLevelAndFindsNoViolationAndNoLostWrite()
      throws Exception {
    Path json = dir.resolve("report.json");
    CliRun r = CliRun.raftkv("chaos", "--duration", "60s", "--faults", "all", "--seed", "11",
        "--fault-hold", "2s", "--quiet", "1s", "--snapshot-interval-s", "3", "--sessions", "8",
        "--dir", dir.resolve("run").toString(), "--json", json.toString());

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("PASSED: no violation, no acknowledged write lost.");
    JsonNode report = JSON.readTree(Files.readString(json));
    assertThat(report.get("passed").asBoolean()).isTrue();
    for (String fault : List.of("kill", "pause", "partition", "delay", "drop", "snapshot",
        "membership", "restart")) {
      assertThat(report.at("/faults/" + fault).asLong()).as("%s faults in %s", fault, r.out())
          .isPositive();
    }
    for (String level : List.of("LINEARIZABLE", "SESSION", "BOUNDED", "EVENTUAL", "PUT", "CAS")) {
      assertThat(report.at("/operations/" + level + "/ok").asLong()).as(level).isPositive();
    }
    report.get("violations").fields().forEachRemaining(e ->
        assertThat(e.getValue().asLong()).as(e.getKey()).isZero());
    assertThat(report.get("lostWrites").asLong()).isZero();
    JsonNode replicas = report.get("replicas");
    assertThat(replicas).hasSize(5);
    assertThat(replicas).extracting(n -> n.get("stateHash").asText()).containsOnly(
        replicas.get(0).get("stateHash").asText());
    assertThat(report.get("faultEvents")).anySatisfy(e -> assertThat(e.get("note").asText())
        .isEqualTo("snapshot installed"));
  }

  /** A run with a broken switch, which must end with exit status 3; returns its JSON report. */
  private JsonNode brokenRun(String broken, String faults, String seed, String duration,
      String hold) throws Exception {
    Path json = dir.resolve("report.json");
    CliRun r = CliRun.raftkv("chaos", "--duration", duration, "--faults", faults,
        "--seed", seed, "--fault-hold", hold, "--broken", broken,
        "--dir", dir.resolve("run").toString(), "--json", json.toString());

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(3);
    assertThat(r.out()).contains("FAILED").contains("BROKEN ON PURPOSE: " + broken);
    JsonNode report = JSON.readTree(Files.readString(json));
    assertThat(report.get("passed").asBoolean()).isFalse();
    return report;
  }

  @Test
  void aLearnerThatIgnoresTheSessionTokenIsCaughtBreakingReadYourWrites() throws Exception {
    JsonNode report = brokenRun("learner-ignores-token", "pause,partition", "4", "12s", "3s");

    assertThat(report.at("/violations/read-your-writes").asLong()
        + report.at("/violations/monotonic-reads").asLong()).isPositive();
    assertThat(report.get("firstViolations")).anySatisfy(v ->
        assertThat(v.get("explanation").asText()).contains("served by l"));
  }

  @Test
  void anIsolatedOldLeaderServingLinearizableReadsFromLocalStateIsCaught() throws Exception {
    // The first partition isolates the leader: it never hears of its successor.
    JsonNode report = brokenRun("stale-leader-reads", "partition", "3", "6s", "6s");

    assertThat(report.at("/violations/linearizability").asLong()).isPositive();
    assertThat(report.get("faultEvents").get(0).get("target").asText())
        .startsWith("isolated leader");
  }

  @Test
  void anUnknownFaultIsAUsageErrorThatNamesTheValidOnes() {
    CliRun r = CliRun.raftkv("chaos", "--faults", "kill,netem");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("unknown fault 'netem'").contains("kill,pause,partition");
  }

  private List<ProcessHandle> nodeProcesses() {
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(ProcessHandle::isAlive)
          .filter(p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false))
          .toList();
    }
  }
}
