package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.history.FinalValue;
import raftkv.history.History;
import raftkv.history.ReadLevel;
import raftkv.history.ReplicaState;
import raftkv.history.LeaseEnd;
import raftkv.history.Served;
import raftkv.history.WatchStream;
import raftkv.history.WatchedKeys;

/** The report of a run, built from a recorded history through every checker. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ChaosReportTest {
  private final ChaosOptions options =
      ChaosOptions.of(Duration.ofSeconds(30), EnumSet.of(Fault.KILL, Fault.PARTITION), 5);
  private final List<FaultEvent> faults = List.of(
      new FaultEvent(Fault.KILL, "leader n1", 100, 3100, ""),
      new FaultEvent(Fault.PARTITION, "isolated leader n2", 4000, 6500, ""),
      new FaultEvent(Fault.KILL, "follower n2", 7000, 11000, ""));
  private final List<ReplicaState> sameState = List.of(new ReplicaState("n1", 3, "ab"),
      new ReplicaState("n2", 3, "ab"));

  @Test
  void aCleanHistoryPassesAndTheReportCountsLevelsAndFaults() throws Exception {
    History history = History.builder()
        .write("s1", "k", "v1", 0, 10, 1)
        .read("s1", "k", "v1", 20, 30, Served.read(ReadLevel.SESSION, "l1", 1, 1, 1, 0))
        .read("s2", "k", "v1", 40, 50, Served.read(ReadLevel.EVENTUAL, "l2", 1, 1, 0, 0))
        .build();

    ChaosReport report = Checks.run(options, history, Map.of("k", new FinalValue("v1", 1)),
        sameState, faults, 9000, Duration.ZERO);

    assertThat(report.passed()).isTrue();
    assertThat(report.checkedPerLevel()).containsEntry("SESSION", 1L).containsEntry("EVENTUAL", 1L)
        .containsEntry("PUT", 1L).containsEntry("LINEARIZABLE", 0L);
    assertThat(report.faultsByKind()).containsEntry(Fault.KILL, 2L)
        .containsEntry(Fault.PARTITION, 1L);
    assertThat(report.complete()).isTrue();
    assertThat(report.text()).contains("PASSED").contains("leader n1")
        .containsPattern("kill +2  3\\.0\\.\\.4\\.0 s").containsPattern("partition +1  2\\.5 s");
    JsonNode json = new ObjectMapper().readTree(report.toJson());
    assertThat(json.get("passed").asBoolean()).isTrue();
    assertThat(json.at("/faults/kill").asLong()).isEqualTo(2);
    assertThat(json.get("complete").asBoolean()).isTrue();
    assertThat(json.at("/faultTimes/kill/maxMs").asLong()).isEqualTo(4000);
    assertThat(json.at("/faultEvents/1/durationMs").asLong()).isEqualTo(2500);
    assertThat(json.at("/operations/SESSION/ok").asLong()).isEqualTo(1);
    assertThat(json.at("/violations/read-your-writes").asLong()).isZero();
    assertThat(json.get("lostWrites").asLong()).isZero();
  }

  @Test
  void aStaleSessionReadAndALostWriteFailTheRunAndAreShownWithTheirOps() throws Exception {
    History history = History.builder()
        .write("s1", "k", "v1", 0, 10, 1)
        .write("s1", "k", "v2", 20, 30, 2)
        .read("s1", "k", "v1", 40, 50, Served.read(ReadLevel.SESSION, "l1", 1, 1, 2, 0))
        .build();

    ChaosReport report = Checks.run(options, history, Map.of("k", new FinalValue("v1", 1)),
        sameState, faults, 9000, Duration.ZERO);

    assertThat(report.passed()).isFalse();
    assertThat(report.count("read-your-writes")).isEqualTo(1);
    assertThat(report.lostWrites()).isEqualTo(1);
    assertThat(report.text()).contains("FAILED").contains("First read-your-writes violations")
        .contains("\"v2\"");
    JsonNode json = new ObjectMapper().readTree(report.toJson());
    assertThat(json.get("passed").asBoolean()).isFalse();
    assertThat(json.get("lostWrites").asLong()).isEqualTo(1);
    assertThat(json.get("firstViolations")).anySatisfy(v ->
        assertThat(v.get("guarantee").asText()).isEqualTo("read-your-writes"));
  }

  @Test
  void replicasWithDifferentHashesAtOneIndexFailConvergence() {
    History empty = History.builder().build();
    ChaosReport report = Checks.run(options, empty, Map.of(),
        List.of(new ReplicaState("n1", 3, "ab"), new ReplicaState("n2", 3, "cd")), faults, 9000,
        Duration.ZERO);

    assertThat(report.count("convergence")).isEqualTo(1);
    assertThat(report.passed()).isFalse();
  }

  @Test
  void aRunCutShortByItsCeilingIsIncompleteAndNamesTheKindsThatNeverRanAndHowLongTheOthersTook()
      throws Exception {
    ChaosOptions all = ChaosOptions.of(Duration.ofSeconds(30),
        EnumSet.of(Fault.KILL, Fault.PARTITION, Fault.SNAPSHOT), 5)
        .withMaxDuration(Duration.ofSeconds(40)).withCpuLoad(2);
    // A snapshot fault that failed half-way does not count as one that ran.
    List<FaultEvent> events = List.of(
        new FaultEvent(Fault.KILL, "leader n1", 100, 3100, ""),
        FaultEvent.failed(Fault.SNAPSHOT, 4000, 34000, "no leader for 30 s"),
        new FaultEvent(Fault.KILL, "follower n2", 35000, 39000, ""));
    History clean = History.builder().write("s1", "k", "v1", 0, 10, 1).build();

    ChaosReport report = Checks.run(all, clean, Map.of("k", new FinalValue("v1", 1)), sameState,
        events, 45000, Duration.ofSeconds(70));

    assertThat(report.violations()).isZero();
    assertThat(report.complete()).isFalse();
    assertThat(report.passed()).isFalse();
    assertThat(report.missingFaults()).containsExactlyInAnyOrder(Fault.PARTITION, Fault.SNAPSHOT);
    assertThat(report.faultsByKind()).containsEntry(Fault.KILL, 2L)
        .containsEntry(Fault.SNAPSHOT, 0L);
    assertThat(report.incompleteReason()).isEqualTo("max duration 40 s reached before every"
        + " fault kind was injected; never injected: partition,snapshot; those that ran took"
        + " kill 3.0..4.0 s");
    assertThat(report.text()).contains("INCOMPLETE: max duration 40 s").doesNotContain("PASSED")
        .containsPattern("snapshot +0  NEVER INJECTED")
        .contains("CPU load: 2 busy threads in a process of their own, 70.0 s of CPU used");
    JsonNode json = new ObjectMapper().readTree(report.toJson());
    assertThat(json.get("passed").asBoolean()).isFalse();
    assertThat(json.get("complete").asBoolean()).isFalse();
    assertThat(json.get("missingFaults")).extracting(JsonNode::asText)
        .containsExactly("partition", "snapshot");
    assertThat(json.at("/config/cpuLoad").asInt()).isEqualTo(2);
    assertThat(json.at("/config/maxDurationSeconds").asLong()).isEqualTo(40);
    assertThat(json.at("/cpuLoad/cpuMs").asLong()).isEqualTo(70_000);
    assertThat(json.at("/faultEvents/1/completed").asBoolean()).isFalse();
  }

  @Test
  void aWatcherThatSkippedAnAcknowledgedWriteFailsTheRunWithAWatchGap() throws Exception {
    History workload = History.builder()
        .write("s1", "e0-k1", "v1", 0, 10, 1)
        .write("s1", "e0-k1", "v2", 20, 30, 3)
        .build();
    History withLeaseKeys = History.builder()
        .write("s1", "e0-k1", "v1", 0, 10, 1)
        .write("lease", "lease/2/0", "lease/2/0-v", 12, 14, 2)
        .write("s1", "e0-k1", "v2", 20, 30, 3)
        .build();
    LeaseEnd revoked = new LeaseEnd(2, LeaseEnd.How.REVOKED, 4, Set.of("lease/2/0"), Set.of());
    WatchStream all = new WatchStream("all", WatchedKeys.prefix(""), 0, 4, List.of(
        WatchStream.Event.put("e0-k1", "v1", 1),
        WatchStream.Event.put("lease/2/0", "lease/2/0-v", 2),
        WatchStream.Event.put("e0-k1", "v2", 3), WatchStream.Event.delete("lease/2/0", 4)));
    WatchStream skipped = new WatchStream("token-1-e0-", WatchedKeys.prefix("e0-"), 1, 4,
        List.of());
    WatchActivity watches = new WatchActivity(List.of(all, skipped), List.of(revoked), 2, 0,
        List.of(), List.of(), 1);

    ChaosReport report = Checks.run(options, workload, withLeaseKeys, watches,
        Map.of("e0-k1", new FinalValue("v2", 3)), sameState, faults, 9000, Duration.ZERO);

    assertThat(report.count("watch-gap")).isEqualTo(1);
    assertThat(report.violations()).isEqualTo(1);
    assertThat(report.passed()).isFalse();
    assertThat(report.text()).contains("2 watchers, 4 events received, 2 automatic resumes")
        .contains("leases: 1 granted, 1 revoked, 0 expired")
        .contains("First watch-gap violations")
        .contains("watcher token-1-e0- (prefix \"e0-\", (1, 4]) missed PUT e0-k1 \"v2\" at index"
            + " 3: write \"v2\" to e0-k1 by s1 was acknowledged at index 3");
    JsonNode json = new ObjectMapper().readTree(report.toJson());
    assertThat(json.at("/violations/watch-gap").asLong()).isEqualTo(1);
    assertThat(json.at("/watches/events").asLong()).isEqualTo(4);
    assertThat(json.at("/leases/revoked").asLong()).isEqualTo(1);
    assertThat(report.checkedPerLevel()).containsEntry("PUT", 2L);
  }
}
