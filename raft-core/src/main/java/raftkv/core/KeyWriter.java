package raftkv.core;

import org.rocksdb.RocksDBException;
import raftkv.v1.internal.StoredValue;

/** Where a transaction's writes go. Reads through the paired {@link KeyReader} see them. */
interface KeyWriter {
  void put(byte[] key, StoredValue value) throws RocksDBException;

  void delete(byte[] key) throws RocksDBException;
}
