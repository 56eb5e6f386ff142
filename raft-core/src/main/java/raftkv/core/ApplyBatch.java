package raftkv.core;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatchWithIndex;
import raftkv.v1.KeyValue;
import raftkv.v1.TxnResponse;
import raftkv.v1.WatchEvent;
import raftkv.v1.WriteId;
import raftkv.v1.internal.ChangeSet;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.LeaseEnd;
import raftkv.v1.internal.LeaseOutcome;
import raftkv.v1.internal.LeaseRecord;
import raftkv.v1.internal.MemberRecord;
import raftkv.v1.internal.Outcome;
import raftkv.v1.internal.StoredValue;

/**
 * Applies a run of committed log entries as one RocksDB write batch, with the applied
 * index in the same batch. Commands later in the batch read the writes of earlier ones
 * (a {@link WriteBatchWithIndex} overlays the database).
 *
 * <p>Every change to a user key is also recorded in the watch history, one {@link ChangeSet}
 * per index, in the same batch: a watch never sees a change the store does not hold, nor
 * misses one it does. Lease grants and ends change the lease tables in the same batch too.
 *
 * <p>Apply is deterministic (no clock, no randomness; time only from the log) and total:
 * a command that cannot be decoded, or that names a lease that does not exist, is answered
 * with a rejection, never an exception. Not thread-safe: state machine thread only.
 */
final class ApplyBatch implements AutoCloseable {
  private final KvStore store;
  private final RocksDB db;
  private final KvStore.Families families;
  private final ExactlyOnceTable exactlyOnce;
  private final ReadOptions readOptions = new ReadOptions();
  private final LeaseChanges leaseChanges = new LeaseChanges();
  private WriteBatchWithIndex batch = new WriteBatchWithIndex(true);
  private ChangeSet.Builder changes;
  private long lastIndex;
  private long maxProposedAtMs;
  private int entries;
  private long payloadBytes;

  ApplyBatch(KvStore store, RocksDB db, KvStore.Families families, ExactlyOnceTable exactlyOnce) {
    this.store = store;
    this.db = db;
    this.families = families;
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
    changes = ChangeSet.newBuilder().setIndex(index).setProposedAtMs(command.getProposedAtMs());
    Outcome outcome;
    if (command.hasLeaseGrant()) {
      outcome = grantLease(index, command.getLeaseGrant().getTtlMs());
    } else if (command.hasLeaseEnd()) {
      outcome = endLease(index, command.getLeaseEnd());
    } else {
      outcome = applyTxn(index, command);
    }
    if (changes.getEventsCount() > 0) {
      batch.put(families.history(), KvStore.indexKey(index), changes.build().toByteArray());
    }
    changes = null;
    if (tracked) {
      exactlyOnce.record(batch, id, index, maxProposedAtMs, outcome);
    }
    return outcome;
  }

  private Outcome applyTxn(long index, Command command) throws RocksDBException {
    for (long lease : TxnEvaluator.leasesUsed(command.getTxn())) {
      if (readLease(lease) == null) {
        return Outcome.newBuilder().setRejected("lease " + lease
            + " does not exist (it expired or was revoked, or was never granted); nothing"
            + " was written").build();
      }
    }
    TxnResponse response = TxnEvaluator.evaluate(command.getTxn(), index, this::read, writer)
        .toBuilder().setIndex(index).build();
    return Outcome.newBuilder().setTxn(response).build();
  }

  private Outcome grantLease(long index, long ttlMs) throws RocksDBException {
    LeaseRecord record = LeaseRecord.newBuilder().setId(index).setTtlMs(ttlMs).build();
    batch.put(families.leases(), KvStore.indexKey(index), record.toByteArray());
    leaseChanges.granted(index, ttlMs);
    return Outcome.newBuilder()
        .setLease(LeaseOutcome.newBuilder().setId(index).setTtlMs(ttlMs).setIndex(index)).build();
  }

