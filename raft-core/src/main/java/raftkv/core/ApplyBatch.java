package raftkv.core;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatchWithIndex;
import raftkv.v1.TxnResponse;
import raftkv.v1.WriteId;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.MemberRecord;
import raftkv.v1.internal.Outcome;
import raftkv.v1.internal.StoredValue;

/**
 * Applies a run of committed log entries as one RocksDB write batch, with the applied
 * index in the same batch. Commands later in the batch read the writes of earlier ones
 * (a {@link WriteBatchWithIndex} overlays the database).
 *
 * <p>Apply is deterministic (no clock, no randomness; time only from the log) and total:
 * a command that cannot be decoded is answered with a rejection, never an exception.
 * Not thread-safe: state machine thread only.
 */
final class ApplyBatch implements AutoCloseable {
  private final KvStore store;
  private final RocksDB db;
  private final ColumnFamilyHandle data;
  private final ColumnFamilyHandle meta;
  private final ColumnFamilyHandle members;
  private final ExactlyOnceTable exactlyOnce;
  private final ReadOptions readOptions = new ReadOptions();
  private WriteBatchWithIndex batch = new WriteBatchWithIndex(true);
  private long lastIndex;
  private long maxProposedAtMs;
  private int entries;
  private long payloadBytes;

  ApplyBatch(KvStore store, RocksDB db, ColumnFamilyHandle data, ColumnFamilyHandle meta,
      ColumnFamilyHandle members, ExactlyOnceTable exactlyOnce) {
    this.store = store;
    this.db = db;
    this.data = data;
    this.meta = meta;
    this.members = members;
    this.exactlyOnce = exactlyOnce;
    this.lastIndex = store.appliedIndex();
    this.maxProposedAtMs = store.maxProposedAtMs();
  }

  /**
   * Applies the entry at {@code index}. {@code payload} is read through a duplicate: jraft
   * may still send the same buffer to lagging peers.
   */
  Outcome apply(long index, ByteBuffer payload) throws RocksDBException {
    payloadBytes += payload.remaining();
    Command command;
    try {
      command = Command.parseFrom(payload.duplicate());
    } catch (InvalidProtocolBufferException e) {
      advanceTo(index);
      return Outcome.newBuilder().setRejected("undecodable command at index " + index).build();
    }
    long previousMs = maxProposedAtMs;
    maxProposedAtMs = Math.max(maxProposedAtMs, command.getProposedAtMs());
    advanceTo(index);
    // Expiry runs when proposer time crosses a whole second: a function of the log alone.
    if (maxProposedAtMs / 1000 > previousMs / 1000) {
      exactlyOnce.expire(batch, maxProposedAtMs);
    }

    if (command.hasMember()) {
      return applyMember(index, command.getMember());
    }
    WriteId id = command.getWriteId();
    boolean tracked = !id.getClientId().isEmpty();
    if (tracked) {
      Outcome recorded = exactlyOnce.recorded(batch, id);
      if (recorded != null) {
        return recorded;
      }
    }
    TxnResponse response = TxnEvaluator.evaluate(command.getTxn(), index, this::read, writer)
        .toBuilder().setIndex(index).build();
    Outcome outcome = Outcome.newBuilder().setTxn(response).build();
    if (tracked) {
      exactlyOnce.record(batch, id, index, maxProposedAtMs, outcome);
    }
    return outcome;
  }

  private Outcome applyMember(long index, MemberRecord record) throws RocksDBException {
    byte[] key = record.getMember().getRaftAddress().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (record.getRemoved()) {
      batch.delete(members, key);
    } else {
      batch.put(members, key, record.getMember().toByteArray());
    }
    return Outcome.newBuilder().setTxn(TxnResponse.newBuilder().setSucceeded(true).setIndex(index))
        .build();
  }

  private void advanceTo(long index) {
    lastIndex = index;
    entries++;
  }

  private StoredValue read(byte[] key) throws RocksDBException {
    byte[] raw = batch.getFromBatchAndDB(db, data, readOptions, key);
    return raw == null ? null : KvStore.parse(raw);
  }

  private final KeyWriter writer = new KeyWriter() {
    @Override
    public void put(byte[] key, StoredValue value) throws RocksDBException {
      batch.put(data, key, value.toByteArray());
    }

    @Override
    public void delete(byte[] key) throws RocksDBException {
      batch.delete(data, key);
    }
  };

  int entries() {
    return entries;
  }

  /** Bytes of commands applied since the last commit: a measure of the batch's size. */
  long sizeBytes() {
    return payloadBytes;
  }

  /**
   * Writes everything applied so far, with the applied index, in one RocksDB write, then
   * starts an empty batch. After it returns the store reports the new applied index.
   */
  void commit() throws RocksDBException {
    if (entries == 0) {
      return;
    }
    batch.put(meta, KvStore.APPLIED_INDEX_KEY, ByteBuffer.allocate(8).putLong(lastIndex).array());
    batch.put(meta, KvStore.MAX_PROPOSED_AT_KEY, ByteBuffer.allocate(8).putLong(maxProposedAtMs).array());
    db.write(store.writeOptions(), batch);
    store.advance(lastIndex, maxProposedAtMs);
    batch.close();
    batch = new WriteBatchWithIndex(true);
    entries = 0;
    payloadBytes = 0;
  }

  @Override
  public void close() {
    batch.close();
    readOptions.close();
  }
}
