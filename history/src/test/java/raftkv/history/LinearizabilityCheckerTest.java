package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Hand-written histories, each named after the guarantee it pins down. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LinearizabilityCheckerTest {

  private final LinearizabilityChecker checker = new LinearizabilityChecker();

  private Verdict verdict(History h) {
    Map<String, Verdict> all = checker.check(h);
    assertThat(all).containsOnlyKeys("k");
    return all.get("k");
  }

  @Test
  void sequentialWritesAndReadsAreLinearizable() {
    History h = History.builder()
        .read("p1", "k", null, 0, 1)
        .write("p1", "k", "a", 2, 3)
        .read("p2", "k", "a", 4, 5)
        .write("p2", "k", "b", 6, 7)
        .read("p1", "k", "b", 8, 9)
        .build();
    Verdict v = verdict(h);
    assertThat(v.status()).isEqualTo(Verdict.Status.OK);
    assertThat(v.opsChecked()).isEqualTo(5);
    assertThat(v.explanation()).isEmpty();
  }

  @Test
  void staleReadAfterNewerWriteCompletedIsNotLinearizable() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1)
        .write("p1", "k", "b", 2, 3)
        .read("p2", "k", "a", 4, 5)
        .build();
    Verdict v = verdict(h);
    assertThat(v.status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
    assertThat(v.longestPrefix()).extracting(Op::value).containsExactly("a", "b");
    assertThat(v.unplaced()).extracting(Op::result).containsExactly("a");
    assertThat(v.explanation()).contains("2 of 3 ops").contains("= \"b\"").contains("READ k -> \"a\"");
  }

  @Test
  void readOfAValueNeverWrittenIsNotLinearizable() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 10)
        .read("p2", "k", "zzz", 1, 11)
        .build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
  }

  @Test
  void readConcurrentWithAWriteMaySeeEitherValue() {
    for (String seen : new String[] {"a", "b"}) {
      History h = History.builder()
          .write("p1", "k", "a", 0, 1)
          .write("p1", "k", "b", 2, 10)
          .read("p2", "k", seen, 3, 9)
          .build();
      assertThat(verdict(h).status()).as("read sees %s", seen).isEqualTo(Verdict.Status.OK);
    }
  }

  @Test
  void unknownWriteMayTakeEffectLongAfterItsInvocation() {
    History h = History.builder()
        .unknown("p1", Command.write("k", "a"), 0)
        .read("p2", "k", null, 100, 101)
        .write("p2", "k", "b", 102, 103)
        .read("p2", "k", "a", 200, 201)
        .build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.OK);
  }

  @Test
  void unknownWriteNeverReadMayNeverHaveHappened() {
    History h = History.builder()
        .write("p2", "k", "b", 0, 1)
        .unknown("p1", Command.write("k", "a"), 2)
        .read("p2", "k", "b", 100, 101)
        .read("p3", "k", "b", 102, 103)
        .build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.OK);
  }

  @Test
  void unknownWriteCannotTakeEffectBeforeItsInvocation() {
    History h = History.builder()
        .read("p2", "k", "a", 0, 1)
        .unknown("p1", Command.write("k", "a"), 2)
        .build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
  }

  @Test
  void valueOfAFailedWriteIsNeverVisible() {
    History h = History.builder()
        .failed("p1", Command.write("k", "a"), 0, 1)
        .read("p2", "k", "a", 2, 3)
        .build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
    assertThat(verdict(h).opsChecked()).isEqualTo(1);
  }

  @Test
  void unknownReadIsDropped() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1)
        .unknown("p2", Command.read("k"), 2)
        .build();
    Verdict v = verdict(h);
    assertThat(v.status()).isEqualTo(Verdict.Status.OK);
    assertThat(v.opsChecked()).isEqualTo(1);
  }

  @Test
  void successfulCasReplacesTheExpectedValue() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1)
        .cas("p1", "k", "a", "b", true, 2, 3)
        .read("p2", "k", "b", 4, 5)
        .build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.OK);
  }

  @Test
  void casOnAbsentKeySucceedsOnlyWhenAbsent() {
    History ok = History.builder().cas("p1", "k", null, "a", true, 0, 1).build();
    History bad = History.builder()
        .write("p1", "k", "x", 0, 1)
        .cas("p1", "k", null, "a", true, 2, 3)
        .build();
    assertThat(verdict(ok).status()).isEqualTo(Verdict.Status.OK);
    assertThat(verdict(bad).status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
  }

  @Test
  void casCannotSucceedWhenTheValueDiffers() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1)
        .write("p1", "k", "c", 2, 3)
        .cas("p2", "k", "a", "b", true, 4, 5)
        .build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
  }

  @Test
  void failedCasLeavesTheValueAndMustSeeADifferentOne() {
    History ok = History.builder()
        .write("p1", "k", "a", 0, 1)
        .cas("p2", "k", "x", "b", false, 2, 3)
        .read("p1", "k", "a", 4, 5)
        .build();
    History bad = History.builder()
        .write("p1", "k", "a", 0, 1)
        .cas("p2", "k", "a", "b", false, 2, 3)
        .build();
    History appliedAnyway = History.builder()
        .write("p1", "k", "a", 0, 1)
        .cas("p2", "k", "x", "b", false, 2, 3)
        .read("p1", "k", "b", 4, 5)
        .build();
    assertThat(verdict(ok).status()).isEqualTo(Verdict.Status.OK);
    assertThat(verdict(bad).status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
    assertThat(verdict(appliedAnyway).status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
  }

  @Test
  void unknownCasMayOrMayNotHaveApplied() {
    for (String seen : new String[] {"a", "b"}) {
      History h = History.builder()
          .write("p1", "k", "a", 0, 1)
          .unknown("p2", Command.cas("k", "a", "b"), 2)
          .read("p1", "k", seen, 10, 11)
          .build();
      assertThat(verdict(h).status()).as("read sees %s", seen).isEqualTo(Verdict.Status.OK);
    }
  }

  @Test
  void readNewThenReadOldAcrossTwoProcessesIsNotLinearizable() {
    // p1's write of b is in flight throughout; p2 sees b, then p3 (invoked after) sees a again.
    History h = History.builder()
        .write("p1", "k", "a", 0, 1)
        .write("p1", "k", "b", 2, 100)
        .read("p2", "k", "b", 10, 20)
        .read("p3", "k", "a", 30, 40)
        .build();
    Verdict v = verdict(h);
    assertThat(v.status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
    assertThat(v.explanation()).startsWith("not linearizable");
  }

  @Test
  void keysAreCheckedIndependently() {
    History h = History.builder()
        .write("p1", "x", "a", 0, 1)
        .read("p2", "y", "a", 2, 3)
        .read("p2", "x", "a", 4, 5)
        .build();
    Map<String, Verdict> all = checker.check(h);
    assertThat(all.keySet()).containsExactly("x", "y");
    assertThat(all.get("x").status()).isEqualTo(Verdict.Status.OK);
    assertThat(all.get("y").status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
  }

  @Test
  void givingUpOnTheBudgetIsUnknownNeverOk() {
    History h = RegisterSimulation.generate(7, 8, 400, 1, 0.05, 0.05);
    Verdict v = new LinearizabilityChecker(5).check(h).get("k0");
    assertThat(v.status()).isEqualTo(Verdict.Status.UNKNOWN);
    assertThat(v.isOk()).isFalse();
    assertThat(v.explanation()).contains("gave up");
  }

  @Test
  void historyWithOnlyOptionalOpsIsLinearizable() {
    History h = History.builder().unknown("p1", Command.write("k", "a"), 0).build();
    assertThat(verdict(h).status()).isEqualTo(Verdict.Status.OK);
  }
}
