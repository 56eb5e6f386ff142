package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Commands.apply;
import static raftkv.core.Commands.applyAll;
import static raftkv.core.Commands.b;
import static raftkv.core.Commands.bs;
import static raftkv.core.Commands.command;
import static raftkv.core.Commands.delete;
import static raftkv.core.Commands.getOp;
import static raftkv.core.Commands.put;
import static raftkv.core.Commands.smallOptions;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.v1.KeyValue;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.Outcome;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class KvStoreTest {
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

  private static KeyValue kv(String key, String value, long version, long createIndex) {
    return KeyValue.newBuilder().setKey(bs(key)).setValue(bs(value)).setVersion(version)
        .setCreateIndex(createIndex).build();
  }

  private static List<String> keys(RangePage page) {
    return page.kvs().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
  }

  @Test
  void appliedWritesAreReadWithTheExactAppliedIndex() throws Exception {
    KvStore store = open();
    List<Outcome> outcomes = applyAll(store, 1,
        command(put("a", "1")), command(put("b", "2")), command(put("c", "3")));

    assertThat(outcomes).extracting(o -> o.getTxn().getIndex()).containsExactly(1L, 2L, 3L);
    assertThat(outcomes).allMatch(o -> o.getTxn().getSucceeded());
    assertThat(store.appliedIndex()).isEqualTo(3);

    IndexedRead<KeyValue> a = store.get(b("a"));
    assertThat(a.result()).isEqualTo(kv("a", "1", 1, 1));
    assertThat(a.appliedIndex()).isEqualTo(3);
    IndexedRead<KeyValue> missing = store.get(b("zz"));
    assertThat(missing.result()).isNull();
    assertThat(missing.appliedIndex()).isEqualTo(3);

    IndexedRead<RangePage> all = store.range(new byte[0], new byte[0], 10, false);
    assertThat(all.result().kvs()).containsExactly(
        kv("a", "1", 1, 1), kv("b", "2", 2, 2), kv("c", "3", 3, 3));
    assertThat(all.result().more()).isFalse();
    assertThat(all.appliedIndex()).isEqualTo(3);

    IndexedRead<TxnResponse> txn = store.readOnlyTxn(
        TxnRequest.newBuilder().addSuccess(getOp("b")).addSuccess(getOp("nope")).build());
    assertThat(txn.result().getResponses(0).getGet().getKv()).isEqualTo(kv("b", "2", 2, 2));
    assertThat(txn.result().getResponses(1).getGet().getFound()).isFalse();
    assertThat(txn.appliedIndex()).isEqualTo(3);
  }

  @Test
  void laterWritesBumpTheVersionAndDeletesRemoveTheKey() throws Exception {
    KvStore store = open();
    apply(store, 1, command(put("a", "1")));
    apply(store, 2, command(put("a", "2")));
    apply(store, 3, command(put("b", "x")));
    Outcome deleted = apply(store, 4, command(delete("b")));

    assertThat(store.get(b("a")).result()).isEqualTo(kv("a", "2", 2, 1));
    assertThat(deleted.getTxn().getResponses(0).getDelete().getDeleted()).isTrue();
    assertThat(store.get(b("b")).result()).isNull();
    assertThat(store.get(b("b")).appliedIndex()).isEqualTo(4);
  }

  @Test
  void aBatchIsInvisibleUntilCommittedAndThenVisibleWithItsIndex() throws Exception {
    KvStore store = open();
    try (ApplyBatch batch = store.newApplyBatch()) {
      batch.apply(1, Commands.payload(command(put("a", "1"))));
      // Later commands in the batch see earlier ones.
      Outcome second = batch.apply(2, Commands.payload(command(
          TxnRequest.newBuilder().addSuccess(getOp("a")).build())));
      assertThat(second.getTxn().getResponses(0).getGet().getKv().getValue()).isEqualTo(bs("1"));

      assertThat(store.appliedIndex()).isZero();
      assertThat(store.get(b("a")).result()).isNull();

      batch.commit();
    }
    assertThat(store.appliedIndex()).isEqualTo(2);
    assertThat(store.get(b("a")).result()).isEqualTo(kv("a", "1", 1, 1));
  }

  @Test
  void theAppliedIndexSurvivesCloseAndReopenWithTheDataItCovers() throws Exception {
    KvStore first = open();
    applyAll(first, 1, command(put("a", "1")), command(put("b", "2")), command(put("c", "3")));
    // Applied but never committed, as if the process died before the batch was written.
    try (ApplyBatch lost = first.newApplyBatch()) {
      lost.apply(4, Commands.payload(command(put("d", "4"))));
    }
    first.close();
    store = null;

    KvStore reopened = open();
    assertThat(reopened.appliedIndex()).isEqualTo(3);
    assertThat(reopened.get(b("c")).result()).isEqualTo(kv("c", "3", 3, 3));
    assertThat(reopened.get(b("c")).appliedIndex()).isEqualTo(3);
    assertThat(reopened.get(b("d")).result()).isNull();

    // It goes on from where it stopped.
    apply(reopened, 4, command(put("d", "4")));
    assertThat(reopened.get(b("d")).result()).isEqualTo(kv("d", "4", 4, 4));
    assertThat(reopened.appliedIndex()).isEqualTo(4);
  }

  @Test
  void rangePagesByLimitWithNextStartAndAnExclusiveEnd() throws Exception {
    KvStore store = open();
    applyAll(store, 1, command(put("k1", "v1")), command(put("k2", "v2")),
        command(put("k3", "v3")), command(put("k4", "v4")), command(put("k5", "v5")),
        command(put("l1", "other")));
    byte[] end = b("l");

    RangePage first = store.range(b("k"), end, 2, false).result();
    assertThat(keys(first)).containsExactly("k1", "k2");
    assertThat(first.more()).isTrue();
    assertThat(first.nextStart()).isEqualTo(b("k3"));

    RangePage second = store.range(first.nextStart(), end, 2, false).result();
    assertThat(keys(second)).containsExactly("k3", "k4");
    assertThat(second.nextStart()).isEqualTo(b("k5"));

    RangePage last = store.range(second.nextStart(), end, 2, false).result();
    assertThat(keys(last)).containsExactly("k5");
    assertThat(last.more()).isFalse();
    assertThat(last.nextStart()).isNull();

    // The end is exclusive, and a page that ends exactly at the end has no more.
    RangePage bounded = store.range(b("k2"), b("k4"), 2, false).result();
    assertThat(keys(bounded)).containsExactly("k2", "k3");
    assertThat(bounded.more()).isFalse();

    // Empty end: to the last key; the start need not be an existing key.
    assertThat(keys(store.range(b("k45"), new byte[0], 10, false).result()))
        .containsExactly("k5", "l1");
    assertThat(store.range(b("m"), new byte[0], 10, false).result().kvs()).isEmpty();
  }

  @Test
  void keysOnlyRangeOmitsValuesButKeepsVersions() throws Exception {
    KvStore store = open();
    applyAll(store, 1, command(put("a", "value-a")), command(put("b", "value-b")));

    RangePage page = store.range(new byte[0], new byte[0], 10, true).result();

    assertThat(page.kvs()).containsExactly(
        KeyValue.newBuilder().setKey(bs("a")).setVersion(1).setCreateIndex(1).build(),
        KeyValue.newBuilder().setKey(bs("b")).setVersion(2).setCreateIndex(2).build());
  }

  @Test
  void rangeEndsAPageAtMaxBytesButAlwaysReturnsAtLeastOneKey() throws Exception {
    KvStore store = open();
    applyAll(store, 1, command(put("a", "1234567890")), command(put("b", "1234567890")),
        command(put("c", "1")));

    RangePage tiny = store.range(new byte[0], new byte[0], 10, false, 1).result();
    assertThat(keys(tiny)).containsExactly("a");
    assertThat(tiny.nextStart()).isEqualTo(b("b"));

    RangePage two = store.range(new byte[0], new byte[0], 10, false, 12).result();
    assertThat(keys(two)).containsExactly("a", "b");
    assertThat(two.nextStart()).isEqualTo(b("c"));
  }

  @Test
  void readOnlyTxnRefusesATransactionThatWrites() throws Exception {
    KvStore store = open();
    assertThatThrownBy(() -> store.readOnlyTxn(put("a", "1")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.get(b("a")).result()).isNull();
  }

  @Test
  void applyReadsThePayloadThroughADuplicateAndLeavesItsPositionAlone() throws Exception {
    KvStore store = open();
    byte[] encoded = command(put("a", "1")).toByteArray();
    // The command sits after some other bytes, as in a buffer jraft shares with its replicator.
    ByteBuffer shared = ByteBuffer.allocate(encoded.length + 7);
    shared.put(new byte[7]).put(encoded).flip().position(7);
    int position = shared.position();
    int limit = shared.limit();

    Outcome outcome;
    try (ApplyBatch batch = store.newApplyBatch()) {
      outcome = batch.apply(1, shared);
      batch.commit();
    }

    assertThat(outcome.getTxn().getSucceeded()).isTrue();
    assertThat(shared.position()).isEqualTo(position);
    assertThat(shared.limit()).isEqualTo(limit);
    assertThat(store.get(b("a")).result()).isEqualTo(kv("a", "1", 1, 1));

    // The same buffer, untouched, still decodes for the next reader (a lagging peer).
    try (KvStore other = KvStore.open(tmp.resolve("other"), smallOptions())) {
      assertThat(apply(other, 1, Command.parseFrom(shared.duplicate()))).isEqualTo(outcome);
      assertThat(other.stateHash()).isEqualTo(store.stateHash());
    }
  }

  @Test
  void anUndecodablePayloadIsRejectedAdvancesTheIndexAndWritesNothing() throws Exception {
    KvStore store = open();
    apply(store, 1, command(put("a", "1")));
    IndexedRead<String> before = store.stateHash();

    // Field 1 (write_id), length 5, but only one byte follows: truncated.
    ByteBuffer garbage = ByteBuffer.wrap(new byte[] {0x0a, 0x05, 0x01});
    Outcome outcome;
    try (ApplyBatch batch = store.newApplyBatch()) {
      outcome = batch.apply(2, garbage);
      batch.commit();
    }

    assertThat(outcome.hasRejected()).isTrue();
    assertThat(outcome.getRejected()).contains("2");
    assertThat(garbage.position()).isZero();
    assertThat(store.appliedIndex()).isEqualTo(2);
    IndexedRead<String> after = store.stateHash();
    assertThat(after.result()).isEqualTo(before.result());
    assertThat(after.appliedIndex()).isEqualTo(2);
    assertThat(keys(store.range(new byte[0], new byte[0], 10, false).result()))
        .containsExactly("a");
  }

  @Test
  void stateHashIsEqualForStoresThatAppliedTheSameCommandsAndDiffersWhenTheDataDiffers()
      throws Exception {
    Command[] commands = {
        command(put("a", "1")),
        Commands.command(put("b", "2"), "client-1", 1, 0, 1_000_000),
        command(delete("a")),
        command(put("c", "3")),
    };
    try (KvStore one = KvStore.open(tmp.resolve("one"), smallOptions());
         KvStore two = KvStore.open(tmp.resolve("two"), smallOptions());
         KvStore three = KvStore.open(tmp.resolve("three"), smallOptions())) {
      applyAll(one, 1, commands);
      // Same commands, different batching.
      for (int i = 0; i < commands.length; i++) {
        apply(two, i + 1, commands[i]);
      }
      Command[] different = commands.clone();
      different[3] = command(put("c", "4"));
      applyAll(three, 1, different);

      assertThat(one.stateHash()).isEqualTo(two.stateHash());
      assertThat(one.stateHash().appliedIndex()).isEqualTo(4);
      assertThat(three.stateHash().appliedIndex()).isEqualTo(4);
      assertThat(three.stateHash().result()).isNotEqualTo(one.stateHash().result());
    }
  }

  @Test
  void digestCountsUserKeysAndAgreesWithStateHash() throws Exception {
    KvStore store = open();
    applyAll(store, 1, command(put("a", "1")),
        Commands.command(put("b", "2"), "client-1", 1, 0, 1_000_000), command(delete("a")),
        command(put("c", "3")));

    StateDigest digest = store.digest();

    assertThat(digest.keys()).isEqualTo(2);
    assertThat(digest.appliedIndex()).isEqualTo(4);
    assertThat(digest.sha256()).matches("[0-9a-f]{64}");
    assertThat(store.stateHash()).isEqualTo(new IndexedRead<>(digest.sha256(), 4L));
  }

  @Test
  void digestCoversTheProposerClockThatDrivesExactlyOnceExpiry() throws Exception {
    // Same data, but one replica saw a later proposer time: its table would expire clients
    // at other indexes, so the states differ.
    try (KvStore early = KvStore.open(tmp.resolve("early"), smallOptions());
         KvStore late = KvStore.open(tmp.resolve("late"), smallOptions())) {
      apply(early, 1, Command.newBuilder().setTxn(put("a", "1")).setProposedAtMs(1_000).build());
      apply(late, 1, Command.newBuilder().setTxn(put("a", "1")).setProposedAtMs(2_000).build());

      assertThat(early.get(b("a")).result()).isEqualTo(late.get(b("a")).result());
      assertThat(early.digest().sha256()).isNotEqualTo(late.digest().sha256());
    }
  }
}
