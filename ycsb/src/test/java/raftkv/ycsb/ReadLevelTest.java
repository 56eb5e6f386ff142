package raftkv.ycsb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.Consistency;

/** raftkv.consistency: the four levels a user can name, and what a typo is told. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ReadLevelTest {
  @Test
  void eachNamedLevelIsSentAsThatLevel() {
    assertThat(ReadLevel.parse("session").options().getConsistency())
        .isEqualTo(Consistency.SESSION);
    assertThat(ReadLevel.parse("EVENTUAL").options().getConsistency())
        .isEqualTo(Consistency.EVENTUAL);
    assertThat(ReadLevel.parse(" linearizable ").options().getConsistency())
        .isEqualTo(Consistency.LINEARIZABLE);
    ReadLevel bounded = ReadLevel.parse("bounded:250");
    assertThat(bounded.options().getConsistency()).isEqualTo(Consistency.BOUNDED_STALENESS);
    assertThat(bounded.options().getMaxLagMs()).isEqualTo(250);
    assertThat(bounded.name()).isEqualTo("bounded:250");
  }

  @Test
  void anUnknownLevelOrBoundIsRefusedWithTheAcceptedForms() {
    assertThatThrownBy(() -> ReadLevel.parse("strong"))
        .hasMessage("raftkv.consistency must be session, eventual, bounded:<ms> or "
            + "linearizable, got 'strong'");
    assertThatThrownBy(() -> ReadLevel.parse("bounded:0"))
        .hasMessage("raftkv.consistency=bounded:<ms> needs a positive whole number of "
            + "milliseconds, got 'bounded:0'");
    assertThatThrownBy(() -> ReadLevel.parse("bounded:1s"))
        .hasMessageContaining("got 'bounded:1s'");
  }
}
