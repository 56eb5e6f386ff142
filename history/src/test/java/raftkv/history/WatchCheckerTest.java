package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.history.WatchStream.Event.delete;
import static raftkv.history.WatchStream.Event.put;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.history.WatchStream.Event;

/**
 * Each watch rule on a correct run and on a minimal counter-example: one change skipped, repeated,
 * reordered or invented, or a lease's keys vanishing at two indexes.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WatchCheckerTest {

  private final WatchChecker checker = new WatchChecker();

  /**
   * The log: k1 "a" @1, k2 "b" @2, k1 "c" @3, k2 "u" @4 (write of unknown outcome), z "x" @5,
   * lease 6 granted @6 with k-lease-a "la" @7 and k-lease-b "lb" @8 attached, k1 "d" @9, lease 6
   * expired @10 (index not recorded).
   */
  private static final History HISTORY = History.builder()
      .write("p1", "k1", "a", 0, 1, 1)
      .write("p1", "k2", "b", 2, 3, 2)
      .write("p2", "k1", "c", 4, 5, 3)
      .unknown("p2", Command.write("k2", "u"), 6)
      .write("p1", "z", "x", 7, 8, 5)
      .write("holder", "k-lease-a", "la", 9, 10, 7)
      .write("holder", "k-lease-b", "lb", 11, 12, 8)
      .write("p1", "k1", "d", 13, 14, 9)
      .build();

  private static final LeaseEnd EXPIRED = new LeaseEnd(6, LeaseEnd.How.EXPIRED, 0,
      Set.of("k-lease-a", "k-lease-b"), Set.of());

  /** Every change to a key starting with "k", from the beginning. */
  private static List<Event> everything() {
    return new ArrayList<>(List.of(put("k1", "a", 1), put("k2", "b", 2), put("k1", "c", 3),
        put("k2", "u", 4), put("k-lease-a", "la", 7), put("k-lease-b", "lb", 8), put("k1", "d", 9),
        delete("k-lease-a", 10), delete("k-lease-b", 10)));
  }

  private static WatchStream w1(List<Event> events) {
    return new WatchStream("w1", WatchedKeys.prefix("k"), 0, 10, events);
  }

  /** Started from a session token at index 2. */
  private static WatchStream w2(List<Event> events) {
    return new WatchStream("w2", WatchedKeys.key("k1"), 2, 10, events);
  }

  private static WatchStream w3(List<Event> events) {
    return new WatchStream("w3", WatchedKeys.range("k2", "l"), 3, 10, events);
  }

  private static final WatchStream W2 = w2(List.of(put("k1", "c", 3), put("k1", "d", 9)));
  private static final WatchStream W3 = w3(List.of(put("k2", "u", 4)));

  private CheckResult check(WatchStream... streams) {
    return checker.check(HISTORY, List.of(EXPIRED), List.of(streams));
  }

  private static Violation only(CheckResult r, String guarantee) {
    assertThat(r.violations()).extracting(Violation::explanation).hasSize(1);
    Violation v = r.violations().get(0);
    assertThat(v.guarantee()).isEqualTo(guarantee);
    return v;
  }

  @Test
  void streamsWithEveryChangeOnceInIndexOrderPass() {
    CheckResult r = check(w1(everything()), W2, W3);
    assertThat(r.violations()).isEmpty();
    assertThat(r.ok()).isTrue();
    assertThat(r.opsChecked()).isEqualTo(9 + 2 + 1);
  }

  @Test
  void aSkippedAcknowledgedWriteIsAGap() {
    Violation v = only(check(w1(everything()), w2(List.of(put("k1", "c", 3))), W3),
        Violation.WATCH_GAP);
    assertThat(v.explanation()).isEqualTo("watcher w2 (key \"k1\", (2, 10]) missed PUT k1 \"d\""
        + " at index 9: write \"d\" to k1 by p1 was acknowledged at index 9");
    assertThat(v.ops()).extracting(Op::id).containsExactly(7);
  }

  @Test
  void aSkippedChangeAnotherStreamDeliveredIsAGap() {
    Violation v = only(check(w1(everything()), W2, w3(List.of())), Violation.WATCH_GAP);
    assertThat(v.explanation()).isEqualTo("watcher w3 (range [\"k2\", \"l\"), (3, 10]) missed"
        + " PUT k2 \"u\" at index 4: watcher w1 received it");
    assertThat(v.ops()).extracting(Op::id).containsExactly(3);
  }

  @Test
  void aDuplicateIsCaught() {
    List<Event> events = everything();
    events.add(3, put("k1", "c", 3));
    Violation v = only(check(w1(events), W2, W3), Violation.WATCH_ORDER);
    assertThat(v.explanation()).isEqualTo("watcher w1 (prefix \"k\", (0, 10]) received PUT k1"
        + " \"c\" at index 3 twice");
  }

  @Test
  void anOutOfOrderPairIsCaughtOnce() {
    List<Event> events = everything();
    events.set(2, put("k2", "u", 4));
    events.set(3, put("k1", "c", 3));
    Violation v = only(check(w1(events), W2, W3), Violation.WATCH_ORDER);
    assertThat(v.explanation()).isEqualTo("watcher w1 (prefix \"k\", (0, 10]) received PUT k1"
        + " \"c\" at index 3 after an event at index 4: indexes must not go back");
  }

  @Test
  void eventsOutsideTheStreamsKeysOrIndexesAreCaught() {
    CheckResult r = check(w1(everything()), w2(List.of(put("k1", "a", 1), put("k1", "c", 3),
        put("k2", "u", 4), put("k1", "d", 9))), W3);
    assertThat(r.violations()).extracting(Violation::explanation).containsExactly(
        "watcher w2 (key \"k1\", (2, 10]) received PUT k1 \"a\" at index 1, at or before its"
            + " start index 2",
        "watcher w2 (key \"k1\", (2, 10]) received PUT k2 \"u\" at index 4, a key it does not"
            + " watch");
    assertThat(r.count(Violation.WATCH_ORDER)).isEqualTo(2);
  }

  @Test
  void aValueNoWriteWroteIsAPhantom() {
    Violation v = only(check(w1(everything()), W2,
        w3(List.of(put("k2", "u", 4), put("k2", "zz", 6)))), Violation.WATCH_PHANTOM);
    assertThat(v.explanation()).isEqualTo("watcher w3 (range [\"k2\", \"l\"), (3, 10]) received"
        + " PUT k2 \"zz\" at index 6: a value no write wrote");
  }

  @Test
  void aDeleteNoLeaseExplainsIsAPhantom() {
    Violation v = only(check(w1(everything()), W2,
        w3(List.of(put("k2", "u", 4), delete("k2", 6)))), Violation.WATCH_PHANTOM);
    assertThat(v.explanation()).endsWith("received DELETE k2 at index 6: no ended lease had k2"
        + " attached and nothing else deletes it");
  }

  @Test
  void aChangeTheLogContradictsAtItsIndexIsADisagreement() {
    CheckResult r = check(w1(everything()), w2(List.of(put("k1", "c", 3), put("k1", "x", 5),
        put("k1", "d", 9))), W3);
    Violation v = only(r, Violation.WATCH_AGREEMENT);
    assertThat(v.explanation()).isEqualTo("watcher w2 (key \"k1\", (2, 10]) received PUT k1 \"x\""
        + " at index 5, but index 5 holds write \"x\" to z by p1");
  }

  @Test
  void streamsThatPlaceOneWriteAtTwoIndexesDisagree() {
    CheckResult r = check(w1(everything()), W2, w3(List.of(put("k2", "u", 6))));
    assertThat(r.violations()).extracting(Violation::explanation).containsExactly(
        "watcher w3 (range [\"k2\", \"l\"), (3, 10]) received PUT k2 \"u\" at index 6, but"
            + " watcher w1 received it at index 4: a write is applied at one index",
        "watcher w3 (range [\"k2\", \"l\"), (3, 10]) missed PUT k2 \"u\" at index 4: watcher w1"
            + " received it");
    assertThat(r.violations()).extracting(Violation::guarantee)
        .containsExactly(Violation.WATCH_AGREEMENT, Violation.WATCH_GAP);
  }

  @Test
  void aLeaseWhoseKeysVanishAtTwoIndexesIsCaught() {
    List<Event> events = everything();
    events.set(8, delete("k-lease-b", 11));
    WatchStream w1 = new WatchStream("w1", WatchedKeys.prefix("k"), 0, 11, events);
    Violation v = only(check(w1, W2, W3), Violation.LEASE_END);
    assertThat(v.explanation()).isEqualTo("lease 6 (expired) deleted its keys at 2 indexes, not"
        + " one: k-lease-a at index 10 (watcher w1), k-lease-b at index 11"
        + " (watcher w1)");
  }

  @Test
  void aWatcherMissingALeaseDeleteOthersSawHasAGap() {
    WatchStream w4 = new WatchStream("w4", WatchedKeys.prefix("k-lease"), 8, 10,
        List.of(delete("k-lease-a", 10)));
    Violation v = only(check(w1(everything()), W2, W3, w4), Violation.WATCH_GAP);
    assertThat(v.explanation()).isEqualTo("watcher w4 (prefix \"k-lease\", (8, 10]) missed DELETE"
        + " k-lease-b at index 10: lease 6 (expired) deleted its keys at index 10 (seen by"
        + " watcher w1)");
  }

  @Test
  void aRevokedLeasesDeletesBelongAtItsRecordedIndex() {
    LeaseEnd revoked = new LeaseEnd(6, LeaseEnd.How.REVOKED, 10,
        Set.of("k-lease-a", "k-lease-b"), Set.of());
    List<Event> events = everything();
    events.set(8, delete("k-lease-b", 11));
    WatchStream w1 = new WatchStream("w1", WatchedKeys.prefix("k"), 0, 11, events);
    CheckResult r = checker.check(HISTORY, List.of(revoked), List.of(w1, W2, W3));
    assertThat(r.violations()).extracting(Violation::explanation).containsExactly(
        "watcher w1 (prefix \"k\", (0, 11]) received DELETE k-lease-b at index 11, but lease 6"
            + " (revoked at index 10) deleted its keys at index 10",
        "watcher w1 (prefix \"k\", (0, 11]) missed DELETE k-lease-b at index 10: lease 6 (revoked"
            + " at index 10) deleted its keys at index 10");
    assertThat(r.violations()).extracting(Violation::guarantee)
        .containsExactly(Violation.LEASE_END, Violation.WATCH_GAP);
  }

  @Test
  void aKeyMaybeAttachedNeedNotBeDeletedButMayBe() {
    History h = History.builder().write("holder", "k-a", "la", 0, 1, 2)
        .unknown("holder", Command.write("k-b", "lb"), 2).build();
    LeaseEnd end = new LeaseEnd(1, LeaseEnd.How.EXPIRED, 0, Set.of("k-a"), Set.of("k-b"));
    WatchStream sawB = new WatchStream("w1", WatchedKeys.prefix("k-"), 0, 5,
        List.of(put("k-a", "la", 2), put("k-b", "lb", 3), delete("k-a", 5), delete("k-b", 5)));
    WatchStream noB = new WatchStream("w2", WatchedKeys.key("k-a"), 1, 5,
        List.of(put("k-a", "la", 2), delete("k-a", 5)));
    assertThat(checker.check(h, List.of(end), List.of(sawB, noB)).violations()).isEmpty();
  }
}
