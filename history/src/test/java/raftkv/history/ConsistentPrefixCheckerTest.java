package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.history.ReadLevel.EVENTUAL;
import static raftkv.history.ReadLevel.LINEARIZABLE;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each consistent-prefix rule on a valid history and on a minimal counter-example. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConsistentPrefixCheckerTest {

  private final ConsistentPrefixChecker checker = new ConsistentPrefixChecker();

  /** k = "a" at 1, "b" at 3; j = "x" at 2. */
  private static History.Builder log() {
    return History.builder()
        .write("p1", "k", "a", 0, 1, 1)
        .write("p1", "j", "x", 2, 3, 2)
        .write("p1", "k", "b", 4, 5, 3);
  }

  private Violation only(History h) {
    CheckResult r = checker.check(h);
    assertThat(r.violations()).hasSize(1);
    Violation v = r.violations().get(0);
    assertThat(v.guarantee()).isEqualTo("consistent-prefix");
    return v;
  }

  @Test
  void readsOfPrefixesAtAnyLevelPass() {
    History h = log()
        .read("p2", "k", null, 6, 7, EVENTUAL, "n3", 0, 0) // no served index: not checked
        .read("p2", "j", null, 6, 7, EVENTUAL, "n3", 1, 0)
        .read("p2", "k", "a", 8, 9, EVENTUAL, "n3", 1, 1)
        .read("p2", "k", "a", 8, 9, EVENTUAL, "n3", 2, 1)
        .read("p2", "k", "a", 8, 9, EVENTUAL, "n3", 2, 0) // value index from the write
        .read("p2", "k", "b", 10, 11, LINEARIZABLE, "n1", 3, 3)
        .read("p2", "j", "x", 10, 11, ReadLevel.SESSION, "n2", 7, 2)
        .build();
    CheckResult r = checker.check(h);
    assertThat(r.violations()).isEmpty();
    assertThat(r.opsChecked()).isEqualTo(3 + 6);
  }

  @Test
  void valueIndexBeyondServedIndexFails() {
    Violation v = only(log().read("p2", "k", "b", 6, 7, EVENTUAL, "n3", 2, 3).build());
    assertThat(v.explanation()).isEqualTo("p2 EVENTUAL read k -> \"b\" (value index 3) served by"
        + " n3 at index 2: its value index is beyond its served index");
  }

  @Test
  void aWriteBetweenValueIndexAndServedIndexFails() {
    Violation v = only(log().read("p2", "k", "a", 6, 7, EVENTUAL, "n3", 3, 1).build());
    assertThat(v.explanation()).isEqualTo("p2 EVENTUAL read k -> \"a\" (value index 1) served by"
        + " n3 at index 3, but write \"b\" to k by p1 was acknowledged at index 3, between 1 and"
        + " 3: the state at index 3 holds \"b\" or later");
    assertThat(v.ops()).extracting(Op::id).containsExactly(3, 2, 0);
  }

  @Test
  void absentAfterTheKeyWasWrittenFails() {
    Violation v = only(log().read("p2", "k", null, 6, 7, EVENTUAL, "n3", 2, 0).build());
    assertThat(v.explanation()).isEqualTo("p2 EVENTUAL read k -> absent served by n3 at index 2,"
        + " but write \"a\" to k by p1 was acknowledged at index 1 <= 2: the state at index 2"
        + " holds a value of k");
  }

  @Test
  void absentWithAValueIndexFails() {
    assertThat(only(log().read("p2", "j", null, 6, 7, EVENTUAL, "n3", 1, 1).build()).explanation())
        .endsWith("reports value index 1 for an absent key");
  }

  @Test
  void aValueNoWriteWroteFails() {
    assertThat(only(log().read("p2", "k", "zzz", 6, 7, EVENTUAL, "n3", 3, 0).build())
        .explanation()).endsWith("-> \"zzz\" (value index unknown) served by n3 at index 3, a"
            + " value no write wrote");
  }

  @Test
  void aValueOfAnotherKeyFails() {
    assertThat(only(log().read("p2", "k", "x", 6, 7, EVENTUAL, "n3", 3, 2).build())
        .explanation()).contains("a value written to j (write \"x\" to j by p1), not to k");
  }

  @Test
  void aValueOfAFailedWriteOrAnUnappliedCasFails() {
    History failed = log().failed("p3", Command.write("k", "f"), 6, 7)
        .read("p2", "k", "f", 8, 9, EVENTUAL, "n3", 3, 0).build();
    assertThat(only(failed).explanation()).contains("write \"f\" to k by p3 which failed");
    History cas = log().cas("p3", "k", "zz", "c", false, 6, 7, 4)
        .read("p2", "k", "c", 8, 9, EVENTUAL, "n3", 4, 4).build();
    assertThat(only(cas).explanation()).contains("CAS \"zz\"=>\"c\" on k by p3 whose comparison"
        + " did not hold");
  }

  @Test
  void aValueIndexOtherThanTheWritesFails() {
    Violation v = only(log().read("p2", "k", "a", 6, 7, EVENTUAL, "n3", 2, 2).build());
    assertThat(v.explanation()).endsWith("served by n3 at index 2, but write \"a\" to k by p1 was"
        + " acknowledged at index 1");
  }

  @Test
  void twoWritesAtOneIndexFail() {
    Violation v = only(log().write("p2", "j", "y", 6, 7, 2).build());
    assertThat(v.explanation()).isEqualTo("write \"x\" to j by p1 and write \"y\" to j by p2 were"
        + " both acknowledged at log index 2: a log index holds one entry");
  }

  @Test
  void anUnknownWritesIndexRevealedByOneReadJudgesAnother() {
    History h = log()
        .unknown("p3", Command.write("k", "c"), 6)
        .read("p2", "k", "c", 8, 9, EVENTUAL, "n1", 4, 4)
        .read("p2", "k", "b", 10, 11, EVENTUAL, "n3", 5, 3)
        .build();
    Violation v = only(h);
    assertThat(v.explanation()).contains("but write \"c\" to k by p3 was applied at index 4"
        + " (revealed by read #4), between 3 and 5");
    assertThat(v.ops()).extracting(Op::id).containsExactly(5, 3, 2);
  }

  @Test
  void anUnknownWriteNoReadRevealsIsIgnored() {
    History h = log()
        .unknown("p3", Command.write("k", "c"), 6)
        .read("p2", "k", "b", 10, 11, EVENTUAL, "n3", 5, 3)
        .build();
    assertThat(checker.check(h).ok()).isTrue();
  }
}
