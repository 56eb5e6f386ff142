package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * profiles (every fault kind once; partitions beside CPU contention of the run's own; every
 * checker clean), and the two broken-on-purpose switches, each of which the checkers must
 * catch: this is what shows they can fail.
 *
 * <p>Nothing here depends on the machine's speed: a run goes on until every requested fault
 * kind has been injected once, and each run's {@code --max-duration} ends a run that cannot
 * get there with exit status 4 (naming the kinds that never ran) well before the test's
 * timeout.
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
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void aRunThroughEveryFaultKindChecksEveryLevelAndFindsNoViolationAndNoLostWrite()
      throws Exception {
    Path json = dir.resolve("report.json");
    // The floor is short: the run lasts until all eight kinds ran, 1-3 minutes.
    CliRun r = CliRun.raftkv("chaos", "--duration", "30s", "--max-duration", "4m",
        "--faults", "all", "--seed", "11",
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
    assertThat(report.at("/watches/events").asLong()).as("watch events").isPositive();
    assertThat(report.at("/watches/watchers").asLong()).isGreaterThan(2);
    assertThat(report.at("/leases/granted").asLong()).as("leases").isPositive();
    JsonNode replicas = report.get("replicas");
    assertThat(replicas).hasSize(5);
    assertThat(replicas).extracting(n -> n.get("stateHash").asText()).containsOnly(
        replicas.get(0).get("stateHash").asText());
    assertThat(report.get("faultEvents")).anySatisfy(e -> assertThat(e.get("note").asText())
        .isEqualTo("snapshot installed"));
    assertThat(report.get("complete").asBoolean()).isTrue();
    assertThat(report.get("missingFaults")).isEmpty();
  }

  /**
   * Partitions beside busy threads of the run's own: how issue 12 found a replica that stopped
   * receiving the log for the rest of the run (the convergence check caught it). Partitions
   * rotate through isolated leader, isolated learner and a minority/majority split for the
   * 20 s floor; the assertions need only one.
   */
  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void partitionsBesideCpuContentionLoseNoWriteAndEveryReplicaConverges() throws Exception {
    Path json = dir.resolve("report.json");
    CliRun r = CliRun.raftkv("chaos", "--duration", "20s", "--max-duration", "3m",
        "--faults", "partition", "--cpu-load", "2", "--seed", "5", "--fault-hold", "2s",
        "--quiet", "1s", "--sessions", "8",
        "--dir", dir.resolve("run").toString(), "--json", json.toString());

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("CPU load: 2 busy threads in a process of their own")
        .contains("PASSED: no violation, no acknowledged write lost.");
    JsonNode report = JSON.readTree(Files.readString(json));
    assertThat(report.at("/config/cpuLoad").asInt()).isEqualTo(2);
    assertThat(report.at("/cpuLoad/cpuMs").asLong()).as("CPU the load got").isPositive();
    assertThat(report.at("/faults/partition").asLong()).isPositive();
    assertThat(report.at("/faultTimes/partition/count").asLong())
        .isEqualTo(report.at("/faults/partition").asLong());
    report.get("violations").fields().forEachRemaining(e ->
        assertThat(e.getValue().asLong()).as(e.getKey()).isZero());
    assertThat(report.get("lostWrites").asLong()).isZero();
    JsonNode replicas = report.get("replicas");
    assertThat(replicas).hasSize(5);
    assertThat(replicas).extracting(n -> n.get("appliedIndex").asLong())
        .containsOnly(replicas.get(0).get("appliedIndex").asLong());
    assertThat(replicas).extracting(n -> n.get("stateHash").asText()).containsOnly(
        replicas.get(0).get("stateHash").asText());
  }

  /**
   * Every fault holds 2 s and is followed by 1 s without one, so at most two of the four kinds
   * can start before a 5 s ceiling, on any machine.
   */
  @Test
  void aRunThatReachesItsCeilingBeforeEveryKindRanFailsWithStatus4NamingTheKindsThatDidNot()
      throws Exception {
    Path json = dir.resolve("report.json");
    CliRun r = CliRun.raftkv("chaos", "--duration", "5s", "--max-duration", "5s",
        "--faults", "kill,pause,delay,drop", "--seed", "2", "--fault-hold", "2s",
        "--quiet", "1s", "--sessions", "2", "--learners", "0",
        "--dir", dir.resolve("run").toString(), "--json", json.toString());

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(4);
    assertThat(r.err()).contains("raftkv chaos: incomplete: max duration 5 s reached before"
        + " every fault kind was injected; never injected: ");
    assertThat(r.out()).contains("INCOMPLETE").contains("NEVER INJECTED")
        .doesNotContain("PASSED");
    JsonNode report = JSON.readTree(Files.readString(json));
    assertThat(report.get("passed").asBoolean()).isFalse();
    assertThat(report.get("complete").asBoolean()).isFalse();
    assertThat(report.get("missingFaults").size()).isGreaterThanOrEqualTo(2);
    report.get("missingFaults").forEach(kind -> {
      assertThat(r.err()).contains(kind.asText());
      assertThat(report.at("/faults/" + kind.asText()).asLong()).isZero();
    });
    report.get("violations").fields().forEachRemaining(e ->
        assertThat(e.getValue().asLong()).as(e.getKey()).isZero());
  }

  /** A run with a broken switch, which must end with exit status 3; returns its JSON report. */
  private JsonNode brokenRun(String broken, String faults, String seed, String duration,
      String hold, String... more) throws Exception {
    Path json = dir.resolve("report.json");
    List<String> args = new ArrayList<>(List.of("chaos", "--duration", duration,
        "--max-duration", "2m", "--faults", faults, "--seed", seed, "--fault-hold", hold,
        "--broken", broken, "--dir", dir.resolve("run").toString(), "--json", json.toString()));
    args.addAll(List.of(more));
    CliRun r = CliRun.raftkv(args.toArray(String[]::new));

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

  /**
   * Nodes whose watch started after an index or a token (a resume, or a start from a session
   * token) silently drop the first change they would send. The run's watchers start from
   * tokens and resume across killed nodes, beside CPU contention of the run's own; the watch
   * checker must find the change they missed.
   */
  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aWatchThatSkipsAChangeWhenResumedIsCaughtAsAWatchGap() throws Exception {
    JsonNode report = brokenRun("watch-skips-on-resume", "kill", "8", "15s", "3s",
        "--cpu-load", "2");

    assertThat(report.at("/violations/watch-gap").asLong()).isPositive();
    assertThat(report.at("/watches/watchers").asLong()).isGreaterThan(2);
    assertThat(report.get("firstViolations")).anySatisfy(v -> {
      assertThat(v.get("guarantee").asText()).isEqualTo("watch-gap");
      assertThat(v.get("explanation").asText()).contains(" missed ");
    });
  }

  @Test
  void anUnknownFaultIsAUsageErrorThatNamesTheValidOnes() {
    CliRun r = CliRun.raftkv("chaos", "--faults", "kill,netem");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("unknown fault 'netem'").contains("kill,pause,partition");
  }

  @Test
  void cpuLoadAndCeilingOutOfBoundsAreUsageErrorsThatNameTheLimit() {
    CliRun tooMuch = CliRun.raftkv("chaos", "--cpu-load", "17");
    CliRun belowFloor = CliRun.raftkv("chaos", "--duration", "30s", "--max-duration", "20s");

    assertThat(tooMuch.exitCode()).isEqualTo(2);
    assertThat(tooMuch.err()).contains("cpu load must be 0..16 busy threads, got 17");
    assertThat(belowFloor.exitCode()).isEqualTo(2);
    assertThat(belowFloor.err()).contains("max duration must be at least the duration (30 s)");
  }

  private List<ProcessHandle> nodeProcesses() {
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(ProcessHandle::isAlive)
          .filter(p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false))
          .toList();
    }
  }
}
