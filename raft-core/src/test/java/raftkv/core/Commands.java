package raftkv.core;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import raftkv.v1.Compare;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WriteId;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.Outcome;

/** Builders for commands and small helpers shared by the raft-core tests. */
final class Commands {
  private Commands() {}

  /** Small caches so that many stores in one JVM stay cheap. */
  static StoreOptions smallOptions(long dedupTtlMs, int maxClients) {
    return new StoreOptions(1L << 20, 1L << 20, dedupTtlMs, maxClients);
  }

  static StoreOptions smallOptions() {
    return smallOptions(60_000, 1000);
  }

  static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String str(ByteString s) {
    return s.toStringUtf8();
  }

  // ---- ops and compares ----

  static RequestOp putOp(String key, String value) {
    return putOp(key, value, false);
  }

  static RequestOp putOp(String key, String value, boolean prevKv) {
    return RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
        .setKey(bs(key)).setValue(bs(value)).setPrevKv(prevKv)).build();
  }

  static RequestOp deleteOp(String key, boolean prevKv) {
    return RequestOp.newBuilder().setDelete(RequestOp.Delete.newBuilder()
        .setKey(bs(key)).setPrevKv(prevKv)).build();
  }

  static RequestOp getOp(String key) {
    return RequestOp.newBuilder().setGet(RequestOp.Get.newBuilder().setKey(bs(key))).build();
  }

  static Compare versionIs(String key, Compare.Operator op, long version) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(Compare.Target.VERSION)
        .setOp(op).setVersion(version).build();
  }

  static Compare valueIs(String key, Compare.Operator op, String value) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(Compare.Target.VALUE)
        .setOp(op).setValue(bs(value)).build();
  }

  static Compare exists(String key, Compare.Operator op) {
    return Compare.newBuilder().setKey(bs(key)).setTarget(Compare.Target.EXISTS).setOp(op).build();
  }

  // ---- transactions and commands ----

  static TxnRequest put(String key, String value) {
    return TxnRequest.newBuilder().addSuccess(putOp(key, value)).build();
  }

  static TxnRequest delete(String key) {
    return TxnRequest.newBuilder().addSuccess(deleteOp(key, false)).build();
  }

  /**
   * Not idempotent: puts {@code key = value} only if the key's version is {@code expected};
   * otherwise records a conflict under {@code conflicts/<value>}. Applying it twice shows.
   */
  static TxnRequest casPut(String key, long expectedVersion, String value) {
    return TxnRequest.newBuilder()
        .addCompares(versionIs(key, Compare.Operator.EQUAL, expectedVersion))
        .addSuccess(putOp(key, value))
        .addFailure(putOp("conflicts/" + value, "x"))
        .build();
  }

  static Command command(TxnRequest txn) {
    return Command.newBuilder().setTxn(txn).setProposedAtMs(1_000_000).build();
  }

  static Command command(TxnRequest txn, String clientId, long sequence, long ackedBelow,
      long proposedAtMs) {
    return Command.newBuilder()
        .setWriteId(WriteId.newBuilder().setClientId(clientId).setSequence(sequence)
            .setAckedBelow(ackedBelow))
        .setProposedAtMs(proposedAtMs)
        .setTxn(txn)
        .build();
  }

  static WriteId writeId(String clientId, long sequence) {
    return WriteId.newBuilder().setClientId(clientId).setSequence(sequence).build();
  }

  static ByteBuffer payload(Command command) {
    return ByteBuffer.wrap(command.toByteArray());
  }

  // ---- applying ----

  /** Applies one command at {@code index} as its own committed batch. */
  static Outcome apply(KvStore store, long index, Command command) throws RocksDBException {
    try (ApplyBatch batch = store.newApplyBatch()) {
      Outcome outcome = batch.apply(index, payload(command));
      batch.commit();
      return outcome;
    }
  }

  /** Applies the commands at consecutive indexes from {@code firstIndex} as one batch. */
  static List<Outcome> applyAll(KvStore store, long firstIndex, Command... commands)
      throws RocksDBException {
    List<Outcome> outcomes = new ArrayList<>();
    try (ApplyBatch batch = store.newApplyBatch()) {
      long index = firstIndex;
      for (Command command : commands) {
        outcomes.add(batch.apply(index++, payload(command)));
      }
      batch.commit();
    }
    return outcomes;
  }

  // ---- looking at what is on disk ----

  private static final AtomicInteger CHECKPOINTS = new AtomicInteger();

  /**
   * The exactly-once records ("client#sequence") and client ids stored in {@code store}, read
   * from a checkpoint of it with plain RocksDB, so the test sees what a restart would load.
   */
  static DiskTable diskTable(KvStore store, Path scratch) throws Exception {
    Path checkpoint = scratch.resolve("inspect-" + CHECKPOINTS.incrementAndGet());
    store.checkpoint(checkpoint);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (byte[] name : KvStore.FAMILY_NAMES) {
      descriptors.add(new ColumnFamilyDescriptor(name));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    List<String> records = new ArrayList<>();
    List<String> clients = new ArrayList<>();
    try (DBOptions options = new DBOptions();
         RocksDB db = RocksDB.openReadOnly(options, checkpoint.toString(), descriptors, handles)) {
      try (RocksIterator it = db.newIterator(handles.get(2))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          byte[] key = it.key();
          String client = new String(key, 0, key.length - 9, StandardCharsets.UTF_8);
          long sequence = ByteBuffer.wrap(key, key.length - 8, 8).getLong();
          records.add(client + "#" + sequence);
        }
      }
      try (RocksIterator it = db.newIterator(handles.get(3))) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          clients.add(new String(it.key(), StandardCharsets.UTF_8));
        }
      }
    } finally {
      handles.forEach(ColumnFamilyHandle::close);
    }
    KvStore.deleteRecursively(checkpoint);
    return new DiskTable(records, clients);
  }

  record DiskTable(List<String> records, List<String> clients) {}

  /**
   * Writes raw bytes under a user key of a closed store's directory, bypassing the store:
   * a way to plant a corrupt value, as a damaged disk would.
   */
  static void putRaw(Path storeDir, byte[] key, byte[] value) throws Exception {
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (byte[] name : KvStore.FAMILY_NAMES) {
      descriptors.add(new ColumnFamilyDescriptor(name));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (DBOptions options = new DBOptions();
         RocksDB db = RocksDB.open(options, storeDir.toString(), descriptors, handles)) {
      db.put(handles.get(0), key, value);
    } finally {
      handles.forEach(ColumnFamilyHandle::close);
    }
  }
}
