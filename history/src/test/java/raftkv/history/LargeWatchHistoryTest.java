package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.history.WatchStream.Event;

/**
 * The size a chaos run gives the watch checker: 100,000 writes, watched whole by one stream and
 * in parts by three more. Checking time is printed, not asserted; the timeout bounds it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LargeWatchHistoryTest {

  private static final int WRITES = 100_000;

  @Test
  void aHundredThousandEventsAreCheckedAndOneSkipIsFound() {
    History.Builder h = History.builder();
    List<Event> all = new ArrayList<>();
    for (int i = 1; i <= WRITES; i++) {
      String key = "e" + (i / 5_000) + "-k" + (i % 8);
      h.write("p" + (i % 8), key, "v" + i, 2L * i, 2L * i + 1, i);
      all.add(Event.put(key, "v" + i, i));
    }
    History history = h.build();
    List<WatchStream> streams = List.of(
        new WatchStream("all", WatchedKeys.prefix(""), 0, WRITES, all),
        stream("e1", WatchedKeys.prefix("e1-"), 0, all),
        stream("late", WatchedKeys.range("e2", "e5"), WRITES / 2, all),
        stream("one", WatchedKeys.key("e7-k3"), 1_000, all));
    CheckResult ok = timed(history, streams);
    assertThat(ok.violations()).isEmpty();
    assertThat(ok.opsChecked()).isGreaterThan(WRITES);

    List<Event> skipped = new ArrayList<>(all);
    Event lost = skipped.remove(WRITES / 2);
    CheckResult bad = timed(history, List.of(
        new WatchStream("all", WatchedKeys.prefix(""), 0, WRITES, skipped)));
    assertThat(bad.violations()).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo(Violation.WATCH_GAP);
      assertThat(v.explanation()).contains("missed " + lost);
    });
  }

  private static WatchStream stream(String name, WatchedKeys keys, long start, List<Event> all) {
    List<Event> mine = all.stream()
        .filter(e -> keys.covers(e.key()) && e.index() > start).toList();
    return new WatchStream(name, keys, start, WRITES, mine);
  }

  private static CheckResult timed(History history, List<WatchStream> streams) {
    long start = System.nanoTime();
    CheckResult r = new WatchChecker().check(history, List.of(), streams);
    System.out.printf("watch checker: %d events, %d violations in %d ms%n", r.opsChecked(),
        r.violations().size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    return r;
  }
}
