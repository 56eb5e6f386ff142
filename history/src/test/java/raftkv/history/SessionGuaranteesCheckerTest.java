package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.history.ReadLevel.EVENTUAL;
import static raftkv.history.ReadLevel.SESSION;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each session guarantee on a valid history and on a minimal counter-example. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionGuaranteesCheckerTest {

  private final SessionGuaranteesChecker checker = new SessionGuaranteesChecker();

  private static Served session(String node, long served, long value, long token) {
    return Served.read(SESSION, node, served, value, token, 0);
  }

  private List<Violation> violations(History h) {
    CheckResult r = checker.check(h);
    assertThat(r.checker()).isEqualTo("session-guarantees");
    return r.violations();
  }

  @Test
  void aSessionThatSeesItsOwnPastPasses() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1, 1)
        .read("p1", "k", "a", 2, 3, session("n2", 1, 1, 1))
        .read("p2", "j", null, 2, 3, EVENTUAL, "n3", 1, 0)
        .write("p1", "k", "b", 4, 5, 3)
        .read("p1", "k", "b", 6, 7, session("n3", 3, 3, 3))
        .read("p1", "k", "b", 8, 9, session("n2", 4, 0, 3)) // value index from the write
        .build();
    CheckResult r = checker.check(h);
    assertThat(r.violations()).isEmpty();
    assertThat(r.opsChecked()).isEqualTo(5);
  }

  @Test
  void readingBelowOwnAcknowledgedWriteBreaksReadYourWrites() {
    History h = History.builder()
        .write("p2", "k7", "v12", 0, 1, 40)
        .write("p3", "k7", "v19", 2, 3, 44)
        .read("p3", "k7", "v12", 4, 5, session("l1", 41, 40, 44))
        .build();
    assertThat(violations(h)).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo("read-your-writes");
      assertThat(v.explanation()).isEqualTo("session p3 read k7 -> \"v12\" (value index 40)"
          + " served by l1 at index 41, but its own write \"v19\" to k7 was acknowledged at"
          + " index 44 before the read began");
      assertThat(v.ops()).extracting(Op::id).containsExactly(2, 1);
    });
  }

  @Test
  void readingAbsentAfterOwnWriteBreaksReadYourWrites() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1, 5)
        .read("p1", "k", null, 2, 3, session("n2", 4, 0, 5))
        .build();
    assertThat(violations(h)).extracting(Violation::guarantee).containsExactly("read-your-writes");
  }

  @Test
  void readYourWritesIgnoresOtherSessionsConcurrentWritesAndWeakerReads() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1, 1)
        .write("p2", "k", "b", 2, 3, 2) // another session's
        .read("p1", "k", "a", 4, 5, session("n2", 1, 1, 1))
        .write("p1", "k", "c", 6, 20, 3) // still running when the next read begins
        .read("p1", "k", "a", 10, 11, session("n2", 1, 1, 1))
        .read("p1", "k", "a", 30, 31, EVENTUAL, "n3", 1, 1) // not a SESSION read
        .build();
    assertThat(violations(h)).isEmpty();
  }

  @Test
  void readingOlderThanAnEarlierReadsStateBreaksMonotonicReads() {
    History h = History.builder()
        .write("p2", "k7", "v12", 0, 1, 40)
        .write("p2", "k7", "v19", 2, 3, 44)
        .read("p3", "k2", null, 4, 5, EVENTUAL, "n2", 50, 0)
        .read("p3", "k7", "v12", 6, 7, session("l1", 41, 40, 50))
        .build();
    assertThat(violations(h)).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo("monotonic-reads");
      assertThat(v.explanation()).isEqualTo("session p3 read k7 -> \"v12\" (value index 40)"
          + " served by l1 at index 41, but its earlier read k2 -> absent served by n2 at index"
          + " 50 had already seen the state at index 50, which contains write \"v19\" to k7"
          + " acknowledged at index 44");
      assertThat(v.ops()).extracting(Op::id).containsExactly(3, 2, 1);
    });
  }

  @Test
  void aLowerServedIndexWithTheSameValueKeepsMonotonicReads() {
    History h = History.builder()
        .write("p2", "k7", "v12", 0, 1, 40)
        .write("p2", "k9", "x", 2, 3, 44)
        .read("p3", "k2", null, 4, 5, EVENTUAL, "n2", 50, 0)
        .read("p3", "k7", "v12", 6, 7, session("l1", 41, 40, 50))
        .build();
    assertThat(violations(h)).isEmpty();
  }

  @Test
  void aLaterWriteAtALowerIndexBreaksMonotonicWrites() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1, 10)
        .write("p1", "j", "b", 2, 3, 5)
        .write("p2", "k", "c", 0, 1, 4) // another session
        .build();
    assertThat(violations(h)).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo("monotonic-writes");
      assertThat(v.explanation()).isEqualTo("session p1 write \"b\" to j was acknowledged at"
          + " index 5, but its earlier write \"a\" to k was acknowledged at index 10: a session's"
          + " later write must come later in the log");
      assertThat(v.ops()).extracting(Op::id).containsExactly(1, 0);
    });
  }

  @Test
  void aWriteAtOrBelowAnEarlierReadsStateBreaksWritesFollowReads() {
    History h = History.builder()
        .write("p2", "k", "a", 0, 1, 20)
        .read("p1", "k", "a", 2, 3, EVENTUAL, "n2", 20, 20)
        .cas("p1", "j", null, "b", true, 4, 5, 15)
        .build();
    assertThat(violations(h)).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo("writes-follow-reads");
      assertThat(v.explanation()).isEqualTo("session p1 CAS absent=>\"b\" on j was acknowledged"
          + " at index 15, but before it began the session had read k -> \"a\" (value index 20)"
          + " served by n2 at index 20: the write must follow the state at index 20");
    });
    History ok = History.builder()
        .write("p2", "k", "a", 0, 1, 20)
        .read("p1", "k", "a", 2, 3, EVENTUAL, "n2", 20, 20)
        .cas("p1", "j", null, "b", true, 4, 5, 21)
        .build();
    assertThat(violations(ok)).isEmpty();
  }

  @Test
  void failedUnknownAndUnindexedOpsAreNotObservations() {
    History h = History.builder()
        .unknown("p1", Command.write("k", "u"), 0)
        .failed("p1", Command.write("k", "f"), 1, 2)
        .write("p1", "k", "a", 3, 4) // acknowledged, index not known
        .write("p2", "k", "b", 3, 4, 2)
        .read("p1", "k", "b", 5, 6, session("n2", 2, 2, 0))
        .read("p1", "k", "zz", 7, 8, session("n2", 3, 0, 0)) // value index unknown: not judged
        .build();
    CheckResult r = checker.check(h);
    assertThat(r.violations()).isEmpty();
    assertThat(r.opsChecked()).isEqualTo(2);
  }
}
