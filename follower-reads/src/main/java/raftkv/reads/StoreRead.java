package raftkv.reads;

import org.rocksdb.RocksDBException;
import raftkv.core.KvStore;

/** A read of the local store, run once the read's consistency level admits this node. */
@FunctionalInterface
public interface StoreRead<T> {
  T read(KvStore store) throws RocksDBException;
}
