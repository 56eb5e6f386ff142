package raftkv.core;

import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatchWithIndex;
import raftkv.v1.WriteId;
import raftkv.v1.internal.ClientRecord;
import raftkv.v1.internal.Outcome;

/**
 * The exactly-once table (Raft dissertation 6.3): the recorded outcome of every write
 * per (client id, sequence) that the client may still retry.
 *
 * <p>Bounded three ways, all decided by the log alone so every replica forgets the same
 * records at the same index: a client's {@code acked_below} lets the table drop the
 * outcomes the client has already received; a client silent for {@code dedupTtlMs} of
 * proposer time (the highest {@code proposed_at_ms} in the log) is dropped whole; and at
 * {@code maxClients} the least recently seen client (by log index) is dropped.
 *
 * <p>Stored in the {@code dedup} and {@code clients} column families, written in the same
 * batch as the data, so it survives restarts and travels in snapshots. The in-memory map
 * mirrors {@code clients}. Not thread-safe: state machine thread only.
 */
final class ExactlyOnceTable {
  /** Beyond this gap, pruning iterates existing records instead of deleting each sequence. */
  private static final long POINT_DELETE_GAP = 1024;

  private final RocksDB db;
  private final ColumnFamilyHandle dedup;
  private final ColumnFamilyHandle clientsFamily;
  private final StoreOptions options;
  private final Map<String, ClientRecord> clients = new HashMap<>();
  /** Reused for every lookup (state machine thread only); closed with the store. */
  private final ReadOptions readOptions = new ReadOptions();

  private ExactlyOnceTable(RocksDB db, ColumnFamilyHandle dedup, ColumnFamilyHandle clientsFamily,
      StoreOptions options) {
    this.db = db;
    this.dedup = dedup;
    this.clientsFamily = clientsFamily;
    this.options = options;
  }

