package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Commands.b;
import static raftkv.core.Commands.casPut;
import static raftkv.core.Commands.command;
import static raftkv.core.Commands.smallOptions;

import com.alipay.sofa.jraft.Status;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.v1.KeyValue;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.Outcome;

/** Invariant 2: entries at or below the stored applied index are a replay and are skipped. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KvStateMachineReplayTest {
  private static final int N = 5;

  @TempDir Path tmp;
  private KvStore store;

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private KvStore open() throws Exception {
    store = KvStore.open(tmp.resolve("kv"), smallOptions());
    return store;
  }

  /** Entry i: if version(counter) == i - 1 then counter = i, else conflicts/i = x. */
  private static Command counterStep(long i) {
    return command(casPut("counter", i - 1, Long.toString(i)));
  }

  private static FakeIterator log(long from, long to, List<Proposal> proposals) {
    FakeIterator iter = new FakeIterator();
    for (long i = from; i <= to; i++) {
      Proposal proposal = proposals == null ? null : new Proposal();
      if (proposal != null) {
        proposals.add(proposal);
      }
      iter.add(i, counterStep(i), proposal);
    }
    return iter;
  }

  @Test
  void replayedEntriesAreSkippedAndNewOnesAppliedOnceAfterARestart() throws Exception {
    KvStateMachine first = new KvStateMachine("n1", open());
    FakeIterator firstRun = log(1, N, null);
    first.onApply(firstRun);
    assertThat(firstRun.exhausted()).isTrue();
    assertThat(firstRun.error).isNull();
    assertThat(store.appliedIndex()).isEqualTo(N);
    String hashBeforeRestart = store.stateHash().result();
    store.close();
    store = null;

    KvStore reopened = open();
    KvStateMachine second = new KvStateMachine("n1", reopened);
    List<Long> notified = new CopyOnWriteArrayList<>();
    second.addAppliedListener(notified::add);

    // jraft replays the whole log from 1; only N+1 and N+2 are new (and have proposers).
    FakeIterator replay = log(1, N, null);
    List<Proposal> proposals = new ArrayList<>();
    Proposal p1 = new Proposal();
    Proposal p2 = new Proposal();
    replay.add(N + 1, counterStep(N + 1), p1).add(N + 2, counterStep(N + 2), p2);
    proposals.add(p1);
    proposals.add(p2);

    // Before the new entries: replaying only the old ones changes nothing at all.
    FakeIterator onlyOld = log(1, N, null);
    second.onApply(onlyOld);
    assertThat(onlyOld.exhausted()).isTrue();
    assertThat(reopened.stateHash().result()).isEqualTo(hashBeforeRestart);
    assertThat(notified).isEmpty();

    second.onApply(replay);

    assertThat(replay.exhausted()).isTrue();
    assertThat(replay.error).isNull();
    // Every step's compare held exactly once: no conflict was recorded by a second application.
    assertThat(reopened.range(b("conflicts/"), b("conflicts0"), 100, false).result().kvs())
        .isEmpty();
    assertThat(reopened.get(b("counter")).result()).isEqualTo(KeyValue.newBuilder()
        .setKey(Commands.bs("counter")).setValue(Commands.bs(Long.toString(N + 2)))
        .setVersion(N + 2).setCreateIndex(1).build());
    assertThat(reopened.appliedIndex()).isEqualTo(N + 2);
    assertThat(notified).containsExactly((long) N + 2);

    for (int i = 0; i < proposals.size(); i++) {
      Outcome outcome = proposals.get(i).future.getNow(null);
      assertThat(outcome).as("outcome of entry %d", N + 1 + i).isNotNull();
      assertThat(outcome.getTxn().getSucceeded()).isTrue();
      assertThat(outcome.getTxn().getIndex()).isEqualTo(N + 1 + i);
    }
  }

  @Test
  void proposersAreAnsweredWithTheOutcomeOfTheirOwnEntry() throws Exception {
    KvStateMachine fsm = new KvStateMachine("n1", open());
    List<Proposal> proposals = new ArrayList<>();
    FakeIterator iter = log(1, 3, proposals);
    // Entry 4 repeats step 3: its compare fails and its proposer must see that.
    Proposal stale = new Proposal();
    iter.add(4, counterStep(3), stale);
    List<Status> plainClosure = new CopyOnWriteArrayList<>();
    iter.add(5, command(Commands.put("other", "v")), plainClosure::add);

    fsm.onApply(iter);

    for (int i = 0; i < 3; i++) {
      Outcome outcome = proposals.get(i).future.getNow(null);
      assertThat(outcome.getTxn().getIndex()).isEqualTo(i + 1);
      assertThat(outcome.getTxn().getSucceeded()).isTrue();
    }
    Outcome staleOutcome = stale.future.getNow(null);
    assertThat(staleOutcome.getTxn().getSucceeded()).isFalse();
    assertThat(staleOutcome.getTxn().getIndex()).isEqualTo(4);
    // A closure that is not a Proposal is still told that its entry was applied.
    assertThat(plainClosure).hasSize(1);
    assertThat(plainClosure.get(0).isOk()).isTrue();
    assertThat(store.appliedIndex()).isEqualTo(5);
  }

  @Test
  void anEntryFedTwiceWithoutARestartIsAppliedOnce() throws Exception {
    KvStateMachine fsm = new KvStateMachine("n1", open());
    fsm.onApply(log(1, 3, null));
    String hash = store.stateHash().result();

    fsm.onApply(log(2, 3, null));

    assertThat(store.stateHash().result()).isEqualTo(hash);
    assertThat(store.appliedIndex()).isEqualTo(3);
  }

  @Test
  void anUndecodableEntryDoesNotStopTheStateMachine() throws Exception {
    KvStateMachine fsm = new KvStateMachine("n1", open());
    Proposal bad = new Proposal();
    FakeIterator iter = new FakeIterator()
        .add(1, counterStep(1), null)
        .add(2, ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff}), bad)
        .add(3, counterStep(2), null);

    fsm.onApply(iter);

    assertThat(iter.error).isNull();
    assertThat(iter.exhausted()).isTrue();
    assertThat(bad.future.getNow(null).hasRejected()).isTrue();
    assertThat(store.appliedIndex()).isEqualTo(3);
    // Entry 3 expected the counter at version 1: the rejected entry 2 wrote nothing.
    assertThat(store.get(b("counter")).result().getValue().toStringUtf8()).isEqualTo("2");
  }

  @Test
  void whenApplyFailsEveryProposerOfTheUnwrittenBatchIsAnsweredNotLeftWaiting() throws Exception {
    // A value damaged on disk: reading it during apply throws, as a RocksDB I/O error would.
    open().close();
    store = null;
    Commands.putRaw(tmp.resolve("kv"), b("damaged"), new byte[] {0x0a, 0x05});
    KvStateMachine fsm = new KvStateMachine("n1", open());
    Proposal applied = new Proposal();
    Proposal failing = new Proposal();
    FakeIterator iter = new FakeIterator()
        .add(1, command(Commands.put("a", "1")), applied)
        .add(2, command(Commands.put("damaged", "2")), failing);

    fsm.onApply(iter);

    // The state machine stops (jraft then fails entry 2's closure and later ones itself)...
    assertThat(iter.error).isNotNull();
    assertThat(iter.rolledBack).isEqualTo(1);
    // ... and nothing of the batch was written, so entry 1 was not applied either.
    assertThat(store.appliedIndex()).isZero();
    assertThat(store.get(b("a")).result()).isNull();
    // jraft never runs the closure of an entry the state machine iterated past: only the state
    // machine can tell entry 1's proposer that its write did not happen here.
    assertThat(applied.future)
        .as("proposal of entry 1, iterated past but never written")
        .isCompletedExceptionally();
  }

  @Test
  void anyClosureIsRunOnlyAfterItsEntryIsWritten() throws Exception {
    KvStore store = open();
    KvStateMachine fsm = new KvStateMachine("n1", store);
    List<Long> appliedWhenRun = new CopyOnWriteArrayList<>();
    FakeIterator iter = new FakeIterator()
        .add(1, command(Commands.put("a", "1")), status -> appliedWhenRun.add(store.appliedIndex()));

    fsm.onApply(iter);

    // Invariant 4: acknowledged only once applied, whatever the kind of closure.
    assertThat(appliedWhenRun).containsExactly(1L);
  }
}
