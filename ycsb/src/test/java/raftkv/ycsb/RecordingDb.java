package raftkv.ycsb;

import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.Status;

/**
 * A YCSB DB that passes every operation to the binding and keeps what did not come back OK,
 * as YCSB's Return= lines would count it. Thread-safe counters; one instance per thread.
 */
final class RecordingDb extends DB {
  private final DB db;
  final AtomicLong operations;
  final Queue<String> failures;

  RecordingDb(DB db, AtomicLong operations, Queue<String> failures) {
    this.db = db;
    this.operations = operations;
    this.failures = failures;
  }

  static Queue<String> newFailures() {
    return new ConcurrentLinkedQueue<>();
  }

  @Override
  public Status read(String table, String key, Set<String> fields,
      Map<String, ByteIterator> result) {
    return record("read " + key, db.read(table, key, fields, result));
  }

  @Override
  public Status scan(String table, String startkey, int recordcount, Set<String> fields,
      Vector<HashMap<String, ByteIterator>> result) {
    return record("scan " + startkey, db.scan(table, startkey, recordcount, fields, result));
  }

  @Override
  public Status update(String table, String key, Map<String, ByteIterator> values) {
    return record("update " + key, db.update(table, key, values));
  }

  @Override
  public Status insert(String table, String key, Map<String, ByteIterator> values) {
    return record("insert " + key, db.insert(table, key, values));
  }

  @Override
  public Status delete(String table, String key) {
    return record("delete " + key, db.delete(table, key));
  }

  private Status record(String what, Status status) {
    operations.incrementAndGet();
    if (!status.isOk()) {
      failures.add(what + ": " + status);
    }
    return status;
  }
}
