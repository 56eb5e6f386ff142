package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Commands.apply;
import static raftkv.core.Commands.b;
import static raftkv.core.Commands.casPut;
import static raftkv.core.Commands.command;
import static raftkv.core.Commands.diskTable;
import static raftkv.core.Commands.put;
import static raftkv.core.Commands.smallOptions;
import static raftkv.core.Commands.writeId;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatchWithIndex;
import raftkv.v1.WriteId;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.Outcome;

/** Invariant 5, through {@link ApplyBatch}: a write id is applied at most once. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ExactlyOnceTableTest {
  private static final long T0 = 1_700_000_000_000L;
  private static final long TTL = 10_000;

  @TempDir Path tmp;
  private final List<KvStore> stores = new ArrayList<>();

  @AfterEach
  void closeStores() {
    stores.forEach(KvStore::close);
  }

  private KvStore open(String name, int maxClients) throws Exception {
    KvStore store = KvStore.open(tmp.resolve(name), smallOptions(TTL, maxClients));
    stores.add(store);
    return store;
  }

  private KvStore open() throws Exception {
    return open("kv", 100);
  }

  /** What a duplicate of {@code id} would be answered with right now, or null if it is new. */
  private static Outcome recorded(KvStore store, WriteId id) throws Exception {
    try (WriteBatchWithIndex empty = new WriteBatchWithIndex(true)) {
      return store.exactlyOnce().recorded(empty, id);
    }
  }

  @Test
  void duplicateWriteIsAppliedOnceAndAnsweredWithTheRecordedOutcome() throws Exception {
    KvStore store = open();
    Command first = Commands.command(casPut("k", 0, "v1"), "c1", 1, 0, T0);
    // The client's retry: same write id, proposed again later.
    Command retry = first.toBuilder().setProposedAtMs(T0 + 500).build();

    Outcome original = apply(store, 1, first);
    Outcome duplicate = apply(store, 2, retry);

    assertThat(original.getTxn().getSucceeded()).isTrue();
    assertThat(original.getTxn().getIndex()).isEqualTo(1);
    assertThat(duplicate).isEqualTo(original);
    assertThat(store.get(b("k")).result().getVersion()).isEqualTo(1);
    assertThat(store.get(b("conflicts/v1")).result()).isNull();
    assertThat(store.appliedIndex()).isEqualTo(2);
  }

  @Test
  void duplicateWithinOneBatchIsAnsweredFromTheUncommittedBatch() throws Exception {
    KvStore store = open();
    Command first = Commands.command(casPut("k", 0, "v1"), "c1", 1, 0, T0);

    List<Outcome> outcomes = Commands.applyAll(store, 1, first, first, first);

    assertThat(outcomes).containsOnly(outcomes.get(0));
    assertThat(outcomes.get(0).getTxn().getIndex()).isEqualTo(1);
    assertThat(store.get(b("k")).result().getVersion()).isEqualTo(1);
    assertThat(store.appliedIndex()).isEqualTo(3);
  }

  @Test
  void theRecordSurvivesARestart() throws Exception {
    KvStore store = open();
    Command first = Commands.command(casPut("k", 0, "v1"), "c1", 1, 0, T0);
    Outcome original = apply(store, 1, first);
    store.close();
    stores.clear();

    KvStore reopened = open();
    assertThat(reopened.exactlyOnce().clientCount()).isEqualTo(1);
    assertThat(apply(reopened, 2, first)).isEqualTo(original);
    assertThat(reopened.get(b("k")).result().getVersion()).isEqualTo(1);
  }

  @Test
  void aSequenceBelowTheClientsAckedBelowIsRejectedAndNotApplied() throws Exception {
    KvStore store = open();
    apply(store, 1, Commands.command(put("a", "1"), "c1", 1, 0, T0));
    apply(store, 2, Commands.command(put("b", "2"), "c1", 2, 2, T0));
    String hash = store.stateHash().result();

    // Sequence 1 was acknowledged (acked_below 2) and its record dropped: a late copy of it
    // must not be applied a second time.
    Outcome late = apply(store, 3, Commands.command(put("a", "again"), "c1", 1, 0, T0));

    assertThat(late.hasRejected()).isTrue();
    assertThat(late.getRejected()).contains("c1").contains("acked below 2");
    assertThat(store.get(b("a")).result().getValue().toStringUtf8()).isEqualTo("1");
    assertThat(store.get(b("a")).result().getVersion()).isEqualTo(1);
    assertThat(store.stateHash().result()).isEqualTo(hash);
    assertThat(store.appliedIndex()).isEqualTo(3);
  }

  @Test
  void ackedBelowPrunesTheClientsEarlierRecordsButNotLaterOnes() throws Exception {
    KvStore store = open();
    for (int seq = 1; seq <= 3; seq++) {
      apply(store, seq, Commands.command(put("k" + seq, "v"), "c1", seq, 0, T0));
    }
    apply(store, 4, Commands.command(put("other", "v"), "c2", 1, 0, T0));
    assertThat(diskTable(store, tmp).records())
        .containsExactlyInAnyOrder("c1#1", "c1#2", "c1#3", "c2#1");
    assertThat(recorded(store, writeId("c1", 2))).isNotNull();

    Outcome fourth = apply(store, 5, Commands.command(put("k4", "v"), "c1", 4, 3, T0));

    assertThat(diskTable(store, tmp).records())
        .containsExactlyInAnyOrder("c1#3", "c1#4", "c2#1");
    assertThat(store.exactlyOnce().clientCount()).isEqualTo(2);
    // Still answerable: at or above the watermark.
    assertThat(recorded(store, writeId("c1", 3)).getTxn().getIndex()).isEqualTo(3);
    assertThat(recorded(store, writeId("c1", 4))).isEqualTo(fourth);
    // Below it: refused, not looked up.
    assertThat(recorded(store, writeId("c1", 2)).hasRejected()).isTrue();
    // Another client's records are untouched.
    assertThat(recorded(store, writeId("c2", 1)).getTxn().getIndex()).isEqualTo(4);
  }

  @Test
  void aLargeAckedBelowJumpPrunesEveryEarlierRecord() throws Exception {
    KvStore store = open();
    apply(store, 1, Commands.command(put("a", "v"), "c1", 1, 0, T0));
    apply(store, 2, Commands.command(put("b", "v"), "c1", 1500, 0, T0));
    apply(store, 3, Commands.command(put("c", "v"), "c1", 3000, 0, T0));

    // A gap above the point-delete threshold: pruning walks the existing records instead.
    apply(store, 4, Commands.command(put("d", "v"), "c1", 5000, 4000, T0));

    assertThat(diskTable(store, tmp).records()).containsExactly("c1#5000");
    assertThat(recorded(store, writeId("c1", 3000)).hasRejected()).isTrue();
  }

  @Test
  void ackedBelowNeverPrunesTheRecordJustWritten() throws Exception {
    KvStore store = open();
    Outcome outcome = apply(store, 1, Commands.command(put("a", "v"), "c1", 5, 10, T0));

    assertThat(recorded(store, writeId("c1", 5))).isEqualTo(outcome);
    assertThat(diskTable(store, tmp).records()).containsExactly("c1#5");
  }

  @Test
  void untrackedCommandsLeaveNoRecord() throws Exception {
    KvStore store = open();
    apply(store, 1, command(put("a", "v")));

    assertThat(store.exactlyOnce().clientCount()).isZero();
    assertThat(diskTable(store, tmp).records()).isEmpty();
    assertThat(diskTable(store, tmp).clients()).isEmpty();
  }

  @Test
  void aClientSilentLongerThanTheTtlIsForgottenOnceProposerTimeCrossesASecond() throws Exception {
    KvStore store = open();
    Command c1 = Commands.command(casPut("k", 0, "v1"), "c1", 1, 0, T0);
    apply(store, 1, c1);
    // c2 keeps writing; c1 falls silent. Exactly TTL later c1 is not yet past it.
    apply(store, 2, Commands.command(put("x", "1"), "c2", 1, 0, T0 + TTL));
    // Past the TTL, but within the same second of proposer time: nothing is expired yet.
    apply(store, 3, Commands.command(put("x", "2"), "c2", 2, 0, T0 + TTL + 900));
    assertThat(store.exactlyOnce().clientCount()).isEqualTo(2);
    assertThat(recorded(store, writeId("c1", 1))).isNotNull();

    // Proposer time crosses into the next second: c1 is forgotten, records and all.
    apply(store, 4, Commands.command(put("x", "3"), "c2", 3, 0, T0 + TTL + 1000));

    assertThat(store.exactlyOnce().clientCount()).isEqualTo(1);
    assertThat(recorded(store, writeId("c1", 1))).isNull();
    Commands.DiskTable disk = diskTable(store, tmp);
    assertThat(disk.clients()).containsExactly("c2");
    assertThat(disk.records()).containsExactlyInAnyOrder("c2#1", "c2#2", "c2#3");

    // The documented cost: a retry that late is applied again (here its compare now fails).
    Outcome late = apply(store, 5, c1.toBuilder().setProposedAtMs(T0 + TTL + 1100).build());
    assertThat(late.getTxn().getIndex()).isEqualTo(5);
    assertThat(late.getTxn().getSucceeded()).isFalse();
  }

  @Test
  void aBackwardProposerClockNeitherMovesTimeBackNorExpiresItsClientEarly() throws Exception {
    KvStore store = open();
    apply(store, 1, Commands.command(put("a", "1"), "c1", 1, 0, T0));
    apply(store, 2, Commands.command(put("b", "1"), "c2", 1, 0, T0 + TTL));
    // A new leader with a slow clock proposes far in the past.
    apply(store, 3, Commands.command(put("c", "1"), "c3", 1, 0, T0 - 60_000));
    assertThat(store.maxProposedAtMs()).isEqualTo(T0 + TTL);
    assertThat(store.exactlyOnce().clientCount()).isEqualTo(3);

    // The next second boundary: c1 (silent since T0) goes; c3 was seen at log time T0 + TTL.
    apply(store, 4, Commands.command(put("b", "2"), "c2", 2, 0, T0 + TTL + 1000));

    assertThat(diskTable(store, tmp).clients()).containsExactlyInAnyOrder("c2", "c3");
    assertThat(recorded(store, writeId("c3", 1)).getTxn().getIndex()).isEqualTo(3);
  }

  /** A log in which clients come and go, expire and get evicted; proposer time only. */
  private static List<Command> mixedLog() {
    List<Command> log = new ArrayList<>();
    long t = T0;
    for (int i = 1; i <= 40; i++) {
      String client = "c" + (i % 5);
      t += (i % 7 == 0) ? 6_000 : 137;
      long ackedBelow = i > 10 ? i / 5 - 1 : 0;
      log.add(Commands.command(casPut("key" + (i % 3), i - 3, "v" + i), client, i / 5 + 1,
          ackedBelow, t));
      if (i % 9 == 0) {
        log.add(log.get(log.size() - 3)); // a retry of an earlier write
      }
    }
    return log;
  }

  @Test
  void theTableIsAFunctionOfTheLogAloneWhateverTheBatchingAndRestarts() throws Exception {
    List<Command> log = mixedLog();
    KvStore oneBatch = open("one-batch", 3);
    Commands.applyAll(oneBatch, 1, log.toArray(Command[]::new));

    // Same log, one batch per entry, with a restart in the middle.
    KvStore perEntry = open("per-entry", 3);
    int half = log.size() / 2;
    for (int i = 0; i < half; i++) {
      apply(perEntry, i + 1, log.get(i));
    }
    perEntry.close();
    stores.remove(perEntry);
    perEntry = open("per-entry", 3);
    for (int i = half; i < log.size(); i++) {
      apply(perEntry, i + 1, log.get(i));
    }

    assertThat(perEntry.stateHash()).isEqualTo(oneBatch.stateHash());
    assertThat(perEntry.exactlyOnce().clientCount()).isEqualTo(oneBatch.exactlyOnce().clientCount());
    assertThat(diskTable(perEntry, tmp)).isEqualTo(diskTable(oneBatch, tmp));
  }

  @Test
  void expiryDecisionsSurviveARestart() throws Exception {
    KvStore straight = open("straight", 100);
    KvStore restarted = open("restarted", 100);
    List<Command> log = List.of(
        Commands.command(put("a", "1"), "c1", 1, 0, T0),
        Commands.command(put("b", "1"), "c2", 1, 0, T0 + TTL),
        // c1 is now past the TTL, but no second boundary is crossed...
        Commands.command(put("b", "2"), "c2", 2, 0, T0 + TTL + 500),
        // ... nor here, right after a restart.
        Commands.command(put("b", "3"), "c2", 3, 0, T0 + TTL + 600));
    for (int i = 0; i < 3; i++) {
      apply(straight, i + 1, log.get(i));
      apply(restarted, i + 1, log.get(i));
    }
    restarted.close();
    stores.remove(restarted);
    restarted = open("restarted", 100);
    apply(straight, 4, log.get(3));
    apply(restarted, 4, log.get(3));

    assertThat(restarted.maxProposedAtMs()).isEqualTo(T0 + TTL + 600);
    assertThat(restarted.exactlyOnce().clientCount()).isEqualTo(2);
    assertThat(restarted.stateHash()).isEqualTo(straight.stateHash());
  }

  @Test
  void atMaxClientsTheLeastRecentlySeenClientIsEvicted() throws Exception {
    KvStore store = open("kv", 3);
    apply(store, 1, Commands.command(put("a", "1"), "c1", 1, 0, T0));
    apply(store, 2, Commands.command(put("b", "1"), "c2", 1, 0, T0));
    apply(store, 3, Commands.command(put("c", "1"), "c3", 1, 0, T0));
    // c1 comes back: c2 is now the least recently seen.
    apply(store, 4, Commands.command(put("a", "2"), "c1", 2, 0, T0));

    apply(store, 5, Commands.command(put("d", "1"), "c4", 1, 0, T0));

    assertThat(store.exactlyOnce().clientCount()).isEqualTo(3);
    Commands.DiskTable disk = diskTable(store, tmp);
    assertThat(disk.clients()).containsExactlyInAnyOrder("c1", "c3", "c4");
    assertThat(disk.records()).containsExactlyInAnyOrder("c1#1", "c1#2", "c3#1", "c4#1");
    assertThat(recorded(store, writeId("c2", 1))).isNull();
    assertThat(recorded(store, writeId("c1", 1)).getTxn().getIndex()).isEqualTo(1);
  }

  @Test
  void evictionGoesByLogIndexNotByClientName() throws Exception {
    KvStore store = open("kv", 2);
    apply(store, 1, Commands.command(put("a", "1"), "zeta", 1, 0, T0));
    apply(store, 2, Commands.command(put("b", "1"), "alpha", 1, 0, T0));

    apply(store, 3, Commands.command(put("c", "1"), "mid", 1, 0, T0));

    // zeta was seen at index 1, before alpha: it goes, although its name sorts last.
    assertThat(diskTable(store, tmp).clients()).containsExactlyInAnyOrder("alpha", "mid");
    assertThat(recorded(store, writeId("zeta", 1))).isNull();
  }

  @Test
  void sequencesAreComparedAsUnsigned64BitNumbers() throws Exception {
    KvStore store = open();
    apply(store, 1, Commands.command(put("a", "1"), "c1", 5, 5, T0));
    // 2^63: a valid uint64 sequence (write_id.sequence is uint64), far above acked_below 5.
    long twoTo63 = Long.MIN_VALUE;

    Outcome outcome = apply(store, 2, Commands.command(put("b", "1"), "c1", twoTo63, 5, T0));

    assertThat(outcome.hasRejected()).as("outcome %s", outcome).isFalse();
    assertThat(store.get(b("b")).result()).isNotNull();
    assertThat(recorded(store, writeId("c1", twoTo63))).isEqualTo(outcome);
  }

  @Test
  void aRetryOfAnOlderSequenceAfterLaterOnesIsStillAnsweredFromItsRecord() throws Exception {
    KvStore store = open();
    Outcome second = null;
    for (long seq = 1; seq <= 3; seq++) {
      Outcome o = apply(store, seq, Commands.command(put("k" + seq, "v"), "c1", seq, 0, T0));
      if (seq == 2) {
        second = o;
      }
    }
    // Sequence 4 is above every recorded one: new. Sequence 2 is below: its record answers.
    assertThat(recorded(store, writeId("c1", 4))).isNull();
    assertThat(apply(store, 4, Commands.command(put("k2", "again"), "c1", 2, 0, T0)))
        .isEqualTo(second);
    assertThat(store.get(b("k2")).result().getValue().toStringUtf8()).isEqualTo("v");
  }

  @Test
  void theHighestSequenceIsComparedUnsigned() throws Exception {
    KvStore store = open();
    long twoTo63 = Long.MIN_VALUE;
    Outcome high = apply(store, 1, Commands.command(put("a", "1"), "c1", twoTo63, 0, T0));
    Outcome low = apply(store, 2, Commands.command(put("b", "1"), "c1", 7, 0, T0));

    // 7 is below 2^63 as uint64: looked up, not taken for new, and its own record is found.
    assertThat(recorded(store, writeId("c1", 7))).isEqualTo(low);
    assertThat(recorded(store, writeId("c1", twoTo63))).isEqualTo(high);
    assertThat(recorded(store, writeId("c1", twoTo63 + 1))).isNull();
  }
}
