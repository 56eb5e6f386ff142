package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ChaosOptionsTest {
  private final ChaosOptions defaults =
      ChaosOptions.of(Duration.ofSeconds(60), EnumSet.allOf(Fault.class), 1);

  @Test
  void defaultsAreThreeVotersTwoLearnersAndHoldFaultsPastTwoElectionTimeouts() {
    assertThat(defaults.voters()).isEqualTo(3);
    assertThat(defaults.learners()).isEqualTo(2);
    assertThat(defaults.faultHold().toMillis()).isGreaterThanOrEqualTo(2L * defaults.electionTimeoutMs());
    assertThat(defaults.broken()).isEmpty();
  }

  @Test
  void invalidTopologyAndTimingAreRefusedNamingTheRule() {
    assertThatThrownBy(() -> defaults.withTopology(4, 2)).hasMessageContaining("voters must be 3 or 5");
    assertThatThrownBy(() -> defaults.withTopology(3, 5)).hasMessageContaining("learners must be 0..4");
    assertThatThrownBy(() -> defaults.withSessions(0)).hasMessageContaining("sessions must be 1..256");
    assertThatThrownBy(() -> defaults.withTiming(Duration.ofMillis(1500), Duration.ZERO))
        .hasMessageContaining("fault hold must be at least two election timeouts (2000 ms)");
    assertThatThrownBy(() -> ChaosOptions.of(Duration.ofSeconds(1), EnumSet.allOf(Fault.class), 1))
        .hasMessageContaining("duration must be 5s..24h");
    assertThatThrownBy(() ->
        ChaosOptions.of(Duration.ofSeconds(30), EnumSet.noneOf(Fault.class), 1))
        .hasMessageContaining("at least one fault kind");
  }

  @Test
  void cpuLoadIsBoundedAndARefusalNamesTheLimit() {
    assertThat(defaults.cpuLoad()).isZero();
    assertThat(defaults.withCpuLoad(ChaosOptions.MAX_CPU_LOAD).cpuLoad()).isEqualTo(16);
    assertThatThrownBy(() -> defaults.withCpuLoad(17))
        .hasMessage("cpu load must be 0..16 busy threads, got 17");
    assertThatThrownBy(() -> defaults.withCpuLoad(-1))
        .hasMessage("cpu load must be 0..16 busy threads, got -1");
  }

  @Test
  void theCeilingDefaultsToTenMinutesPastTheDurationAndIsNeverBelowIt() {
    assertThat(defaults.maxDuration()).isEqualTo(Duration.ofSeconds(660));
    assertThat(defaults.withMaxDuration(Duration.ofSeconds(60)).maxDuration())
        .isEqualTo(Duration.ofSeconds(60));
    assertThatThrownBy(() -> defaults.withMaxDuration(Duration.ofSeconds(59)))
        .hasMessage("max duration must be at least the duration (60 s) and at most 48h,"
            + " got 59 s");
    assertThatThrownBy(() -> defaults.withMaxDuration(Duration.ofHours(49)))
        .hasMessageContaining("at most 48h");
  }

  @Test
  void brokenSwitchesAreCarriedAsGiven() {
    assertThat(defaults.withBroken(List.of("learner-ignores-token")).broken())
        .containsExactly("learner-ignores-token");
  }
}
