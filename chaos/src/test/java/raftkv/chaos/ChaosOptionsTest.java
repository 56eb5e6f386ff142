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
  }

  @Test
  void brokenSwitchesAreCarriedAsGiven() {
    assertThat(defaults.withBroken(List.of("learner-ignores-token")).broken())
        .containsExactly("learner-ignores-token");
  }
}
