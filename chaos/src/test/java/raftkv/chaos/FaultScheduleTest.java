package raftkv.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The order of faults, without a clock: the caller says whether the floor has passed. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class FaultScheduleTest {
  private static final Set<Fault> ALL = EnumSet.allOf(Fault.class);

  @Test
  void everyRoundInjectsEveryKindOnceInSeededOrder() {
    FaultSchedule schedule = new FaultSchedule(ALL, new Random(7));
    List<Fault> first = draw(schedule, 8);
    List<Fault> second = draw(schedule, 8);

    assertThat(first).containsExactlyInAnyOrderElementsOf(ALL);
    assertThat(second).containsExactlyInAnyOrderElementsOf(ALL);
    assertThat(draw(new FaultSchedule(ALL, new Random(7)), 8)).isEqualTo(first);
  }

  @Test
  void afterTheFloorOnlyKindsNotYetRunAreDrawnAndTheScheduleThenEnds() {
    FaultSchedule schedule = new FaultSchedule(ALL, new Random(3));
    // Before the floor: three faults ran, one of them failed.
    Fault a = schedule.next(false).orElseThrow();
    Fault failed = schedule.next(false).orElseThrow();
    Fault b = schedule.next(false).orElseThrow();
    schedule.completed(a);
    schedule.completed(b);

    Set<Fault> drawn = new HashSet<>();
    Optional<Fault> next;
    while ((next = schedule.next(true)).isPresent()) {
      assertThat(drawn.add(next.get())).as("%s drawn twice", next.get()).isTrue();
      schedule.completed(next.get());
    }

    Set<Fault> expected = EnumSet.copyOf(ALL);
    expected.removeAll(List.of(a, b));
    assertThat(drawn).isEqualTo(expected).contains(failed);
    assertThat(schedule.missing()).isEmpty();
  }

  @Test
  void aKindThatKeepsFailingAfterTheFloorIsDrawnAgainUntilTheCallerGivesUp() {
    FaultSchedule schedule = new FaultSchedule(EnumSet.of(Fault.KILL, Fault.SNAPSHOT),
        new Random(1));
    schedule.completed(Fault.KILL);

    assertThat(schedule.next(true)).contains(Fault.SNAPSHOT);
    assertThat(schedule.next(true)).contains(Fault.SNAPSHOT);
    assertThat(schedule.missing()).containsExactly(Fault.SNAPSHOT);
  }

  @Test
  void beforeTheFloorRoundsRepeatEvenWhenEveryKindHasRun() {
    FaultSchedule schedule = new FaultSchedule(EnumSet.of(Fault.PARTITION), new Random(1));
    for (int i = 0; i < 5; i++) {
      Fault f = schedule.next(false).orElseThrow();
      assertThat(f).isEqualTo(Fault.PARTITION);
      schedule.completed(f);
    }
    assertThat(schedule.next(true)).isEmpty();
  }

  private static List<Fault> draw(FaultSchedule schedule, int n) {
    List<Fault> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Fault f = schedule.next(false).orElseThrow();
      schedule.completed(f);
      out.add(f);
    }
    return out;
  }
}
