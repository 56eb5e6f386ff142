package raftkv.core;

/**
 * Tuning of the state machine's RocksDB and of the exactly-once table. Immutable.
 *
 * @param blockCacheBytes RocksDB block cache shared by all column families, in bytes (> 0)
 * @param writeBufferBytes size of one memtable, in bytes (> 0); two per column family at most
 * @param dedupTtlMs how long, in milliseconds of proposing-leader time, a silent client's
 *     exactly-once records are kept. A retry arriving later than this is applied again, so
 *     keep it far above the longest client deadline.
 * @param maxClients how many client ids the exactly-once table tracks; at the limit the
 *     least recently seen client is forgotten first
 */
public record StoreOptions(
    long blockCacheBytes, long writeBufferBytes, long dedupTtlMs, int maxClients) {

  public static final StoreOptions DEFAULTS =
      new StoreOptions(32L << 20, 16L << 20, 10 * 60_000L, 100_000);

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
  }
}
