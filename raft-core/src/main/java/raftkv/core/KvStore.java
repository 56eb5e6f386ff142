package raftkv.core;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteOptions;
import raftkv.v1.KeyValue;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.internal.StoredValue;

/**
 * The state machine's RocksDB: user data, the applied index and the exactly-once table.
 *
 * <p>Column families: {@code default} holds user keys; {@code meta} the applied index and
 * the highest proposer timestamp; {@code dedup} and {@code clients} the exactly-once table
 * (see {@link ExactlyOnceTable}). The applied index is written in the same write batch as
 * the data it covers, so after a crash the store knows exactly what it holds.
 *
 * <p>Thread-safety: reads may come from any thread. Writes ({@link #newApplyBatch}) and
 * {@link #replaceWith} come only from jraft's state machine thread. A read-write lock
 * keeps reads off a database that {@link #replaceWith} is swapping.
 */
public final class KvStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  static final byte[] APPLIED_INDEX_KEY = "applied_index".getBytes();
  static final byte[] MAX_PROPOSED_AT_KEY = "max_proposed_at_ms".getBytes();
  static final byte[] HISTORY_COMPACTED_KEY = "history_compacted_through".getBytes();
  /** Column families in handle order; tests that open a store directory directly use it. */
  static final List<byte[]> FAMILY_NAMES = List.of(
      RocksDB.DEFAULT_COLUMN_FAMILY, "meta".getBytes(), "dedup".getBytes(), "clients".getBytes(),
      "members".getBytes(), "history".getBytes(), "leases".getBytes(),
      "lease_keys".getBytes());

  /** Bloom filter bits per key in table files: ~1% false positives. */
  private static final double BLOOM_BITS_PER_KEY = 10;
  /** Share of each memtable given to its whole-key bloom filter. */
  private static final double MEMTABLE_BLOOM_RATIO = 0.05;

  private final Path dir;
  private final StoreOptions options;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final WriteOptions writeOptions = new WriteOptions();
  private final LRUCache blockCache;

  // Guarded by lock: replaced together by replaceWith.
  private DBOptions dbOptions;
  private ColumnFamilyOptions cfOptions;
  private BloomFilter bloomFilter;
  private RocksDB db;
  private ColumnFamilyHandle data;
  private ColumnFamilyHandle meta;
  private ColumnFamilyHandle dedup;
  private ColumnFamilyHandle clients;
  private ColumnFamilyHandle members;
  private ColumnFamilyHandle history;
  private ColumnFamilyHandle leases;
  private ColumnFamilyHandle leaseKeys;
  private ExactlyOnceTable exactlyOnce;
  private Families families;

  /** The column families apply writes, for {@link ApplyBatch}. */
  record Families(ColumnFamilyHandle data, ColumnFamilyHandle meta, ColumnFamilyHandle members,
      ColumnFamilyHandle history, ColumnFamilyHandle leases, ColumnFamilyHandle leaseKeys) {}

  private volatile long appliedIndex;
  private volatile long maxProposedAtMs;
  private volatile long historyCompactedThrough;

  private KvStore(Path dir, StoreOptions options) {
    this.dir = dir;
    this.options = options;
    this.blockCache = new LRUCache(options.blockCacheBytes());
  }

  /** Opens (creating if needed) the store in {@code dir}. */
  public static KvStore open(Path dir, StoreOptions options) throws RocksDBException {
    KvStore store = new KvStore(dir, options);
    store.openDb();
    return store;
  }

  private void openDb() throws RocksDBException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setMaxBackgroundJobs(2).setKeepLogFileNum(2)
        // Five column families with their own memtables: cap them together (RocksDB then
        // flushes the largest), or a busy node holds up to 2 x 16 MiB in each.
        .setDbWriteBufferSize(2 * options.writeBufferBytes());
    // Every write reads its key first (version, create index, previous value) and most
    // written keys are new: bloom filters answer "not here" for a memtable or a table file
    // without searching it. Without them that read was half of apply's CPU.
    bloomFilter = new BloomFilter(BLOOM_BITS_PER_KEY);
    cfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(options.writeBufferBytes())
        .setMaxWriteBufferNumber(2)
        .setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_RATIO)
        .setMemtableWholeKeyFiltering(true)
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache)
            .setFilterPolicy(bloomFilter));
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (byte[] name : FAMILY_NAMES) {
      descriptors.add(new ColumnFamilyDescriptor(name, cfOptions));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
    } catch (RocksDBException | RuntimeException e) {
      dbOptions.close();
      cfOptions.close();
      bloomFilter.close();
      throw e;
    }
    data = handles.get(0);
    meta = handles.get(1);
    dedup = handles.get(2);
    clients = handles.get(3);
    members = handles.get(4);
    history = handles.get(5);
    leases = handles.get(6);
    leaseKeys = handles.get(7);
    families = new Families(data, meta, members, history, leases, leaseKeys);
    appliedIndex = readLong(APPLIED_INDEX_KEY);
    maxProposedAtMs = readLong(MAX_PROPOSED_AT_KEY);
    if (db.get(meta, HISTORY_COMPACTED_KEY) == null) {
      // A store written before it kept history holds none of its changes so far.
      db.put(meta, HISTORY_COMPACTED_KEY, longBytes(appliedIndex));
    }
    historyCompactedThrough = readLong(HISTORY_COMPACTED_KEY);
    exactlyOnce = ExactlyOnceTable.load(db, dedup, clients, options);
  }

  private long readLong(byte[] key) throws RocksDBException {
    byte[] raw = db.get(meta, key);
    return raw == null ? 0 : ByteBuffer.wrap(raw).getLong();
  }

  private long readLong(ReadOptions readOptions, byte[] key) throws RocksDBException {
    byte[] raw = db.get(meta, readOptions, key);
    return raw == null ? 0 : ByteBuffer.wrap(raw).getLong();
  }

  /** The last log index whose command is reflected in the store (configuration entries excluded). */
  public long appliedIndex() {
    return appliedIndex;
  }

  /**
   * Changes at or below this index are no longer in the watch history: a watch may start after
   * this index or later.
   */
  public long historyCompactedThrough() {
    return historyCompactedThrough;
  }

  static byte[] indexKey(long index) {
    return longBytes(index);
  }

  static byte[] leaseKey(long lease, byte[] key) {
    return ByteBuffer.allocate(8 + key.length).putLong(lease).put(key).array();
  }

  private static byte[] longBytes(long value) {
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  long maxProposedAtMs() {
    return maxProposedAtMs;
  }

  ExactlyOnceTable exactlyOnce() {
    return exactlyOnce;
  }

  // ---- reads (any thread) ----

  /** Reads one key; the index is that of the snapshot the key was read from. */
  public IndexedRead<KeyValue> get(byte[] key) throws RocksDBException {
    lock.readLock().lock();
    try (SnapshotView view = new SnapshotView()) {
      StoredValue stored = view.get(key);
      KeyValue kv = stored == null
          ? null : TxnEvaluator.toKeyValue(ByteString.copyFrom(key), stored, false);
      return new IndexedRead<>(kv, view.appliedIndex());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Reads up to {@code limit} keys in [{@code start}, {@code end}) from one snapshot.
   *
   * @param end exclusive; empty means to the last key
   */
  public IndexedRead<RangePage> range(byte[] start, byte[] end, int limit, boolean keysOnly)
      throws RocksDBException {
    return range(start, end, limit, keysOnly, Long.MAX_VALUE);
  }

  /**
   * As {@link #range(byte[], byte[], int, boolean)}, but the page also ends once its keys and
   * values reach {@code maxBytes} (it always holds at least one key when one is in range).
   */
  public IndexedRead<RangePage> range(byte[] start, byte[] end, int limit, boolean keysOnly,
      long maxBytes) throws RocksDBException {
    lock.readLock().lock();
    try (SnapshotView view = new SnapshotView();
         RocksIterator it = db.newIterator(data, view.readOptions)) {
      List<KeyValue> kvs = new ArrayList<>();
      byte[] nextStart = null;
      long bytes = 0;
      for (it.seek(start); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (end.length > 0 && Arrays.compareUnsigned(key, end) >= 0) {
          break;
        }
        if (kvs.size() == limit || (!kvs.isEmpty() && bytes >= maxBytes)) {
          nextStart = key;
          break;
        }
        KeyValue kv = TxnEvaluator.toKeyValue(ByteString.copyFrom(key), parse(it.value()), keysOnly);
        bytes += key.length + kv.getValue().size();
        kvs.add(kv);
      }
      it.status();
      return new IndexedRead<>(new RangePage(kvs, nextStart), view.appliedIndex());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Evaluates a transaction that only reads, against one snapshot. */
  public IndexedRead<TxnResponse> readOnlyTxn(TxnRequest txn) throws RocksDBException {
    if (!TxnEvaluator.isReadOnly(txn)) {
      throw new IllegalArgumentException("transaction writes; propose it instead");
    }
    lock.readLock().lock();
    try (SnapshotView view = new SnapshotView()) {
      TxnResponse response = TxnEvaluator.evaluate(txn, view.appliedIndex(), view::get, null);
      return new IndexedRead<>(response, view.appliedIndex());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * The recorded changes with an index in ({@code afterIndex}, applied index], in index order,
   * from one snapshot; the page ends after the change set that reaches {@code maxEvents}
   * events (a change set is never split). Safe from any thread.
   *
   * @throws HistoryCompactedException when changes after {@code afterIndex} were dropped
   */
  public ChangesPage changesAfter(long afterIndex, int maxEvents)
      throws RocksDBException, HistoryCompactedException {
    lock.readLock().lock();
    try (SnapshotView view = new SnapshotView();
         RocksIterator it = db.newIterator(history, view.readOptions)) {
      long compacted = readLong(view.readOptions, HISTORY_COMPACTED_KEY);
      long applied = view.appliedIndex();
      if (afterIndex < compacted) {
        throw new HistoryCompactedException(afterIndex, compacted);
      }
      List<raftkv.v1.internal.ChangeSet> sets = new ArrayList<>();
      long through = applied;
      int events = 0;
      for (it.seek(indexKey(afterIndex + 1)); it.isValid(); it.next()) {
        raftkv.v1.internal.ChangeSet set = raftkv.v1.internal.ChangeSet.parseFrom(it.value());
        sets.add(set);
        events += set.getEventsCount();
        if (events >= maxEvents) {
          through = set.getIndex();
          break;
        }
      }
      it.status();
      return new ChangesPage(sets, Math.max(afterIndex, through), applied);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt change set in the watch history", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Every lease the store holds. Safe from any thread. */
  public List<raftkv.v1.internal.LeaseRecord> leases() throws RocksDBException {
    lock.readLock().lock();
    try (RocksIterator it = db.newIterator(leases)) {
      List<raftkv.v1.internal.LeaseRecord> result = new ArrayList<>();
      for (it.seekToFirst(); it.isValid(); it.next()) {
        result.add(raftkv.v1.internal.LeaseRecord.parseFrom(it.value()));
      }
      it.status();
      return result;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt lease record in the store", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The lease {@code id}, or null when it does not exist. Safe from any thread. */
  public raftkv.v1.internal.LeaseRecord lease(long id) throws RocksDBException {
    lock.readLock().lock();
    try {
      byte[] raw = db.get(leases, indexKey(id));
      return raw == null ? null : raftkv.v1.internal.LeaseRecord.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt lease record " + id, e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Up to {@code limit} keys attached to lease {@code id}, in key order. Any thread. */
  public List<byte[]> leaseKeys(long id, int limit) throws RocksDBException {
    lock.readLock().lock();
    try (RocksIterator it = db.newIterator(leaseKeys)) {
      byte[] prefix = indexKey(id);
      List<byte[]> keys = new ArrayList<>();
      for (it.seek(prefix); it.isValid() && keys.size() < limit; it.next()) {
        byte[] attachment = it.key();
        if (attachment.length < 8
            || !Arrays.equals(attachment, 0, 8, prefix, 0, 8)) {
          break;
        }
        keys.add(Arrays.copyOfRange(attachment, 8, attachment.length));
      }
      it.status();
      return keys;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Members recorded through the log (learners added at runtime), by Raft address. */
  public java.util.Map<String, raftkv.v1.Member> members() throws RocksDBException {
    lock.readLock().lock();
    try (RocksIterator it = db.newIterator(members)) {
      java.util.Map<String, raftkv.v1.Member> result = new java.util.HashMap<>();
      for (it.seekToFirst(); it.isValid(); it.next()) {
        raftkv.v1.Member m = raftkv.v1.Member.parseFrom(it.value());
        result.put(m.getRaftAddress(), m);
      }
      it.status();
      return result;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt member record in the store", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** True when neither branch of the transaction writes. */
  public static boolean isReadOnly(TxnRequest txn) {
    return TxnEvaluator.isReadOnly(txn);
  }

  /** The non-zero leases the transaction's puts attach keys to, in either branch. */
  public static java.util.Set<Long> leasesUsed(TxnRequest txn) {
    return TxnEvaluator.leasesUsed(txn);
  }

  /**
   * A digest of the replicated state and the index it is at. Two replicas at the same index
   * must have the same digest. As {@link #digest}, in the shape older callers use.
   */
  public IndexedRead<String> stateHash() throws RocksDBException {
    StateDigest digest = digest();
    return new IndexedRead<>(digest.sha256(), digest.appliedIndex());
  }

  /**
   * Hashes, from one RocksDB snapshot (so the index and the data agree), everything apply
   * writes and that must therefore be identical on every replica at the same applied index:
   * <ul>
   *   <li>user keys with their stored values (value, version, create index);
   *   <li>the exactly-once table ({@code dedup} and {@code clients}): apply answers retries
   *       from it and prunes it by rules that depend on the log alone, and it travels in
   *       snapshots, so it is replicated state, not a cache;
   *   <li>member records ({@code members}), written by apply from the log;
   *   <li>the highest proposer timestamp seen, which drives the table's expiry.
   * </ul>
   * The applied index itself is reported beside the hash, not in it (an undecodable entry
   * advances it without changing state). Nothing node-local is in this store: the Raft log,
   * its metadata and snapshots live in jraft's directories.
   *
   * <p>Values are hashed as stored bytes; every replica writes them with the same code (or
   * receives them in a snapshot), so equal state gives equal bytes. Each key and value is
   * length-prefixed and each family closed by a marker, so no two states hash alike by
   * concatenation. Scans the whole store; safe from any thread.
   */
  public StateDigest digest() throws RocksDBException {
    lock.readLock().lock();
    try (SnapshotView view = new SnapshotView()) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      long keys = 0;
      for (ColumnFamilyHandle family : List.of(data, dedup, clients, members, leases, leaseKeys)) {
        try (RocksIterator it = db.newIterator(family, view.readOptions)) {
          for (it.seekToFirst(); it.isValid(); it.next()) {
            digest.update(ByteBuffer.allocate(4).putInt(it.key().length).array());
            digest.update(it.key());
            digest.update(ByteBuffer.allocate(4).putInt(it.value().length).array());
            digest.update(it.value());
            if (family == data) {
              keys++;
            }
          }
          it.status();
        }
        digest.update((byte) 0xff);
      }
      byte[] maxProposedAt = db.get(meta, view.readOptions, MAX_PROPOSED_AT_KEY);
      digest.update(maxProposedAt == null ? new byte[8] : maxProposedAt);
      return new StateDigest(HexFormat.of().formatHex(digest.digest()), keys, view.appliedIndex());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      lock.readLock().unlock();
    }
  }

  static StoredValue parse(byte[] raw) {
    try {
      return StoredValue.parseFrom(raw);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt value in the store", e);
    }
  }

  /** A RocksDB snapshot with the applied index as of that snapshot. Caller holds the read lock. */
  private final class SnapshotView implements AutoCloseable {
    final Snapshot snapshot = db.getSnapshot();
    final ReadOptions readOptions = new ReadOptions().setSnapshot(snapshot);

    StoredValue get(byte[] key) throws RocksDBException {
      byte[] raw = db.get(data, readOptions, key);
      return raw == null ? null : parse(raw);
    }

    long appliedIndex() throws RocksDBException {
      return readLong(readOptions, APPLIED_INDEX_KEY);
    }

    @Override
    public void close() {
      readOptions.close();
      db.releaseSnapshot(snapshot);
    }
  }

  // ---- writes (state machine thread only) ----

  /**
   * Starts a batch of applied entries. State machine thread only; it is also the only
   * thread that swaps the database, so the batch needs no lock.
   */
  ApplyBatch newApplyBatch() {
    return new ApplyBatch(this, db, families, exactlyOnce);
  }

  /**
   * Drops the oldest watch history beyond {@link StoreOptions#historyEntries} and
   * {@link StoreOptions#historyAgeMs}, in steps of about 1 % of the entry bound so that most
   * batches do not write a range tombstone. Local housekeeping: which changes are kept is not
   * replicated state (it is not in {@link #digest}). State machine thread only.
   */
  void trimHistory() throws RocksDBException {
    long floor = Math.max(historyCompactedThrough, appliedIndex - options.historyEntries());
    long step = Math.max(1, options.historyEntries() / 100);
    if (options.historyAgeMs() > 0 && maxProposedAtMs / 1000 != lastAgeCheckSecond) {
      lastAgeCheckSecond = maxProposedAtMs / 1000;
      floor = Math.max(floor, lastIndexOlderThan(maxProposedAtMs - options.historyAgeMs()));
      step = 1;
    }
    if (floor - historyCompactedThrough < step) {
      return;
    }
    try (org.rocksdb.WriteBatch trim = new org.rocksdb.WriteBatch()) {
      trim.deleteRange(history, indexKey(historyCompactedThrough + 1), indexKey(floor + 1));
      trim.put(meta, HISTORY_COMPACTED_KEY, longBytes(floor));
      db.write(writeOptions, trim);
    }
    historyCompactedThrough = floor;
  }

  private long lastAgeCheckSecond = -1;

  /** The highest kept change-set index proposed before {@code cutoffMs}; scans from the oldest. */
  private long lastIndexOlderThan(long cutoffMs) throws RocksDBException {
    long last = historyCompactedThrough;
    try (RocksIterator it = db.newIterator(history)) {
      for (it.seek(indexKey(historyCompactedThrough + 1)); it.isValid(); it.next()) {
        raftkv.v1.internal.ChangeSet set = raftkv.v1.internal.ChangeSet.parseFrom(it.value());
        if (set.getProposedAtMs() >= cutoffMs) {
          break;
        }
        last = set.getIndex();
      }
      it.status();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt change set in the watch history", e);
    }
    return last;
  }

  /**
   * A RocksDB integer property summed over every column family, for example
   * {@code rocksdb.total-sst-files-size} or {@code rocksdb.estimate-live-data-size}; -1 when
   * the store is closed or RocksDB does not know the property. Any thread (metrics scrapes);
   * waits while {@link #replaceWith} swaps the database.
   */
  public long longProperty(String name) {
    return longProperty(name, false);
  }

  /** As {@link #longProperty(String)}, of the watch history's column family alone when asked. */
  public long longProperty(String name, boolean historyOnly) {
    if (historyOnly) {
      lock.readLock().lock();
      try {
        return db == null ? -1 : db.getLongProperty(history, name);
      } catch (RocksDBException unknownProperty) {
        return -1;
      } finally {
        lock.readLock().unlock();
      }
    }
    lock.readLock().lock();
    try {
      if (db == null) {
        return -1;
      }
      long sum = 0;
      for (ColumnFamilyHandle family
          : List.of(data, meta, dedup, clients, members, history, leases, leaseKeys)) {
        sum += db.getLongProperty(family, name);
      }
      return sum;
    } catch (RocksDBException unknownProperty) {
      return -1;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Called by {@link ApplyBatch} once its write is durable in RocksDB. */
  void advance(long index, long proposedAtMs) {
    appliedIndex = index;
    maxProposedAtMs = proposedAtMs;
  }

  WriteOptions writeOptions() {
    return writeOptions;
  }

  // ---- snapshots (state machine thread only) ----

  /** Writes a consistent copy of the store (hard links where possible) into {@code target}. */
  void checkpoint(Path target) throws RocksDBException {
    lock.readLock().lock();
    try (Checkpoint checkpoint = Checkpoint.create(db)) {
      checkpoint.createCheckpoint(target.toString());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Replaces the whole store with the checkpoint in {@code source}. Reads wait while the
   * database is swapped. State machine thread only.
   *
   * <p>The live store is kept until the replacement has opened: the checkpoint is linked
   * into a sibling directory first, and if it cannot be opened the previous store is put
   * back and reopened, so a bad snapshot never leaves this node without its data.
   *
   * @throws IOException when {@code source} is not a RocksDB checkpoint or cannot be opened;
   *     the local store is then unchanged
   */
  void replaceWith(Path source) throws RocksDBException, IOException {
    if (!Files.isRegularFile(source.resolve("CURRENT"))) {
      throw new IOException(source + " is not a RocksDB checkpoint (no CURRENT file)");
    }
    Path incoming = dir.resolveSibling(dir.getFileName() + ".incoming");
    Path previous = dir.resolveSibling(dir.getFileName() + ".previous");
    deleteRecursively(incoming);
    deleteRecursively(previous);
    linkOrCopyFiles(source, incoming);
    lock.writeLock().lock();
    try {
      closeDb();
      Files.move(dir, previous);
      Files.move(incoming, dir);
      try {
        openDb();
      } catch (RocksDBException | RuntimeException e) {
        deleteRecursively(dir);
        Files.move(previous, dir);
        openDb();
        throw new IOException("the snapshot's store would not open; kept the local store", e);
      }
    } finally {
      lock.writeLock().unlock();
    }
    deleteRecursively(previous);
  }

  private static void linkOrCopyFiles(Path source, Path target) throws IOException {
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Path copy = target.resolve(file.getFileName());
        try {
          // SST files are immutable: a hard link is a safe, free copy.
          Files.createLink(copy, file);
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(file, copy);
        }
      }
    }
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : (Iterable<Path>) walk.sorted((a, b) -> b.getNameCount() - a.getNameCount())::iterator) {
        Files.delete(p);
      }
    }
  }

  private void closeDb() {
    exactlyOnce.close();
    for (ColumnFamilyHandle handle
        : List.of(data, meta, dedup, clients, members, history, leases, leaseKeys)) {
      handle.close();
    }
    db.close();
    dbOptions.close();
    cfOptions.close();
    bloomFilter.close();
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (db != null) {
        closeDb();
        db = null;
      }
      writeOptions.close();
      blockCache.close();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
