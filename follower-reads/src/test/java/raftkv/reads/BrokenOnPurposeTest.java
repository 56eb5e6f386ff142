package raftkv.reads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BrokenOnPurposeTest {
  @Test
  void noNamesMeanNoSwitches() {
    assertThat(BrokenOnPurpose.parse(null)).isEmpty();
    assertThat(BrokenOnPurpose.parse(" ")).isEmpty();
  }

  @Test
  void commaSeparatedNamesAreParsedIgnoringSpacesAndEmptyItems() {
    assertThat(BrokenOnPurpose.parse(
        "stale-leader-reads, learner-ignores-token,watch-skips-on-resume,"))
        .isEqualTo(EnumSet.allOf(BrokenOnPurpose.class));
    assertThat(BrokenOnPurpose.parse("learner-ignores-token"))
        .containsExactly(BrokenOnPurpose.LEARNER_IGNORES_TOKEN);
  }

  @Test
  void anUnknownNameIsRefusedListingTheValidOnes() {
    assertThatThrownBy(() -> BrokenOnPurpose.parse("learner-ignores-token,stale-reads"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("raftkv.broken: unknown switch 'stale-reads'; valid: "
            + "learner-ignores-token, stale-leader-reads, watch-skips-on-resume");
  }
}
