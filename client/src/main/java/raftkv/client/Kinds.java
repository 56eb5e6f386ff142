package raftkv.client;

import io.grpc.MethodDescriptor;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.LeaseGrantRequest;
import raftkv.v1.LeaseGrantResponse;
import raftkv.v1.LeaseGrpc;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadMeta;
import raftkv.v1.ReadOptions;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.WriteId;

/**
 * Where each KV method keeps the fields the client handles alike for all of them: a read's
 * options and its response's ReadMeta; a write's id, and its response's index and session
 * token. Lets one read path and one write path serve every method. Immutable.
 */
final class Kinds {
  private Kinds() {}

  record Read<Req, Resp>(MethodDescriptor<Req, Resp> method,
      Function<Req, ReadOptions> options,
      BiFunction<Req, ReadOptions, Req> withOptions,
      Function<Resp, ReadMeta> meta) {}

  record Write<Req, Resp>(MethodDescriptor<Req, Resp> method,
      BiFunction<Req, WriteId, Req> stamp,
      ToLongFunction<Resp> index,
      Function<Resp, String> token) {}

  static final Read<GetRequest, GetResponse> GET = new Read<>(KVGrpc.getGetMethod(),
      GetRequest::getRead, (r, o) -> r.toBuilder().setRead(o).build(), GetResponse::getMeta);

  static final Read<RangeRequest, RangeResponse> RANGE = new Read<>(KVGrpc.getRangeMethod(),
      RangeRequest::getRead, (r, o) -> r.toBuilder().setRead(o).build(), RangeResponse::getMeta);

  static final Read<TxnRequest, TxnResponse> TXN_READ = new Read<>(KVGrpc.getTxnMethod(),
      TxnRequest::getRead, (r, o) -> r.toBuilder().setRead(o).build(), TxnResponse::getMeta);

  static final Write<PutRequest, PutResponse> PUT = new Write<>(KVGrpc.getPutMethod(),
      (r, id) -> r.toBuilder().setWriteId(id).build(), PutResponse::getIndex,
      PutResponse::getSessionToken);

  static final Write<DeleteRequest, DeleteResponse> DELETE = new Write<>(
      KVGrpc.getDeleteMethod(), (r, id) -> r.toBuilder().setWriteId(id).build(),
      DeleteResponse::getIndex, DeleteResponse::getSessionToken);

  static final Write<TxnRequest, TxnResponse> TXN_WRITE = new Write<>(KVGrpc.getTxnMethod(),
      (r, id) -> r.toBuilder().setWriteId(id).build(), TxnResponse::getIndex,
      TxnResponse::getSessionToken);

  static final Write<LeaseGrantRequest, LeaseGrantResponse> LEASE_GRANT = new Write<>(
      LeaseGrpc.getLeaseGrantMethod(), (r, id) -> r.toBuilder().setWriteId(id).build(),
      LeaseGrantResponse::getIndex, LeaseGrantResponse::getSessionToken);
}
