package raftkv.server;

import com.google.protobuf.ByteString;
import java.util.function.Function;
import io.grpc.stub.StreamObserver;
import raftkv.core.KvStore;
import raftkv.core.RaftNode;
import raftkv.core.RangePage;
import raftkv.reads.ReadPath;
import raftkv.reads.ReadRequirement;
import raftkv.reads.ServedRead;
import raftkv.token.SessionToken;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadMeta;
import raftkv.v1.RequestOp;
import raftkv.v1.ResponseOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.WriteId;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.RangeCursor;

/**
 * The KV service. Every request is validated first (a refused one leaves no trace). Writes
 * become one-op or multi-op transactions proposed to Raft; the call is answered by the
 * proposal's completion, so no gRPC thread waits on Raft. Reads go through {@link ReadPath}
 * at the level they ask for. Thread-safe.
 */
final class KvService extends KVGrpc.KVImplBase {
  private final String nodeId;
  private final RaftNode node;
  private final ReadPath reads;
  private final RequestValidator validator;
  private final Limits limits;
  private final Errors errors;
  private final long clusterId;

  KvService(String nodeId, RaftNode node, ReadPath reads, Limits limits, Errors errors,
      long clusterId) {
    this.nodeId = nodeId;
    this.node = node;
    this.reads = reads;
    this.validator = new RequestValidator(limits, clusterId);
    this.limits = limits;
    this.errors = errors;
    this.clusterId = clusterId;
  }

