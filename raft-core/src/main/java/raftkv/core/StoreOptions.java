package raftkv.core;

/**
 * Tuning of the state machine's RocksDB, of the exactly-once table and of the watch history.
 * Immutable.
 *
 * @param blockCacheBytes RocksDB block cache shared by all column families, in bytes (> 0)
 * @param writeBufferBytes size of one memtable, in bytes (> 0); two per column family at most
 * @param dedupTtlMs how long, in milliseconds of proposing-leader time, a silent client's
 *     exactly-once records are kept. A retry arriving later than this is applied again, so
 *     keep it far above the longest client deadline.
 * @param maxClients how many client ids the exactly-once table tracks; at the limit the
 *     least recently seen client is forgotten first
 * @param historyEntries the watch history keeps the changes of at least this many most recent
 *     log indexes (>= 1); a watch may start no further back
 * @param historyAgeMs the history also drops changes older than this, in milliseconds of
 *     proposing-leader time; 0 = no age bound
 */
public record StoreOptions(
    long blockCacheBytes, long writeBufferBytes, long dedupTtlMs, int maxClients,
    long historyEntries, long historyAgeMs) {

  public static final long DEFAULT_HISTORY_ENTRIES = 100_000;

  public static final StoreOptions DEFAULTS =
      new StoreOptions(32L << 20, 16L << 20, 10 * 60_000L, 100_000);

  /** With the default history: the last {@value #DEFAULT_HISTORY_ENTRIES} indexes, any age. */
  public StoreOptions(long blockCacheBytes, long writeBufferBytes, long dedupTtlMs,
      int maxClients) {
    this(blockCacheBytes, writeBufferBytes, dedupTtlMs, maxClients, DEFAULT_HISTORY_ENTRIES, 0);
  }

  public StoreOptions {
    if (blockCacheBytes <= 0) {
      throw new IllegalArgumentException("blockCacheBytes must be > 0, got " + blockCacheBytes);
    }
    if (writeBufferBytes <= 0) {
      throw new IllegalArgumentException("writeBufferBytes must be > 0, got " + writeBufferBytes);
    }
    if (dedupTtlMs < 1000) {
      throw new IllegalArgumentException("dedupTtlMs must be >= 1000 ms, got " + dedupTtlMs);
    }
    if (maxClients < 1) {
      throw new IllegalArgumentException("maxClients must be >= 1, got " + maxClients);
    }
    if (historyEntries < 1) {
      throw new IllegalArgumentException("historyEntries must be >= 1, got " + historyEntries);
    }
    if (historyAgeMs < 0) {
      throw new IllegalArgumentException("historyAgeMs must be >= 0, got " + historyAgeMs);
    }
  }

  /** These options with another history bound. */
  public StoreOptions withHistory(long entries, long ageMs) {
    return new StoreOptions(blockCacheBytes, writeBufferBytes, dedupTtlMs, maxClients, entries,
        ageMs);
  }
}