  static ExactlyOnceTable load(RocksDB db, ColumnFamilyHandle dedup, ColumnFamilyHandle clients,
      StoreOptions options) throws RocksDBException {
    ExactlyOnceTable table = new ExactlyOnceTable(db, dedup, clients, options);
    try (RocksIterator it = db.newIterator(clients)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        table.clients.put(new String(it.key(), StandardCharsets.UTF_8), parseClient(it.value()));
      }
      it.status();
    }
    return table;
  }

  /** Releases the native read options; the store closes the table with its database. */
  void close() {
    readOptions.close();
  }

  int clientCount() {
    return clients.size();
  }

  /**
   * The outcome to answer a duplicate with, or {@code null} when this write is new.
   * A sequence below the client's acknowledged watermark was answered and forgotten: it is
   * rejected rather than applied twice.
   */
  Outcome recorded(WriteBatchWithIndex batch, WriteId id) throws RocksDBException {
    ClientRecord client = clients.get(id.getClientId());
    // Sequences are uint64 on the wire: compare them unsigned.
    if (client != null && Long.compareUnsigned(id.getSequence(), client.getAckedBelow()) < 0) {
      return Outcome.newBuilder().setRejected("sequence " + id.getSequence() + " of client "
          + id.getClientId() + " was already acknowledged (client acked below "
          + client.getAckedBelow() + "); not applied again").build();
    }
    if (client != null && client.hasHighestSequence()
        && Long.compareUnsigned(id.getSequence(), client.getHighestSequence()) > 0) {
      return null; // above every sequence recorded: new, no record to look up
    }
    byte[] raw = batch.getFromBatchAndDB(db, dedup, readOptions, key(id.getClientId(), id.getSequence()));
    return raw == null ? null : parseOutcome(raw);
  }

  /** Records a new write's outcome and advances the client's watermark. */
  void record(WriteBatchWithIndex batch, WriteId id, long index, long proposedAtMs, Outcome outcome)
      throws RocksDBException {
    String clientId = id.getClientId();
    ClientRecord previous = clients.get(clientId);
    if (previous == null && clients.size() >= options.maxClients()) {
      evictLeastRecentlySeen(batch);
    }
    batch.put(dedup, key(clientId, id.getSequence()), outcome.toByteArray());
    long oldAcked = previous == null ? 0 : previous.getAckedBelow();
    // Never prune the record just written, whatever the command claims.
    long claimed = unsignedMin(id.getAckedBelow(), id.getSequence());
    long newAcked = Long.compareUnsigned(claimed, oldAcked) > 0 ? claimed : oldAcked;
    if (newAcked != oldAcked) {
      prune(batch, clientId, oldAcked, newAcked);
    }
    long highest = previous != null && previous.hasHighestSequence()
        && Long.compareUnsigned(previous.getHighestSequence(), id.getSequence()) > 0
        ? previous.getHighestSequence() : id.getSequence();
    ClientRecord updated = ClientRecord.newBuilder().setAckedBelow(newAcked)
        .setLastSeenMs(proposedAtMs).setLastSeenIndex(index).setHighestSequence(highest).build();
    batch.put(clientsFamily, clientId.getBytes(StandardCharsets.UTF_8), updated.toByteArray());
    clients.put(clientId, updated);
  }

  /** Drops every client silent for longer than the TTL as of {@code nowMs} (proposer time). */
  void expire(WriteBatchWithIndex batch, long nowMs) throws RocksDBException {
    List<String> expired = new ArrayList<>();
    for (Map.Entry<String, ClientRecord> e : clients.entrySet()) {
      if (e.getValue().getLastSeenMs() < nowMs - options.dedupTtlMs()) {
        expired.add(e.getKey());
      }
    }
    for (String clientId : expired) {
      forget(batch, clientId);
    }
  }

  private void evictLeastRecentlySeen(WriteBatchWithIndex batch) throws RocksDBException {
    String victim = null;
    ClientRecord oldest = null;
    for (Map.Entry<String, ClientRecord> e : clients.entrySet()) {
      ClientRecord r = e.getValue();
      if (oldest == null || r.getLastSeenIndex() < oldest.getLastSeenIndex()
          || (r.getLastSeenIndex() == oldest.getLastSeenIndex() && e.getKey().compareTo(victim) < 0)) {
        victim = e.getKey();
        oldest = r;
      }
    }
    forget(batch, victim);
  }

  private void forget(WriteBatchWithIndex batch, String clientId) throws RocksDBException {
    prune(batch, clientId, 0, -1L);
    batch.delete(dedup, key(clientId, -1L));
    batch.delete(clientsFamily, clientId.getBytes(StandardCharsets.UTF_8));
    clients.remove(clientId);
  }

  /** Deletes the client's records with sequence in [from, to), both unsigned. */
  private void prune(WriteBatchWithIndex batch, String clientId, long from, long to)
      throws RocksDBException {
    if (Long.compareUnsigned(to - from, POINT_DELETE_GAP) <= 0) {
      for (long seq = from; seq != to; seq++) {
        batch.delete(dedup, key(clientId, seq));
      }
      return;
    }
    byte[] start = key(clientId, from);
    byte[] end = key(clientId, to);
    List<byte[]> doomed = new ArrayList<>();
    try (RocksIterator base = db.newIterator(dedup);
         RocksIterator it = batch.newIteratorWithBase(dedup, base)) {
      for (it.seek(start); it.isValid() && java.util.Arrays.compareUnsigned(it.key(), end) < 0; it.next()) {
        doomed.add(it.key());
      }
    }
    // Deleting while iterating the batch would invalidate the iterator.
    for (byte[] key : doomed) {
      batch.delete(dedup, key);
    }
  }

  private static long unsignedMin(long a, long b) {
    return Long.compareUnsigned(a, b) <= 0 ? a : b;
  }

  /** client id bytes, a 0 separator (ids are printable ASCII), then the big-endian sequence. */
  static byte[] key(String clientId, long sequence) {
    byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(id.length + 9).put(id).put((byte) 0).putLong(sequence).array();
  }

  private static ClientRecord parseClient(byte[] raw) {
    try {
      return ClientRecord.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt client record in the store", e);
    }
  }

  private static Outcome parseOutcome(byte[] raw) {
    try {
      return Outcome.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt exactly-once record in the store", e);
    }
  }
}