  @Override
  public void put(PutRequest req, StreamObserver<PutResponse> observer) {
    UnaryCall<PutResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> validator.put(req))) {
      return;
    }
    TxnRequest txn = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setPut(
        RequestOp.Put.newBuilder().setKey(req.getKey()).setValue(req.getValue())
            .setPrevKv(req.getPrevKv()).setLease(req.getLease()))).build();
    write(req.getWriteId(), txn, call, r -> {
      PutResponse.Builder response = PutResponse.newBuilder().setIndex(r.getIndex())
          .setSessionToken(token(r.getIndex()));
      ResponseOp.Put put = r.getResponses(0).getPut();
      if (put.hasPrevKv()) {
        response.setPrevKv(put.getPrevKv());
      }
      return response.build();
    });
  }

  @Override
  public void delete(DeleteRequest req, StreamObserver<DeleteResponse> observer) {
    UnaryCall<DeleteResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> validator.delete(req))) {
      return;
    }
    TxnRequest txn = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setDelete(
        RequestOp.Delete.newBuilder().setKey(req.getKey()).setPrevKv(req.getPrevKv()))).build();
    write(req.getWriteId(), txn, call, r -> {
      ResponseOp.Delete delete = r.getResponses(0).getDelete();
      DeleteResponse.Builder response = DeleteResponse.newBuilder().setIndex(r.getIndex())
          .setDeleted(delete.getDeleted()).setSessionToken(token(r.getIndex()));
      if (delete.hasPrevKv()) {
        response.setPrevKv(delete.getPrevKv());
      }
      return response.build();
    });
  }

  @Override
  public void txn(TxnRequest req, StreamObserver<TxnResponse> observer) {
    UnaryCall<TxnResponse> call = new UnaryCall<>(observer, errors);
    ReadRequirement[] requirement = new ReadRequirement[1];
    if (!valid(call, () -> requirement[0] = validator.txn(req))) {
      return;
    }
    if (KvStore.isReadOnly(req)) {
      reads.read(requirement[0], store -> store.readOnlyTxn(req))
          .whenComplete((r, failure) -> call.complete(
              failure != null ? null
                  : r.result().toBuilder().setMeta(meta(r)).build(), failure));
      return;
    }
    write(req.getWriteId(), req.toBuilder().clearWriteId().clearRead().build(), call,
        r -> r.toBuilder().setSessionToken(token(r.getIndex())).build());
  }

  @Override
  public void get(GetRequest req, StreamObserver<GetResponse> observer) {
    UnaryCall<GetResponse> call = new UnaryCall<>(observer, errors);
    ReadRequirement[] requirement = new ReadRequirement[1];
    if (!valid(call, () -> requirement[0] = validator.get(req))) {
      return;
    }
    byte[] key = req.getKey().toByteArray();
    reads.read(requirement[0], store -> store.get(key))
        .whenComplete((r, failure) -> {
          if (failure != null) {
            call.fail(failure);
            return;
          }
          GetResponse.Builder response = GetResponse.newBuilder().setMeta(meta(r));
          if (r.result() != null) {
            response.setFound(true).setKv(r.result());
          }
          call.succeed(response.build());
        });
  }

  @Override
  public void range(RangeRequest req, StreamObserver<RangeResponse> observer) {
    UnaryCall<RangeResponse> call = new UnaryCall<>(observer, errors);
    RangeCursor[] bounds = new RangeCursor[1];
    ReadRequirement[] requirement = new ReadRequirement[1];
    if (!valid(call, () -> {
      requirement[0] = validator.range(req);
      bounds[0] = RangeCursors.bounds(req);
    })) {
      return;
    }
    byte[] start = bounds[0].getNextStart().toByteArray();
    ByteString end = bounds[0].getEnd();
    int limit = req.getLimit() == 0 ? limits.maxRangeLimit() : req.getLimit();
    // A page may hold thousands of keys: read it off the transport thread.
    reads.read(requirement[0], store -> store.range(start, end.toByteArray(),
            limit, req.getKeysOnly(), limits.maxRangeResponseBytes()), true)
        .whenComplete((r, failure) -> {
          if (failure != null) {
            call.fail(failure);
            return;
          }
          RangePage page = r.result();
          RangeResponse.Builder response =
              RangeResponse.newBuilder().addAllKvs(page.kvs()).setMeta(meta(r));
          if (page.more()) {
            response.setMore(true).setContinuation(RangeCursors.encode(page.nextStart(), end));
          }
          call.succeed(response.build());
        });
  }

  private <R> void write(WriteId id, TxnRequest txn, UnaryCall<R> call,
      Function<TxnResponse, R> toResponse) {
    if (call.cancelled()) {
      return;
    }
    if (!node.isLeader()) {
      call.fail(errors.notLeader("writes go to the leader"));
      return;
    }
    if (!leasesExist(txn, call)) {
      return;
    }
    Command command = Command.newBuilder()
        .setWriteId(id)
        .setProposedAtMs(System.currentTimeMillis())
        .setTxn(txn)
        .build();
    node.propose(command).whenComplete((outcome, failure) -> {
      if (failure != null) {
        call.fail(failure);
      } else if (outcome.hasRejected()) {
        call.fail(Errors.rejected(outcome.getRejected()));
      } else if (!outcome.hasTxn()) {
        call.fail(Errors.writeIdReused(id));
      } else {
        call.succeed(toResponse.apply(outcome.getTxn()));
      }
    });
  }

  /**
   * Refuses a write naming a lease the leader's store does not hold before it costs a log
   * entry. Apply checks again: the lease may end between this check and the write's index.
   */
  private boolean leasesExist(TxnRequest txn, UnaryCall<?> call) {
    try {
      for (long lease : KvStore.leasesUsed(txn)) {
        if (node.store().lease(lease) == null) {
          call.fail(Errors.rejected("lease " + Long.toUnsignedString(lease) + " does not exist "
              + "(it expired or was revoked, or was never granted); nothing was written"));
          return false;
        }
      }
      return true;
    } catch (org.rocksdb.RocksDBException e) {
      call.fail(e);
      return false;
    }
  }

  private ReadMeta meta(ServedRead<?> read) {
    return ReadMeta.newBuilder()
        .setServedBy(nodeId)
        .setAppliedIndex(read.appliedIndex())
        .setLagEntries(read.lag().entries())
        .setLagMs(read.lag().millis())
        .setSessionToken(token(read.appliedIndex()))
        .setWaitedMicros(read.waitedMicros())
        .build();
  }

  private String token(long index) {
    return new SessionToken(clusterId, index).encode();
  }

  private static boolean valid(UnaryCall<?> call, Runnable validation) {
    try {
      validation.run();
      return true;
    } catch (InvalidRequest e) {
      call.fail(e);
      return false;
    }
  }
}
