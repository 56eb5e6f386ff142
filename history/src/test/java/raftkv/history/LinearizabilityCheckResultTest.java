package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which reads the linearizability checker judges, and its verdicts as a CheckResult. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinearizabilityCheckResultTest {

  private final LinearizabilityChecker checker = new LinearizabilityChecker();

  private static History staleReadAt(ReadLevel level) {
    return History.builder()
        .write("p1", "k", "a", 0, 1, 1)
        .write("p1", "k", "b", 2, 3, 2)
        .read("p2", "k", "a", 4, 5, level, "n3", 1, 1)
        .write("p1", "j", "x", 6, 7, 3)
        .build();
  }

  @Test
  void staleReadsAtWeakerLevelsAreNotJudged() {
    for (ReadLevel level : new ReadLevel[] {ReadLevel.SESSION, ReadLevel.BOUNDED,
        ReadLevel.EVENTUAL}) {
      History h = staleReadAt(level);
      assertThat(LinearizabilityChecker.linearizablePart(h).ops())
          .extracting(Op::id).containsExactly(0, 1, 3);
      CheckResult r = checker.checkResult(h);
      assertThat(r.ok()).as("%s read", level).isTrue();
      assertThat(r.checker()).isEqualTo("linearizability");
      assertThat(r.opsChecked()).isEqualTo(3);
      assertThat(checker.check(h).get("k").isOk()).isTrue();
    }
  }

  @Test
  void theSameStaleReadAtLinearizableLevelIsAViolation() {
    CheckResult r = checker.checkResult(staleReadAt(ReadLevel.LINEARIZABLE));
    assertThat(r.ok()).isFalse();
    assertThat(r.opsChecked()).isEqualTo(4);
    assertThat(r.violations()).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo(Violation.LINEARIZABILITY);
      assertThat(v.explanation()).startsWith("key k is not linearizable")
          .contains("READ k -> \"a\"");
      assertThat(v.ops()).extracting(Op::id).containsExactly(2);
    });
  }

  @Test
  void keysBeyondTheBudgetAreUndecidedNotViolations() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1)
        .read("p1", "k", "a", 2, 3)
        .write("p1", "j", "x", 0, 1)
        .build();
    CheckResult r = new LinearizabilityChecker(1).checkResult(h);
    assertThat(r.violations()).isEmpty();
    assertThat(r.undecided()).isEqualTo(1);
    assertThat(r.ok()).isFalse();
  }
}
