package raftkv.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.rocksdb.RocksDBException;
import raftkv.core.RaftNode;
import raftkv.token.SessionToken;
import raftkv.v1.LeaseGrantRequest;
import raftkv.v1.LeaseGrantResponse;
import raftkv.v1.LeaseGrpc;
import raftkv.v1.LeaseInfoRequest;
import raftkv.v1.LeaseInfoResponse;
import raftkv.v1.LeaseKeepAliveRequest;
import raftkv.v1.LeaseKeepAliveResponse;
import raftkv.v1.LeaseRevokeRequest;
import raftkv.v1.LeaseRevokeResponse;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.LeaseEnd;
import raftkv.v1.internal.LeaseGrant;
import raftkv.v1.internal.LeaseOutcome;
import raftkv.v1.internal.LeaseRecord;

/**
 * The Lease service, served by the leader only (others answer UNAVAILABLE with a NotLeader
 * detail). Grants and revocations are proposed to Raft and answered from the applied outcome;
 * keep-alives renew deadlines in the {@link LeaseKeeper}, which alone decides expiry. See
 * docs/leases.md for the contract. Thread-safe; no gRPC thread waits on Raft or a key scan.
 */
final class LeaseService extends LeaseGrpc.LeaseImplBase {
  /** LeaseInfo lists at most this many attached keys, and at most {@link #MAX_INFO_KEY_BYTES}. */
  static final int MAX_INFO_KEYS = 1000;
  static final int MAX_INFO_KEY_BYTES = 1 << 20;

  private final RaftNode node;
  private final LeaseKeeper keeper;
  private final RequestValidator validator;
  private final Errors errors;
  private final Executor scans;
  private final long clusterId;

  /** @param scans runs the key listing of LeaseInfo (up to 1,000 keys) off the gRPC thread */
  LeaseService(RaftNode node, LeaseKeeper keeper, Limits limits, Errors errors, Executor scans,
      long clusterId) {
    this.node = node;
    this.keeper = keeper;
    this.validator = new RequestValidator(limits, clusterId);
    this.errors = errors;
    this.scans = scans;
    this.clusterId = clusterId;
  }

  @Override
  public void leaseGrant(LeaseGrantRequest req, StreamObserver<LeaseGrantResponse> observer) {
    UnaryCall<LeaseGrantResponse> call = new UnaryCall<>(observer, errors);
    if (!call.validate(() -> validator.leaseGrant(req)) || !onLeader(call, "granted")) {
      return;
    }
    Command grant = Command.newBuilder()
        .setWriteId(req.getWriteId())
        .setProposedAtMs(System.currentTimeMillis())
        .setLeaseGrant(LeaseGrant.newBuilder().setTtlMs(req.getTtlMs()))
        .build();
    propose(grant, call, lease -> LeaseGrantResponse.newBuilder()
        .setId(lease.getId())
        .setTtlMs(lease.getTtlMs())
        .setIndex(lease.getIndex())
        .setSessionToken(token(lease.getIndex()))
        .build());
  }

  @Override
  public void leaseRevoke(LeaseRevokeRequest req, StreamObserver<LeaseRevokeResponse> observer) {
    UnaryCall<LeaseRevokeResponse> call = new UnaryCall<>(observer, errors);
    if (!call.validate(() -> validator.leaseId(req, req.getId())) || !onLeader(call, "revoked")) {
      return;
    }
    Command end = Command.newBuilder()
        .setProposedAtMs(System.currentTimeMillis())
        .setLeaseEnd(LeaseEnd.newBuilder().setId(req.getId()))
        .build();
    propose(end, call, lease -> LeaseRevokeResponse.newBuilder()
        .setIndex(lease.getIndex())
        .setDeletedKeys(lease.getDeletedKeys())
        .setSessionToken(token(lease.getIndex()))
        .build());
  }

  @Override
  public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(
      StreamObserver<LeaseKeepAliveResponse> responses) {
    return new KeepAliveStream(responses, node, keeper, errors);
  }

  @Override
  public void leaseInfo(LeaseInfoRequest req, StreamObserver<LeaseInfoResponse> observer) {
    UnaryCall<LeaseInfoResponse> call = new UnaryCall<>(observer, errors);
    if (!call.validate(() -> validator.leaseId(req, req.getId())) || !onLeader(call, "read")) {
      return;
    }
    long id = req.getId();
    LeaseRecord lease;
    try {
      lease = node.store().lease(id);
    } catch (RocksDBException e) {
      call.fail(e);
      return;
    }
    if (lease == null) {
      call.fail(notFound(id));
      return;
    }
    long remaining = keeper.remainingMs(id);
    LeaseInfoResponse info = LeaseInfoResponse.newBuilder()
        .setId(id)
        .setGrantedTtlMs(lease.getTtlMs())
        // No deadline here yet (granted this very moment): it has its full TTL.
        .setRemainingTtlMs(remaining < 0 ? lease.getTtlMs() : remaining)
        .build();
    if (!req.getKeys()) {
      call.succeed(info);
      return;
    }
    CompletableFuture.supplyAsync(() -> {
      try {
        return info.toBuilder().addAllKeys(attachedKeys(id)).build();
      } catch (RocksDBException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, scans).whenComplete(call::complete);
  }

  private List<ByteString> attachedKeys(long id) throws RocksDBException {
    List<ByteString> keys = new java.util.ArrayList<>();
    long bytes = 0;
    for (byte[] key : node.store().leaseKeys(id, MAX_INFO_KEYS)) {
      bytes += key.length;
      if (bytes > MAX_INFO_KEY_BYTES) {
        break;
      }
      keys.add(ByteString.copyFrom(key));
    }
    return keys;
  }

  private boolean onLeader(UnaryCall<?> call, String what) {
    if (call.cancelled()) {
      return false;
    }
    if (!node.isLeader()) {
      call.fail(errors.notLeader("leases are " + what + " by the leader"));
      return false;
    }
    return true;
  }

  private <R> void propose(Command command, UnaryCall<R> call,
      Function<LeaseOutcome, R> toResponse) {
    long id = command.hasLeaseEnd() ? command.getLeaseEnd().getId() : 0;
    node.propose(command).whenComplete((outcome, failure) -> {
      if (failure != null) {
        call.fail(failure);
      } else if (outcome.hasRejected()) {
        call.fail(Errors.rejected(outcome.getRejected()));
      } else if (!outcome.hasLease()) {
        call.fail(Errors.writeIdReused(command.getWriteId()));
      } else if (outcome.getLease().getNotFound()) {
        call.fail(notFound(id));
      } else {
        call.succeed(toResponse.apply(outcome.getLease()));
      }
    });
  }

  static io.grpc.StatusRuntimeException notFound(long id) {
    return Status.NOT_FOUND.withDescription("lease " + Long.toUnsignedString(id)
        + " does not exist (expired, revoked or never granted)").asRuntimeException();
  }

  private String token(long index) {
    return new SessionToken(clusterId, index).encode();
  }
}
