package raftkv.core;

import org.rocksdb.RocksDBException;
import raftkv.v1.internal.StoredValue;

/** The view of the keyspace a transaction is evaluated against. Not thread-safe. */
interface KeyReader {
  /** Returns the stored value, or {@code null} when the key does not exist. */
  StoredValue get(byte[] key) throws RocksDBException;
}
