package raftkv.core;

import org.rocksdb.RocksDBException;
import raftkv.v1.internal.StoredValue;

/** Where a transaction's writes go. Reads through the paired {@link KeyReader} see them. */
interface KeyWriter {
  /** Writes {@code value}; {@code previous} is what the key held (null when absent). */
  void put(byte[] key, StoredValue previous, StoredValue value) throws RocksDBException;

  /** Deletes a key that holds {@code previous} (never null). */
  void delete(byte[] key, StoredValue previous) throws RocksDBException;
}
