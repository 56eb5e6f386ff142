package raftkv.core;

import com.google.protobuf.ByteString;
import java.util.List;
import org.rocksdb.RocksDBException;
import raftkv.v1.Compare;
import raftkv.v1.KeyValue;
import raftkv.v1.RequestOp;
import raftkv.v1.ResponseOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.internal.StoredValue;

/**
 * Evaluates an etcd-style transaction: every compare must hold for the success
 * branch to run, otherwise the failure branch runs; ops run in order and each
 * sees the writes of the ops before it.
 *
 * <p>Deterministic and total: the result depends only on the request, the index
 * and what the reader returns. Malformed compares (refused before proposing,
 * but possible in an old log) evaluate to false instead of throwing, because a
 * throwing apply halts the node.
 */
final class TxnEvaluator {
  private TxnEvaluator() {}

  /**
   * @param index the log index the writes are stamped with (their version)
   * @param writer {@code null} for a read-only evaluation; then put and delete ops
   *     must not occur (callers check {@link #isReadOnly})
   */
  static TxnResponse evaluate(TxnRequest txn, long index, KeyReader reader, KeyWriter writer)
      throws RocksDBException {
    boolean succeeded = true;
    for (Compare compare : txn.getComparesList()) {
      if (!holds(compare, reader.get(compare.getKey().toByteArray()))) {
        succeeded = false;
        break;
      }
    }
    TxnResponse.Builder response = TxnResponse.newBuilder().setSucceeded(succeeded);
    for (RequestOp op : succeeded ? txn.getSuccessList() : txn.getFailureList()) {
      response.addResponses(run(op, index, reader, writer));
    }
    return response.build();
  }

  /** The leases the transaction's puts attach keys to, in either branch (0 excluded). */
  static java.util.Set<Long> leasesUsed(TxnRequest txn) {
    java.util.Set<Long> leases = new java.util.TreeSet<>();
    for (List<RequestOp> ops : List.of(txn.getSuccessList(), txn.getFailureList())) {
      for (RequestOp op : ops) {
        if (op.getOpCase() == RequestOp.OpCase.PUT && op.getPut().getLease() != 0) {
          leases.add(op.getPut().getLease());
        }
      }
    }
    return leases;
  }

  /** True when neither branch writes, so the transaction can be served as a read. */
  static boolean isReadOnly(TxnRequest txn) {
    return onlyGets(txn.getSuccessList()) && onlyGets(txn.getFailureList());
  }

  private static boolean onlyGets(List<RequestOp> ops) {
    for (RequestOp op : ops) {
      if (op.getOpCase() != RequestOp.OpCase.GET) {
        return false;
      }
    }
    return true;
  }

  static boolean holds(Compare compare, StoredValue current) {
    switch (compare.getTarget()) {
      case VALUE:
        if (current == null) {
          return false;
        }
        return matches(compare.getOp(), ByteString.unsignedLexicographicalComparator()
            .compare(current.getValue(), compare.getValue()));
      case VERSION:
        long version = current == null ? 0 : current.getVersion();
        return matches(compare.getOp(), Long.compareUnsigned(version, compare.getVersion()));
      case EXISTS:
        switch (compare.getOp()) {
          case EQUAL:
            return current != null;
          case NOT_EQUAL:
            return current == null;
          default:
            return false;
        }
      default:
        return false;
    }
  }

  private static boolean matches(Compare.Operator op, int cmp) {
    switch (op) {
      case EQUAL:
        return cmp == 0;
      case NOT_EQUAL:
        return cmp != 0;
      case GREATER:
        return cmp > 0;
      case LESS:
        return cmp < 0;
      default:
        return false;
    }
  }

  private static ResponseOp run(RequestOp op, long index, KeyReader reader, KeyWriter writer)
      throws RocksDBException {
    switch (op.getOpCase()) {
      case PUT: {
        RequestOp.Put put = op.getPut();
        byte[] key = put.getKey().toByteArray();
        StoredValue previous = reader.get(key);
        writer.put(key, previous, StoredValue.newBuilder()
            .setValue(put.getValue())
            .setVersion(index)
            .setCreateIndex(previous == null ? index : previous.getCreateIndex())
            .setLease(put.getLease())
            .build());
        ResponseOp.Put.Builder result = ResponseOp.Put.newBuilder();
        if (put.getPrevKv() && previous != null) {
          result.setPrevKv(toKeyValue(put.getKey(), previous, false));
        }
        return ResponseOp.newBuilder().setPut(result).build();
      }
      case DELETE: {
        RequestOp.Delete delete = op.getDelete();
        byte[] key = delete.getKey().toByteArray();
        StoredValue previous = reader.get(key);
        ResponseOp.Delete.Builder result = ResponseOp.Delete.newBuilder().setDeleted(previous != null);
        if (previous != null) {
          writer.delete(key, previous);
          if (delete.getPrevKv()) {
            result.setPrevKv(toKeyValue(delete.getKey(), previous, false));
          }
        }
        return ResponseOp.newBuilder().setDelete(result).build();
      }
      case GET: {
        StoredValue current = reader.get(op.getGet().getKey().toByteArray());
        ResponseOp.Get.Builder result = ResponseOp.Get.newBuilder().setFound(current != null);
        if (current != null) {
          result.setKv(toKeyValue(op.getGet().getKey(), current, false));
        }
        return ResponseOp.newBuilder().setGet(result).build();
      }
      default:
        // An empty op (refused before proposing): answer with an empty result.
        return ResponseOp.getDefaultInstance();
    }
  }

  static KeyValue toKeyValue(ByteString key, StoredValue stored, boolean keysOnly) {
    KeyValue.Builder kv = KeyValue.newBuilder()
        .setKey(key)
        .setVersion(stored.getVersion())
        .setCreateIndex(stored.getCreateIndex())
        .setLease(stored.getLease());
    if (!keysOnly) {
      kv.setValue(stored.getValue());
    }
    return kv.build();
  }
}
