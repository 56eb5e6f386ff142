package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.WriteId;

/** The pieces of the retry machinery on their own. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class UnitsTest {
  @Test
  void backoffDoublesWithJitterInTheUpperHalfAndStopsAtItsMaximum() {
    Backoff backoff = new Backoff(Duration.ofMillis(10), Duration.ofMillis(500));
    long ms = TimeUnit.MILLISECONDS.toNanos(1);
    for (int i = 0; i < 1000; i++) {
      assertThat(backoff.delayNanos(0)).isBetween(5 * ms, 10 * ms);
      assertThat(backoff.delayNanos(2)).isBetween(20 * ms, 40 * ms);
      assertThat(backoff.delayNanos(6)).isBetween(250 * ms, 500 * ms);
      assertThat(backoff.delayNanos(1000)).isBetween(250 * ms, 500 * ms);
    }
  }

  @Test
  void ackedBelowIsTheLowestSequenceInFlightOrTheNextOneWhenNoneIs() {
    WriteIds ids = new WriteIds("c");
    assertThat(ids.ackedBelow()).isEqualTo(1);
    WriteId one = ids.begin();
    WriteId two = ids.begin();
    WriteId three = ids.begin();
    assertThat(three.getAckedBelow()).isEqualTo(1);

    ids.end(two.getSequence());
    assertThat(ids.ackedBelow()).isEqualTo(1);
    ids.end(one.getSequence());
    assertThat(ids.ackedBelow()).isEqualTo(3);
    ids.end(three.getSequence());
    assertThat(ids.ackedBelow()).isEqualTo(4);
    assertThat(ids.begin().getAckedBelow()).isEqualTo(4);
  }

  @Test
  void routerMovesTheBeliefOnOnceWhenSeveralCallsSeeTheSameLeaderFail() {
    Router router = new Router(java.util.List.of("a:1", "b:2", "c:3"));

    assertThat(router.afterFailure(Router.Route.LEADER, null, "a:1", null)).isEqualTo("b:2");
    // A second call that was also on a:1 follows the new belief instead of skipping b:2.
    assertThat(router.afterFailure(Router.Route.LEADER, null, "a:1", null)).isEqualTo("b:2");
    assertThat(router.afterFailure(Router.Route.LEADER, null, "b:2", "z:9")).isEqualTo("z:9");
    // A learned leader outside the list that fails sends the search back to the list.
    assertThat(router.afterFailure(Router.Route.LEADER, null, "z:9", null)).isEqualTo("a:1");
  }
}
