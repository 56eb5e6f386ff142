package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.core.Commands.apply;
import static raftkv.core.Commands.applyAll;
import static raftkv.core.Commands.b;
import static raftkv.core.Commands.command;
import static raftkv.core.Commands.delete;
import static raftkv.core.Commands.deleteOp;
import static raftkv.core.Commands.put;
import static raftkv.core.Commands.putOp;
import static raftkv.core.Commands.smallOptions;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.v1.TxnRequest;
import raftkv.v1.WatchEvent;
import raftkv.v1.internal.ChangeSet;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.LeaseEnd;
import raftkv.v1.internal.LeaseGrant;
import raftkv.v1.internal.Outcome;

/** What apply records for watches, and how leases end their keys. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WatchHistoryTest {
  @TempDir Path tmp;

  private KvStore store;

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private KvStore open(StoreOptions options) throws Exception {
    store = KvStore.open(tmp.resolve("kv"), options);
    return store;
  }

  private static String describe(ChangeSet set) {
    StringBuilder out = new StringBuilder().append(set.getIndex()).append(':');
    for (WatchEvent event : set.getEventsList()) {
      out.append(' ').append(event.getType()).append(' ')
          .append(event.getKv().getKey().toStringUtf8());
      if (event.getType() == WatchEvent.Type.PUT) {
        out.append('=').append(event.getKv().getValue().toStringUtf8());
      }
      out.append('@').append(event.getIndex());
    }
    return out.toString();
  }

  private List<String> history(long after) throws Exception {
    return store.changesAfter(after, Integer.MAX_VALUE).changes().stream()
        .map(WatchHistoryTest::describe).toList();
  }

  private static Command grant(long ttlMs) {
    return Command.newBuilder().setProposedAtMs(1_000_000)
        .setLeaseGrant(LeaseGrant.newBuilder().setTtlMs(ttlMs)).build();
  }

  private static Command end(long id) {
    return Command.newBuilder().setProposedAtMs(1_000_000)
        .setLeaseEnd(LeaseEnd.newBuilder().setId(id).setExpired(true)).build();
  }

  private static Command putWithLease(String key, String value, long lease) {
    return command(TxnRequest.newBuilder().addSuccess(raftkv.v1.RequestOp.newBuilder()
        .setPut(raftkv.v1.RequestOp.Put.newBuilder().setKey(Commands.bs(key))
            .setValue(Commands.bs(value)).setLease(lease))).build());
  }

  @Test
  void everyChangeIsRecordedOncePerIndexInIndexOrderAndNoOpsAreNot() throws Exception {
    open(smallOptions());
    applyAll(store, 1,
        command(put("a", "1")),
        command(delete("missing")), // deletes nothing: no change, no record
        command(TxnRequest.newBuilder().addSuccess(putOp("b", "2")).addSuccess(deleteOp("a", false))
            .build()),
        command(put("a", "3")));

    assertThat(history(0)).containsExactly(
        "1: PUT a=1@1",
        "3: PUT b=2@3 DELETE a@3",
        "4: PUT a=3@4");
    assertThat(history(3)).containsExactly("4: PUT a=3@4");
    ChangesPage page = store.changesAfter(4, 10);
    assertThat(page.changes()).isEmpty();
    assertThat(page.through()).isEqualTo(4);
  }

  @Test
  void aPageEndsAfterTheChangeSetThatReachesTheEventLimitAndSaysHowFarItCovers() throws Exception {
    open(smallOptions());
    for (long i = 1; i <= 5; i++) {
      apply(store, i, command(put("k" + i, "v")));
    }
    ChangesPage page = store.changesAfter(0, 2);
    assertThat(page.changes()).extracting(ChangeSet::getIndex).containsExactly(1L, 2L);
    assertThat(page.through()).isEqualTo(2);
    assertThat(page.appliedIndex()).isEqualTo(5);
  }

  @Test
  void historyIsTrimmedToItsBoundAndAnOlderStartIsRefusedNamingTheOldestStart() throws Exception {
    open(smallOptions().withHistory(10, 0));
    for (long i = 1; i <= 30; i++) {
      apply(store, i, command(put("k", "v" + i)));
    }
    long compacted = store.historyCompactedThrough();
    assertThat(compacted).isEqualTo(20);
    assertThat(history(compacted)).hasSize(10).first().asString().startsWith("21:");
    assertThatThrownBy(() -> store.changesAfter(compacted - 1, 10))
        .isInstanceOfSatisfying(HistoryCompactedException.class, e -> {
          assertThat(e.compactedThrough()).isEqualTo(20);
          assertThat(e).hasMessageContaining("starts after index 20");
        });
  }

  @Test
  void historyIsTrimmedByAgeInLogTime() throws Exception {
    open(smallOptions().withHistory(1_000, 5_000));
    for (long i = 1; i <= 10; i++) {
      Command c = command(put("k", "v" + i)).toBuilder().setProposedAtMs(i * 1_000).build();
      apply(store, i, c);
    }
    // At log time 10 s, changes proposed before 5 s are dropped.
    assertThat(store.historyCompactedThrough()).isEqualTo(4);
  }

  @Test
  void theHistoryAndWhereItStartsSurviveARestart() throws Exception {
    open(smallOptions().withHistory(3, 0));
    for (long i = 1; i <= 8; i++) {
      apply(store, i, command(put("k", "v" + i)));
    }
    long compacted = store.historyCompactedThrough();
    List<String> before = history(compacted);
    store.close();
    open(smallOptions().withHistory(3, 0));
    assertThat(store.historyCompactedThrough()).isEqualTo(compacted);
    assertThat(history(compacted)).isEqualTo(before);
  }

  @Test
  void aStoreInstalledFromACheckpointKnowsWhereItsHistoryStarts() throws Exception {
    KvStore source = KvStore.open(tmp.resolve("source"), smallOptions().withHistory(4, 0));
    try {
      for (long i = 1; i <= 9; i++) {
        apply(source, i, command(put("k", "v" + i)));
      }
      source.checkpoint(tmp.resolve("snapshot"));
      open(smallOptions());
      apply(store, 1, command(put("other", "x")));
      store.replaceWith(tmp.resolve("snapshot"));
      assertThat(store.historyCompactedThrough()).isEqualTo(source.historyCompactedThrough());
      assertThat(history(store.historyCompactedThrough()))
          .isEqualTo(source.changesAfter(source.historyCompactedThrough(), 100).changes().stream()
              .map(WatchHistoryTest::describe).toList());
    } finally {
      source.close();
    }
  }

  @Test
  void endingALeaseDeletesEveryAttachedKeyAtOneIndexAndDetachedKeysStay() throws Exception {
    open(smallOptions());
    Outcome granted = apply(store, 1, grant(5_000));
    assertThat(granted.getLease().getId()).isEqualTo(1);
    applyAll(store, 2,
        putWithLease("svc/a", "1", 1),
        putWithLease("svc/b", "2", 1),
        putWithLease("svc/c", "3", 1),
        command(put("svc/c", "detached"))); // a put without the lease detaches the key
    assertThat(store.leaseKeys(1, 10)).extracting(String::new)
        .containsExactly("svc/a", "svc/b");

    Outcome ended = apply(store, 6, end(1));

    assertThat(ended.getLease().getDeletedKeys()).isEqualTo(2);
    assertThat(history(5)).containsExactly("6: DELETE svc/a@6 DELETE svc/b@6");
    assertThat(store.get(b("svc/a")).result()).isNull();
    assertThat(store.get(b("svc/c")).result().getValue().toStringUtf8()).isEqualTo("detached");
    assertThat(store.lease(1)).isNull();
    assertThat(store.leaseKeys(1, 10)).isEmpty();
  }

  @Test
  void aLeaseGrantedAndEndedInOneBatchStillDeletesItsKeys() throws Exception {
    open(smallOptions());
    List<Outcome> outcomes = applyAll(store, 1, grant(5_000), putWithLease("x", "1", 1), end(1));
    assertThat(outcomes.get(2).getLease().getDeletedKeys()).isEqualTo(1);
    assertThat(store.get(b("x")).result()).isNull();
  }

  @Test
  void aWriteNamingAMissingLeaseIsRejectedWholeAndWritesNothing() throws Exception {
    open(smallOptions());
    Outcome outcome = apply(store, 1, command(TxnRequest.newBuilder()
        .addSuccess(putOp("plain", "1"))
        .addSuccess(putWithLease("leased", "2", 42).getTxn().getSuccess(0)).build()));
    assertThat(outcome.getRejected()).contains("lease 42 does not exist");
    assertThat(store.get(b("plain")).result()).isNull();
    assertThat(history(0)).isEmpty();
    assertThat(store.appliedIndex()).isEqualTo(1);
  }

  @Test
  void endingALeaseThatDoesNotExistChangesNothing() throws Exception {
    open(smallOptions());
    Outcome outcome = apply(store, 1, end(7));
    assertThat(outcome.getLease().getNotFound()).isTrue();
    assertThat(history(0)).isEmpty();
  }

  @Test
  void leasesAreReplicatedStateInTheDigestButTheHistoryIsNot() throws Exception {
    KvStore other = KvStore.open(tmp.resolve("other"), smallOptions().withHistory(1, 0));
    try {
      open(smallOptions());
      for (KvStore s : List.of(store, other)) {
        applyAll(s, 1, grant(5_000), putWithLease("x", "1", 1), command(put("y", "2")));
      }
      // Different history bounds, same replicated state.
      assertThat(store.digest().sha256()).isEqualTo(other.digest().sha256());
      apply(other, 4, grant(9_000));
      apply(store, 4, command(put("z", "1")));
      assertThat(store.digest().sha256()).isNotEqualTo(other.digest().sha256());
    } finally {
      other.close();
    }
  }
}
