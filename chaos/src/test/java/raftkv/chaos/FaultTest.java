package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FaultTest {

  @Test
  void allNamesEveryKindAndAListNamesItsMembers() {
    assertThat(Fault.parseList("all")).isEqualTo(EnumSet.allOf(Fault.class));
    assertThat(Fault.parseList(" kill, Partition ,snapshot"))
        .containsExactlyInAnyOrder(Fault.KILL, Fault.PARTITION, Fault.SNAPSHOT);
  }

  @Test
  void anUnknownNameIsRefusedWithTheValidOnes() {
    assertThatThrownBy(() -> Fault.parseList("kill,netem"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown fault 'netem'")
        .hasMessageContaining("kill,pause,partition,delay,drop,snapshot,membership,restart");
    assertThatThrownBy(() -> Fault.parseList(" , "))
        .hasMessageContaining("no fault named");
  }
}