  /** Deletes every key still attached to the lease, then the lease: all at this one index. */
  private Outcome endLease(long index, LeaseEnd end) throws RocksDBException {
    long id = end.getId();
    LeaseRecord record = readLease(id);
    if (record == null) {
      return Outcome.newBuilder()
          .setLease(LeaseOutcome.newBuilder().setId(id).setNotFound(true)).build();
    }
    byte[] prefix = KvStore.indexKey(id);
    // Collected first: the batch is not changed while an iterator over it is open.
    java.util.List<byte[]> attached = new java.util.ArrayList<>();
    try (RocksIterator base = db.newIterator(families.leaseKeys(), readOptions);
         RocksIterator it = batch.newIteratorWithBase(families.leaseKeys(), base)) {
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        attached.add(it.key());
      }
      it.status();
    }
    long deleted = 0;
    for (byte[] attachment : attached) {
      byte[] key = Arrays.copyOfRange(attachment, prefix.length, attachment.length);
      StoredValue current = read(key);
      if (current != null && current.getLease() == id) {
        writer.delete(key, current);
        deleted++;
      } else {
        batch.delete(families.leaseKeys(), attachment);
      }
    }
    batch.delete(families.leases(), prefix);
    leaseChanges.ended(id);
    return Outcome.newBuilder()
        .setLease(LeaseOutcome.newBuilder().setId(id).setTtlMs(record.getTtlMs())
            .setDeletedKeys(deleted).setIndex(index))
        .build();
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    return bytes.length >= prefix.length
        && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
  }

  private LeaseRecord readLease(long id) throws RocksDBException {
    byte[] raw = batch.getFromBatchAndDB(db, families.leases(), readOptions, KvStore.indexKey(id));
    if (raw == null) {
      return null;
    }
    try {
      return LeaseRecord.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt lease record " + id, e);
    }
  }

  private Outcome applyMember(long index, MemberRecord record) throws RocksDBException {
    byte[] key = record.getMember().getRaftAddress().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (record.getRemoved()) {
      batch.delete(families.members(), key);
    } else {
      batch.put(families.members(), key, record.getMember().toByteArray());
    }
    return Outcome.newBuilder().setTxn(TxnResponse.newBuilder().setSucceeded(true).setIndex(index))
        .build();
  }

  private void advanceTo(long index) {
    lastIndex = index;
    entries++;
  }

  private StoredValue read(byte[] key) throws RocksDBException {
    byte[] raw = batch.getFromBatchAndDB(db, families.data(), readOptions, key);
    return raw == null ? null : KvStore.parse(raw);
  }

  /** Writes user keys, keeps lease attachments in step, and records each change for watches. */
  private final KeyWriter writer = new KeyWriter() {
    @Override
    public void put(byte[] key, StoredValue previous, StoredValue value) throws RocksDBException {
      batch.put(families.data(), key, value.toByteArray());
      long before = previous == null ? 0 : previous.getLease();
      if (before != 0 && before != value.getLease()) {
        batch.delete(families.leaseKeys(), KvStore.leaseKey(before, key));
      }
      if (value.getLease() != 0 && before != value.getLease()) {
        batch.put(families.leaseKeys(), KvStore.leaseKey(value.getLease(), key), new byte[0]);
      }
      changes.addEvents(WatchEvent.newBuilder().setType(WatchEvent.Type.PUT)
          .setIndex(value.getVersion())
          .setKv(TxnEvaluator.toKeyValue(ByteString.copyFrom(key), value, false)));
    }

    @Override
    public void delete(byte[] key, StoredValue previous) throws RocksDBException {
      batch.delete(families.data(), key);
      if (previous.getLease() != 0) {
        batch.delete(families.leaseKeys(), KvStore.leaseKey(previous.getLease(), key));
      }
      changes.addEvents(WatchEvent.newBuilder().setType(WatchEvent.Type.DELETE)
          .setIndex(changes.getIndex())
          .setKv(KeyValue.newBuilder().setKey(ByteString.copyFrom(key))
              .setVersion(changes.getIndex())));
    }
  };

  int entries() {
    return entries;
  }

  /** Bytes of commands applied since the last commit: a measure of the batch's size. */
  long sizeBytes() {
    return payloadBytes;
  }

  /** Leases granted and ended since the last commit. */
  LeaseChanges leaseChanges() {
    return leaseChanges;
  }

  /**
   * Writes everything applied so far, with the applied index, in one RocksDB write, then
   * starts an empty batch. After it returns the store reports the new applied index.
   */
  void commit() throws RocksDBException {
    if (entries == 0) {
      return;
    }
    batch.put(families.meta(), KvStore.APPLIED_INDEX_KEY, ByteBuffer.allocate(8).putLong(lastIndex).array());
    batch.put(families.meta(), KvStore.MAX_PROPOSED_AT_KEY, ByteBuffer.allocate(8).putLong(maxProposedAtMs).array());
    db.write(store.writeOptions(), batch);
    store.advance(lastIndex, maxProposedAtMs);
    batch.close();
    batch = new WriteBatchWithIndex(true);
    entries = 0;
    payloadBytes = 0;
    store.trimHistory();
  }

  @Override
  public void close() {
    batch.close();
    readOptions.close();
  }
}
