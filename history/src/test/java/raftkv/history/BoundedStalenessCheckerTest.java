package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bounded-staleness rule, its slack and what it ignores. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BoundedStalenessCheckerTest {

  private static final long MS = 1_000_000;

  private static Served bounded(long served, long value, long boundMs) {
    return Served.read(ReadLevel.BOUNDED, "n3", served, value, 0, boundMs);
  }

  /** "a" at 4, then "b" at 5 completing at 100 ms; one BOUNDED (50 ms) read at index 4. */
  private static History readAt(long invokeMs) {
    return History.builder()
        .write("p1", "k", "a", 0, 10 * MS, 4)
        .write("p1", "k", "b", 90 * MS, 100 * MS, 5)
        .read("p2", "k", "a", invokeMs * MS, (invokeMs + 1) * MS, bounded(4, 4, 50))
        .build();
  }

  @Test
  void aReadWithinBoundAndSlackPasses() {
    CheckResult r = new BoundedStalenessChecker().check(readAt(160));
    assertThat(r.ok()).isTrue();
    assertThat(r.opsChecked()).isEqualTo(1);
  }

  @Test
  void aReadFurtherBehindThanBoundAndSlackFails() {
    CheckResult r = new BoundedStalenessChecker().check(readAt(161));
    assertThat(r.violations()).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo("bounded-staleness");
      assertThat(v.explanation()).isEqualTo("p2 BOUNDED read k -> \"a\" (value index 4) served by"
          + " n3 at index 4 with bound 50 ms, but write \"b\" to k by p1 was acknowledged at index"
          + " 5 and completed 61.0 ms before the read began (more than the bound + 10 ms slack)");
      assertThat(v.ops()).extracting(Op::id).containsExactly(2, 1);
    });
  }

  @Test
  void slackIsAConstructorParameter() {
    assertThat(new BoundedStalenessChecker(0).check(readAt(151)).ok()).isFalse();
    assertThat(new BoundedStalenessChecker(0).check(readAt(150)).ok()).isTrue();
    assertThat(new BoundedStalenessChecker().slackMs()).isEqualTo(10);
    assertThatThrownBy(() -> new BoundedStalenessChecker(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void otherLevelsUnindexedReadsAndUnacknowledgedWritesAreIgnored() {
    History h = History.builder()
        .write("p1", "k", "a", 0, MS, 4)
        .unknown("p1", Command.write("k", "u"), 2 * MS)
        .failed("p1", Command.write("k", "f"), 3 * MS, 4 * MS)
        .write("p3", "k", "b", 5 * MS, 6 * MS) // index not known
        .read("p2", "k", "a", 500 * MS, 501 * MS, ReadLevel.EVENTUAL, "n3", 4, 4)
        .read("p2", "k", "a", 500 * MS, 501 * MS, bounded(0, 4, 50))
        .read("p2", "k", "a", 500 * MS, 501 * MS, bounded(4, 4, 50))
        .build();
    CheckResult r = new BoundedStalenessChecker().check(h);
    assertThat(r.violations()).isEmpty();
    assertThat(r.opsChecked()).isEqualTo(1);
  }

  @Test
  void hugeBoundsDoNotOverflow() {
    History h = History.builder()
        .write("p1", "k", "a", 0, 1, 4)
        .read("p2", "k", null, 10 * MS, 11 * MS, bounded(1, 0, Long.MAX_VALUE / 2))
        .build();
    assertThat(new BoundedStalenessChecker().check(h).ok()).isTrue();
  }
}
