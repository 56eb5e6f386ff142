package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Lost acknowledged writes, and final values no prefix of the log holds. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LostWriteCheckerTest {

  private final LostWriteChecker checker = new LostWriteChecker();

  /** k: "a" at 1, CAS to "b" at 2, failed CAS at 3; j: "x" at 4; plus ops that need not survive. */
  private static History history() {
    return History.builder()
        .write("p1", "k", "a", 0, 1, 1)
        .cas("p2", "k", "a", "b", true, 2, 3, 2)
        .cas("p2", "k", "zz", "c", false, 4, 5, 3)
        .write("p1", "j", "x", 6, 7, 4)
        .unknown("p3", Command.write("k", "u"), 8)
        .failed("p3", Command.write("k", "f"), 9, 10)
        .write("p3", "k", "n", 11, 12) // index not known
        .build();
  }

  @Test
  void finalStateHoldingTheLatestWritesPasses() {
    CheckResult r = checker.check(history(),
        Map.of("k", new FinalValue("b", 2), "j", new FinalValue("x", 0)));
    assertThat(r.violations()).isEmpty();
    assertThat(r.opsChecked()).isEqualTo(3);
  }

  @Test
  void aRolledBackKeyLosesTheWritesAfterItsValue() {
    CheckResult r = checker.check(history(),
        Map.of("k", new FinalValue("a", 1), "j", new FinalValue("x", 4)));
    assertThat(r.count(Violation.LOST_WRITE)).isEqualTo(1);
    assertThat(r.violations()).singleElement().satisfies(v -> {
      assertThat(v.explanation()).isEqualTo("CAS \"a\"=>\"b\" on k by p2 was acknowledged at index"
          + " 2, but the final state of k is \"a\" (value index 1): neither it nor a later write"
          + " survived");
      assertThat(v.ops()).extracting(Op::id).containsExactly(1);
    });
  }

  @Test
  void aMissingKeyLosesEveryAcknowledgedWrite() {
    CheckResult r = checker.check(history(), Map.of("j", new FinalValue("x", 4)));
    assertThat(r.count(Violation.LOST_WRITE)).isEqualTo(2);
    assertThat(r.violations()).extracting(v -> v.ops().get(0).id()).containsExactly(0, 1);
    assertThat(r.violations().get(0).explanation()).endsWith("but k is absent in the final"
        + " state: neither it nor a later write survived");
  }

  /** Judged by its reported index if it has one; not judged for lost writes otherwise. */
  @Test
  void aFinalValueNoWriteWroteIsReported() {
    CheckResult r = checker.check(history(),
        Map.of("k", new FinalValue("zzz", 1), "j", new FinalValue("f", 0)));
    assertThat(r.violations()).extracting(Violation::explanation).containsExactly(
        "the final state of j is \"f\", a value written to k, not to j",
        "the final state of k is \"zzz\", a value no write wrote",
        "CAS \"a\"=>\"b\" on k by p2 was acknowledged at index 2, but the final state of k is"
            + " \"zzz\" (value index 1): neither it nor a later write survived");
    assertThat(r.violations()).extracting(Violation::guarantee)
        .containsExactly("consistent-prefix", "consistent-prefix", "lost-write");
    assertThat(r.count(Violation.LOST_WRITE)).isEqualTo(1);
    assertThat(r.opsChecked()).isEqualTo(2);
  }

  @Test
  void aFinalValueIndexOtherThanItsWritesIsReported() {
    CheckResult r = checker.check(history(),
        Map.of("k", new FinalValue("b", 7), "j", new FinalValue("x", 4)));
    assertThat(r.violations()).extracting(Violation::explanation).containsExactly(
        "the final state of k is \"b\" with value index 7, but CAS \"a\"=>\"b\" on k by p2 was"
            + " acknowledged at index 2");
  }
}
