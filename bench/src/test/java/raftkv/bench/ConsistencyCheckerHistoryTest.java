package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.bench.Recorder.bytes;
import static raftkv.v1.Consistency.BOUNDED_STALENESS;
import static raftkv.v1.Consistency.EVENTUAL;
import static raftkv.v1.Consistency.LINEARIZABLE;
import static raftkv.v1.Consistency.SESSION;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.token.SessionToken;
import raftkv.v1.Consistency;

/** Recorded histories, each replayed into a fresh checker. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class ConsistencyCheckerHistoryTest {

  private static Counts counts(Recorder r, Consistency level) {
    return r.checker.counts().get(level);
  }

  @Test
  void cleanInterleavedHistoryPasses() {
    Recorder r = new Recorder();
    // Three sessions on shared and private keys; replicas at various applied indexes, all
    // at or above each session's token.
    assertThat(r.absent("a", SESSION, "x", 3).ok()).isTrue();
    r.put("a", "x", 5);
    r.put("b", "y", 6);
    assertThat(r.get("a", SESSION, "x", 5, 6).ok()).isTrue();
    assertThat(r.get("b", LINEARIZABLE, "x", 5, 7)).isEqualTo(ReadVerdict.OK);
    r.put("c", "x", 8);
    // a's replica has not applied 8 yet: its own write 5 is still the newest it must see.
    assertThat(r.get("a", SESSION, "x", 5, 7).ok()).isTrue();
    r.put("a", "z", 9);
    assertThat(r.get("c", SESSION, "y", 6, 8).ok()).isTrue();
    assertThat(r.get("a", SESSION, "x", 8, 9).ok()).isTrue(); // c's newer write: fine
    assertThat(r.get("a", SESSION, "z", 9, 9).ok()).isTrue();
    r.put("b", "x", 10);
    assertThat(r.get("b", SESSION, "x", 10, 10).ok()).isTrue();
    assertThat(r.get("a", LINEARIZABLE, "x", 10, 12).ok()).isTrue();
    assertThat(r.get("c", SESSION, "x", 10, 12).ok()).isTrue();
    assertThat(r.get("a", SESSION, "x", 10, 12).ok()).isTrue(); // same version again: fine
    assertThat(r.absent("b", SESSION, "never-written", 12).ok()).isTrue();
    // EVENTUAL reads that happen to be fresh are clean too.
    assertThat(r.get("c", EVENTUAL, "z", 9, 12).ok()).isTrue();

    for (Consistency level : ConsistencyChecker.LEVELS) {
      assertThat(counts(r, level).clean()).as("%s", level).isTrue();
    }
    assertThat(counts(r, SESSION).reads()).isEqualTo(10);
    assertThat(counts(r, LINEARIZABLE).reads()).isEqualTo(2);
    assertThat(counts(r, EVENTUAL).reads()).isEqualTo(1);
    assertThat(r.checker.guaranteeViolations()).isZero();
  }

  @Test
  void plantedReadYourWritesViolationIsCaughtAndOnlyThat() {
    Recorder r = new Recorder();
    r.put("other", "k", 4);
    r.put("s", "k", 10);
    // Served at 12 (above the token 10), but the key's version is the other session's 4.
    ReadVerdict v = r.get("s", SESSION, "k", 4, 12);

    assertThat(v.readYourWrites()).isTrue();
    assertThat(v.monotonicRead()).isFalse();
    assertThat(v.staleRead()).isFalse();
    assertThat(v.detail()).contains("read-your-writes", "'k'", "version 4", "10");
    assertThat(counts(r, SESSION)).isEqualTo(new Counts(1, 1, 0, 0, 1));
    assertThat(r.checker.guaranteeViolations()).isEqualTo(1);
  }

  @Test
  void ownWriteReadAsAbsentIsReadYourWrites() {
    Recorder r = new Recorder();
    r.put("s", "k", 10);
    ReadVerdict v = r.absent("s", LINEARIZABLE, "k", 11);

    assertThat(v).extracting(ReadVerdict::readYourWrites, ReadVerdict::monotonicRead,
        ReadVerdict::staleRead).containsExactly(true, false, false);
    assertThat(v.detail()).contains("as absent");
    assertThat(counts(r, LINEARIZABLE)).isEqualTo(new Counts(1, 1, 0, 0, 1));
  }

  @Test
  void ownVersionWithAnotherValueIsReadYourWrites() {
    Recorder r = new Recorder();
    r.put("s", "k", 10);
    ReadVerdict v = r.get("s", SESSION, "k", 10, bytes("not what s wrote"), 10);

    assertThat(v.readYourWrites()).isTrue();
    assertThat(v.monotonicRead() || v.staleRead()).isFalse();
    assertThat(v.detail()).contains("another value");
  }

  @Test
  void plantedMonotonicReadOfAKeyIsCaughtAndOnlyThat() {
    Recorder r = new Recorder();
    r.put("w", "k", 40);
    r.put("w", "k", 50);
    assertThat(r.get("s", SESSION, "k", 50, 60).ok()).isTrue();
    // Served above everything seen (70 >= token 60), yet k went back to version 40.
    ReadVerdict v = r.get("s", SESSION, "k", 40, 70);

    assertThat(v.monotonicRead()).isTrue();
    assertThat(v.readYourWrites()).isFalse();
    assertThat(v.staleRead()).isFalse();
    assertThat(v.detail()).contains("monotonic read", "version 40", "version 50");
    assertThat(counts(r, SESSION)).isEqualTo(new Counts(2, 0, 1, 0, 1));
  }

  @Test
  void plantedMonotonicReadOfTheAppliedIndexIsCaught() {
    Recorder r = new Recorder();
    r.put("w", "a", 3);
    r.put("w", "b", 4);
    assertThat(r.get("s", SESSION, "a", 3, 20).ok()).isTrue();
    // Another key, from a replica behind the one that served the first read.
    ReadVerdict v = r.get("s", SESSION, "b", 4, 15);

    assertThat(v.monotonicRead()).isTrue();
    assertThat(v.readYourWrites()).isFalse();
    // The client's token had advanced to 20 with the first response, so it is stale too.
    assertThat(v.staleRead()).isTrue();
    assertThat(v.detail()).contains("served at applied index 15", "served at 20");
    assertThat(counts(r, SESSION)).isEqualTo(new Counts(2, 0, 1, 1, 1));
  }

  @Test
  void plantedStaleReadIsCaughtAndOnlyThat() {
    Recorder r = new Recorder();
    r.put("w", "other-key", 3);
    r.put("s", "k", 20);
    // A different key, so not read-your-writes; the session's first read, so not monotonic;
    // but served at 15, below the token 20 the session sent.
    ReadVerdict v = r.get("s", SESSION, "other-key", 3, 15);

    assertThat(v).extracting(ReadVerdict::readYourWrites, ReadVerdict::monotonicRead,
        ReadVerdict::staleRead).containsExactly(false, false, true);
    assertThat(v.detail()).contains("stale read", "15", "token 20");
    assertThat(counts(r, SESSION)).isEqualTo(new Counts(1, 0, 0, 1, 1));
  }

  @Test
  void staleReadUsesTheTokenTheCallerSent() {
    ConsistencyChecker c = new ConsistencyChecker();
    String token = new SessionToken(0x1234L, 42).encode();
    assertThat(ConsistencyChecker.tokenIndex(token)).isEqualTo(42);
    assertThat(ConsistencyChecker.tokenIndex("")).isZero();

    assertThat(c.readReturned("s", SESSION, bytes("k"), false, null, 0, 41,
        ConsistencyChecker.tokenIndex(token)).staleRead()).isTrue();
    assertThat(c.readReturned("t", SESSION, bytes("k"), false, null, 0, 42,
        ConsistencyChecker.tokenIndex(token)).ok()).isTrue();
  }

  @Test
  void anotherSessionsWritesAreNotFlagged() {
    Recorder r = new Recorder();
    r.put("a", "k", 10);
    r.put("b", "k", 12);
    // a reads b's newer write: newer than its own, fine.
    assertThat(r.get("a", SESSION, "k", 12, 12).ok()).isTrue();
    // A replica at 11 has not applied b's write yet: returning a's own write is fine for a.
    Recorder r2 = new Recorder();
    r2.put("a", "k", 10);
    r2.put("b", "k", 12);
    assertThat(r2.get("a", SESSION, "k", 10, 11).ok()).isTrue();
    // A third session that never wrote k reads either version in turn, going forward only.
    assertThat(r2.get("c", SESSION, "k", 10, 11).ok()).isTrue();
    assertThat(r2.get("c", SESSION, "k", 12, 12).ok()).isTrue();
    // And a's own later write to another key does not constrain k.
    r2.put("a", "j", 13);
    assertThat(r2.get("a", SESSION, "k", 12, 13).ok()).isTrue();

    assertThat(r.checker.guaranteeViolations()).isZero();
    assertThat(r2.checker.guaranteeViolations()).isZero();
  }

  @Test
  void eventualViolationsAreCountedUnderEventual() {
    Recorder r = new Recorder();
    r.put("s", "k", 10);
    // A lagging replica at 8: misses the write (read-your-writes) and is below the token.
    ReadVerdict first = r.absent("s", EVENTUAL, "k", 8);
    assertThat(first).extracting(ReadVerdict::readYourWrites, ReadVerdict::monotonicRead,
        ReadVerdict::staleRead).containsExactly(true, false, true);
    assertThat(r.get("s", EVENTUAL, "k", 10, 14).ok()).isTrue();
    // Then a replica behind the one before: the index and the key both go back.
    ReadVerdict back = r.absent("s", EVENTUAL, "k", 9);
    assertThat(back).extracting(ReadVerdict::readYourWrites, ReadVerdict::monotonicRead,
        ReadVerdict::staleRead).containsExactly(true, true, true);
    // SESSION reads of the same session stay clean.
    assertThat(r.get("s", SESSION, "k", 10, 14).ok()).isTrue();

    assertThat(counts(r, EVENTUAL)).isEqualTo(new Counts(3, 2, 1, 2, 2));
    assertThat(counts(r, SESSION)).isEqualTo(new Counts(1, 0, 0, 0, 0));
    assertThat(counts(r, LINEARIZABLE)).isEqualTo(Counts.ZERO);
    assertThat(counts(r, BOUNDED_STALENESS)).isEqualTo(Counts.ZERO);
    assertThat(r.checker.guaranteeViolations()).isZero();
    assertThat(ConsistencyChecker.guarantees(EVENTUAL)).isFalse();
    assertThat(ConsistencyChecker.guarantees(BOUNDED_STALENESS)).isFalse();
    assertThat(ConsistencyChecker.guarantees(SESSION)).isTrue();
    assertThat(ConsistencyChecker.guarantees(LINEARIZABLE)).isTrue();
  }

  @Test
  void aViolatingReadStillRaisesWhatTheSessionHasSeen() {
    Recorder r = new Recorder();
    r.put("w", "k", 30);
    assertThat(r.get("s", EVENTUAL, "k", 30, 30).ok()).isTrue();
    r.put("w", "k", 40);
    assertThat(r.get("s", EVENTUAL, "k", 40, 45).ok()).isTrue();
    assertThat(r.get("s", EVENTUAL, "k", 30, 35).monotonicRead()).isTrue();
    // Still measured against 40 and 45, not against the lower values of the bad read.
    assertThat(r.get("s", EVENTUAL, "k", 30, 44).monotonicRead()).isTrue();
    assertThat(counts(r, EVENTUAL).monotonicReads()).isEqualTo(2);
  }

  @Test
  void sessionEndedForgetsTheSessionButKeepsItsCounts() {
    Recorder r = new Recorder();
    r.put("s", "k", 10);
    assertThat(r.get("s", SESSION, "k", 5, 12).readYourWrites()).isTrue();
    r.checker.sessionEnded("s");
    // A new session of the same name starts afresh.
    assertThat(r.checker.readReturned("s", SESSION, bytes("k"), true, Recorder.valueAt(5), 5,
        11, 0).ok()).isTrue();
    assertThat(counts(r, SESSION)).isEqualTo(new Counts(2, 1, 0, 0, 1));
  }

  @Test
  void aWriteAcknowledgedAtAnIndexNotAboveTheSessionsPreviousWriteBreaksMonotonicWrites() {
    ConsistencyChecker c = new ConsistencyChecker();

    assertThat(c.writeAcked("s", bytes("k"), bytes("s-1"), 10)).isFalse();
    assertThat(c.writeAcked("s", bytes("j"), bytes("s-2"), 12)).isFalse();
    // Another session's writes are ordered on their own.
    assertThat(c.writeAcked("t", bytes("k"), bytes("t-1"), 5)).isFalse();
    // Below the session's previous write, on another key: the log reordered the session.
    assertThat(c.writeAcked("s", bytes("k"), bytes("s-3"), 11)).isTrue();
    // At the same index as an earlier write: two writes cannot share an index.
    assertThat(c.writeAcked("s", bytes("x"), bytes("s-4"), 12)).isTrue();
    assertThat(c.writeAcked("s", bytes("x"), bytes("s-5"), 13)).isFalse();

    assertThat(c.writeCounts()).isEqualTo(new WriteCounts(6, 2));
    assertThat(c.guaranteeViolations()).isEqualTo(2);
    // Reads are untouched by it.
    assertThat(c.counts().values()).containsOnly(Counts.ZERO);
  }

  @Test
  void resetCountsZeroesTheCountsButKeepsWhatEachSessionWroteAndRead() {
    Recorder r = new Recorder();
    r.put("s", "k", 10);
    r.put("s", "j", 11);
    r.put("s", "k", 8); // monotonic-writes violation, counted before the reset
    assertThat(r.get("s", SESSION, "j", 11, 12).ok()).isTrue();
    r.put("w", "m", 20);
    assertThat(r.get("s", EVENTUAL, "m", 20, 20).ok()).isTrue();
    assertThat(r.checker.guaranteeViolations()).isEqualTo(1);

    r.checker.resetCounts();

    assertThat(r.checker.counts().values()).containsOnly(Counts.ZERO);
    assertThat(r.checker.writeCounts()).isEqualTo(new WriteCounts(0, 0));
    assertThat(r.checker.guaranteeViolations()).isZero();
    // After the reset, a read that misses the pre-reset own write of k (at 10) is still a
    // read-your-writes violation; one served below the pre-reset read at 20 is still
    // non-monotonic; a write below the pre-reset write at 11 still breaks monotonic writes.
    ReadVerdict back = r.checker.readReturned("s", SESSION, bytes("m"), true, Recorder.valueAt(20),
        20, 19, 0);
    assertThat(back).extracting(ReadVerdict::readYourWrites, ReadVerdict::monotonicRead,
        ReadVerdict::staleRead).containsExactly(false, true, false);
    ReadVerdict missed = r.checker.readReturned("s", SESSION, bytes("k"), false, null, 0, 25, 0);
    assertThat(missed).extracting(ReadVerdict::readYourWrites, ReadVerdict::monotonicRead,
        ReadVerdict::staleRead).containsExactly(true, false, false);
    assertThat(r.checker.writeAcked("s", bytes("q"), bytes("s-late"), 11)).isTrue();

    assertThat(r.checker.counts(SESSION)).isEqualTo(new Counts(2, 1, 1, 0, 2));
    assertThat(r.checker.writeCounts()).isEqualTo(new WriteCounts(1, 1));
    assertThat(r.checker.guaranteeViolations()).isEqualTo(3);
  }

  @Test
  void refusesWhatItCannotCheck() {
    ConsistencyChecker c = new ConsistencyChecker();
    assertThatThrownBy(() -> c.readReturned("s", Consistency.CONSISTENCY_UNSPECIFIED,
        bytes("k"), false, null, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SESSION");
    assertThatThrownBy(() -> c.readReturned("s", Consistency.UNRECOGNIZED, bytes("k"), false,
        null, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.readReturned("s", SESSION, bytes("k"), true, null, 3, 4, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.readReturned("s", SESSION, bytes("k"), true, bytes("v"), 3, -1,
        0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.writeAcked("s", bytes("k"), bytes("v"), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(c.counts()).containsOnlyKeys(ConsistencyChecker.LEVELS);
    assertThat(c.counts().values()).containsOnly(Counts.ZERO);
  }

  @Test
  void showsKeysReadably() {
    assertThat(ConsistencyChecker.show(bytes("user/1"))).isEqualTo("'user/1'");
    assertThat(ConsistencyChecker.show(com.google.protobuf.ByteString.copyFrom(
        new byte[] {0, (byte) 0xff}))).isEqualTo("0x00ff");
    assertThat(ConsistencyChecker.show(bytes("x".repeat(100)))).hasSize(48).endsWith("...");
  }
}
