package raftkv.ycsb;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.BlockingKv;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.v1.KeyValue;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;
import site.ycsb.workloads.CoreWorkload;

/**
 * The YCSB binding: {@code -db raftkv.ycsb.RaftkvClient}.
 *
 * <p>Properties: {@code raftkv.endpoints=host:port,...} or {@code raftkv.cluster=DIR} (a
 * {@code raftkv cluster start --dir DIR}); {@code raftkv.consistency=session|eventual|
 * bounded:<ms>|linearizable}, the level of every read and scan (default session); {@code
 * raftkv.deadline.ms}, the time each operation may take with its retries (default 10000).
 *
 * <p>Each YCSB thread has its own instance and each instance is one raftkv session, so at
 * SESSION a thread reads its own writes wherever its reads are served. All threads share one
 * {@link KvClient}. Records are stored one key per field ({@link RecordLayout}): insert and
 * update are one write (a put, or a transaction of puts), read is one prefix range, scan a
 * range over the table, delete a keys-only range and a transaction of deletes (not atomic
 * with a concurrent insert of the same record).
 *
 * <p>Every read of a record this thread wrote is checked against that write ({@link
 * OwnWrites}); when the last thread cleans up, the run's counts are printed as {@code
 * [RAFTKV], ReadsOfOwnWrites, n} and {@code [RAFTKV], ReadYourWritesMisses, n}. At session and
 * linearizable the misses must be 0; at eventual and bounded they count stale reads of the
 * thread's own writes.
 *
 * <p>Failures map to YCSB statuses (UNAVAILABLE and DEADLINE_EXCEEDED to SERVICE_UNAVAILABLE,
 * INVALID_ARGUMENT to BAD_REQUEST, ...), which YCSB counts per operation; the first failure
 * of each gRPC code is logged.
 *
 * <p>Not thread-safe, as YCSB expects: one thread per instance.
 */
public final class RaftkvClient extends DB {
  private static final Logger log = LoggerFactory.getLogger(RaftkvClient.class);
  // The server's largest Range page (Limits.maxRangeLimit by default).
  private static final int MAX_PAGE = 10_000;
  private static final Set<Code> LOGGED = ConcurrentHashMap.newKeySet();

  private final OwnWrites ownWrites = new OwnWrites();
  private Settings settings;
  private KvClient client;
  private BlockingKv kv;
  private ReadOptions readOptions;
  private int fieldsPerRecord;

  @Override
  public void init() throws DBException {
    try {
      settings = Settings.from(getProperties());
      fieldsPerRecord = Integer.parseInt(getProperties().getProperty(
          CoreWorkload.FIELD_COUNT_PROPERTY, CoreWorkload.FIELD_COUNT_PROPERTY_DEFAULT).strip());
      // The client builder checks each endpoint's host:port form.
      client = SharedClients.acquire(settings);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new DBException(e.getMessage(), e);
    }
    kv = client.newSession().blocking();
    readOptions = settings.level().options();
  }

  @Override
  public void cleanup() {
    if (client != null) {
      client = null;
      SharedClients.release(settings, ownWrites, System.out);
    }
  }

  @Override
  public Status read(String table, String key, Set<String> fields,
      Map<String, ByteIterator> result) {
    ByteString record = RecordLayout.recordPrefix(table, key);
    try {
      RangeRequest.Builder request = RangeRequest.newBuilder().setPrefix(record)
          .setRead(readOptions);
      long servedAt = -1;
      long newestVersion = 0;
      boolean found = false;
      while (true) {
        RangeResponse page = kv.range(request.build());
        if (servedAt < 0) {
          servedAt = page.getMeta().getAppliedIndex();
        }
        for (KeyValue field : page.getKvsList()) {
          found = true;
          newestVersion = Math.max(newestVersion, field.getVersion());
          String name = RecordLayout.field(field.getKey(), record);
          if (fields == null || fields.contains(name)) {
            result.put(name, new ByteArrayByteIterator(field.getValue().toByteArray()));
          }
        }
        if (!page.getMore()) {
          break;
        }
        request.setContinuation(page.getContinuation());
      }
      if (ownWrites.check(record, found, newestVersion, servedAt)) {
        log.debug("read of {} did not see this session's write (newest version {}, served at {})",
            key, newestVersion, servedAt);
      }
      return found ? Status.OK : Status.NOT_FOUND;
    } catch (KvException e) {
      return failed("read", e);
    }
  }

  @Override
  public Status scan(String table, String startkey, int recordcount, Set<String> fields,
      Vector<HashMap<String, ByteIterator>> result) {
    ByteString tablePrefix = RecordLayout.tablePrefix(table);
    // Enough for recordcount whole records and the next record's first field, in one page.
    long wanted = (long) recordcount * Math.max(1, fieldsPerRecord) + 1;
    RangeRequest.Builder request = RangeRequest.newBuilder()
        .setStart(RecordLayout.recordPrefix(table, startkey))
        .setEnd(RecordLayout.tableEnd(table))
        .setLimit((int) Math.min(MAX_PAGE, wanted))
        .setRead(readOptions);
    try {
      ByteString current = null;
      HashMap<String, ByteIterator> row = null;
      while (true) {
        RangeResponse page = kv.range(request.build());
        for (KeyValue field : page.getKvsList()) {
          ByteString record = RecordLayout.recordPrefixOf(field.getKey(), tablePrefix);
          if (!record.equals(current)) {
            if (result.size() == recordcount) {
              return Status.OK;
            }
            current = record;
            row = new HashMap<>();
            result.add(row);
          }
          String name = RecordLayout.field(field.getKey(), record);
          if (fields == null || fields.contains(name)) {
            row.put(name, new ByteArrayByteIterator(field.getValue().toByteArray()));
          }
        }
        if (!page.getMore()) {
          return Status.OK;
        }
        request.setContinuation(page.getContinuation());
      }
    } catch (KvException e) {
      return failed("scan", e);
    } catch (IllegalArgumentException foreignKey) {
      log.warn("scan of {} from {}: {}", table, startkey, foreignKey.getMessage());
      return Status.UNEXPECTED_STATE;
    }
  }

  @Override
  public Status update(String table, String key, Map<String, ByteIterator> values) {
    return write("update", table, key, values);
  }

  @Override
  public Status insert(String table, String key, Map<String, ByteIterator> values) {
    return write("insert", table, key, values);
  }

  @Override
  public Status delete(String table, String key) {
    ByteString record = RecordLayout.recordPrefix(table, key);
    try {
      RangeRequest.Builder request = RangeRequest.newBuilder().setPrefix(record)
          .setKeysOnly(true).setRead(readOptions);
      TxnRequest.Builder txn = TxnRequest.newBuilder();
      while (true) {
        RangeResponse page = kv.range(request.build());
        for (KeyValue field : page.getKvsList()) {
          txn.addSuccess(RequestOp.newBuilder().setDelete(
              RequestOp.Delete.newBuilder().setKey(field.getKey())));
        }
        if (!page.getMore()) {
          break;
        }
        request.setContinuation(page.getContinuation());
      }
      if (txn.getSuccessCount() == 0) {
        return Status.NOT_FOUND;
      }
      ownWrites.deleted(record, kv.txn(txn.build()).getIndex());
      return Status.OK;
    } catch (KvException e) {
      return failed("delete", e);
    }
  }

  /** Reads of records this instance's thread had written, and how many missed the write. */
  OwnWrites ownWrites() {
    return ownWrites;
  }

  private Status write(String op, String table, String key, Map<String, ByteIterator> values) {
    if (values.isEmpty()) {
      log.warn("{} of {} has no fields to write", op, key);
      return Status.BAD_REQUEST;
    }
    ByteString record = RecordLayout.recordPrefix(table, key);
    try {
      long index;
      if (values.size() == 1) {
        Map.Entry<String, ByteIterator> only = values.entrySet().iterator().next();
        index = kv.put(RecordLayout.fieldKey(record, only.getKey()),
            ByteString.copyFrom(only.getValue().toArray())).getIndex();
      } else {
        TxnRequest.Builder txn = TxnRequest.newBuilder();
        for (Map.Entry<String, ByteIterator> field : values.entrySet()) {
          txn.addSuccess(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
              .setKey(RecordLayout.fieldKey(record, field.getKey()))
              .setValue(ByteString.copyFrom(field.getValue().toArray()))));
        }
        index = kv.txn(txn.build()).getIndex();
      }
      ownWrites.wrote(record, index);
      return Status.OK;
    } catch (KvException e) {
      return failed(op, e);
    }
  }

  private static Status failed(String op, KvException e) {
    if (LOGGED.add(e.code())) {
      log.warn("{} failed: {} (later {} failures are only counted, in YCSB's Return= lines)",
          op, e.getMessage(), e.code());
    } else {
      log.debug("{} failed: {}", op, e.getMessage());
    }
    return switch (e.code()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED -> Status.SERVICE_UNAVAILABLE;
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> Status.BAD_REQUEST;
      case PERMISSION_DENIED, UNAUTHENTICATED -> Status.FORBIDDEN;
      default -> Status.ERROR;
    };
  }
}
