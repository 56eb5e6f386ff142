package raftkv.server;

import com.google.protobuf.Any;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.RaftFailure;
import raftkv.core.RaftNode;
import raftkv.reads.RemovedFromCluster;
import raftkv.reads.ReplicaLagging;
import raftkv.reads.ReplicaProgress;
import raftkv.v1.Member;
import raftkv.v1.NotLeader;

/**
 * The one place where failures become gRPC statuses. Clients act on the code:
 *
 * <ul>
 *   <li>INVALID_ARGUMENT: the request is wrong; nothing was done. Never retry.
 *   <li>UNAVAILABLE with a {@link NotLeader} detail: go to the named leader. For a write the
 *       outcome may be unknown; retrying with the same write id is safe.
 *   <li>UNAVAILABLE with a {@link raftkv.v1.NodeRemoved} detail: this node was removed from
 *       the configuration and will not serve the call; try another, and not this one again.
 *   <li>UNAVAILABLE without a detail: this node cannot serve now (stopping, no leader); try
 *       another.
 *   <li>RESOURCE_EXHAUSTED: the leader's apply queue is full, or it is changing membership or
 *       leadership; back off and retry.
 *   <li>FAILED_PRECONDITION with a {@link raftkv.v1.ReplicaLagging} detail: this replica
 *       is behind what the read needs (applied, needed index and lag inside); try another
 *       replica or the leader.
 *   <li>FAILED_PRECONDITION without it: a write whose sequence was acknowledged and forgotten.
 *   <li>OUT_OF_RANGE with a {@link raftkv.v1.HistoryCompacted} detail (Watch): the start is
 *       older than the history this node keeps; the detail names the oldest start.
 *   <li>INTERNAL: the node's storage failed.
 * </ul>
 *
 * Thread-safe.
 */
final class Errors {
  private static final Logger LOG = LoggerFactory.getLogger(Errors.class);
  private final RaftNode node;
  private final Members members;
  private final String nodeId;
  private final ReplicaProgress progress;

  Errors(RaftNode node, Members members) {
    this(node, members, "", null);
  }

  /** @param progress for the lag in ReplicaLagging details; null leaves it 0 */
  Errors(RaftNode node, Members members, String nodeId, ReplicaProgress progress) {
    this.node = node;
    this.members = members;
    this.nodeId = nodeId;
    this.progress = progress;
  }

  StatusRuntimeException toStatus(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (cause instanceof InvalidRequest) {
      return Status.INVALID_ARGUMENT.withDescription(cause.getMessage()).asRuntimeException();
    }
    if (cause instanceof RemovedFromCluster) {
      return removed(cause.getMessage());
    }
    if (cause instanceof ReplicaLagging lagging) {
      return replicaLagging(lagging);
    }
    if (cause instanceof RaftFailure raft) {
      // The client gets words it can act on; jraft's own text (internal class names, Bolt's
      // wording) stays here.
      LOG.debug("{} for a client: {}", raft.kind(), raft.detail());
      switch (raft.kind()) {
        case NOT_LEADER:
          return notLeader(raft.getMessage());
        case BUSY:
          return Status.RESOURCE_EXHAUSTED.withDescription(raft.getMessage()
              + "; retry after a backoff").asRuntimeException();
        default:
          return Status.UNAVAILABLE.withDescription(raft.getMessage()).asRuntimeException();
      }
    }
    if (cause instanceof RocksDBException) {
      return Status.INTERNAL.withDescription("storage error: " + cause.getMessage())
          .withCause(cause).asRuntimeException();
    }
    if (cause instanceof CancellationException) {
      return Status.CANCELLED.withDescription("cancelled").asRuntimeException();
    }
    return Status.INTERNAL.withDescription(String.valueOf(cause)).withCause(cause)
        .asRuntimeException();
  }

  /** UNAVAILABLE naming the current leader, when this node knows one. */
  StatusRuntimeException notLeader(String why) {
    String leader = node.leaderRaftAddress();
    NotLeader.Builder hint = NotLeader.newBuilder();
    String description;
    if (leader == null) {
      description = "no leader is known right now (" + why + "); retry shortly";
    } else {
      Member m = members.member(leader);
      hint.setLeaderId(m.getId()).setLeaderGrpcAddress(m.getGrpcAddress());
      description = "not the leader (" + why + "); the leader is " + m.getId() + " at "
          + m.getGrpcAddress();
    }
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.UNAVAILABLE.value())
        .setMessage(description)
        .addDetails(Any.pack(hint.build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /**
   * UNAVAILABLE with a {@link raftkv.v1.NodeRemoved} detail: unlike a node that is stopping or
   * without a leader, this one will not serve the call however often it is asked, and the
   * detail lets a client stop asking it.
   */
  StatusRuntimeException removed(String why) {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.UNAVAILABLE.value())
        .setMessage("node " + nodeId + ": " + why)
        .addDetails(Any.pack(raftkv.v1.NodeRemoved.newBuilder().setNodeId(nodeId).build()))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /** FAILED_PRECONDITION: this replica is behind what the read needs; another may serve it. */
  StatusRuntimeException replicaLagging(ReplicaLagging lagging) {
    ReplicaProgress.Lag lag = progress == null ? null : progress.lag();
    raftkv.v1.ReplicaLagging detail = raftkv.v1.ReplicaLagging.newBuilder()
        .setNodeId(nodeId)
        .setAppliedIndex(lagging.appliedIndex())
        .setNeededIndex(lagging.neededIndex())
        .setLagEntries(lag == null ? 0 : lag.entries())
        .setLagMs(lag == null ? 0 : lag.millis())
        .build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.FAILED_PRECONDITION.value())
        .setMessage("node " + nodeId + " is lagging: " + lagging.getMessage())
        .addDetails(Any.pack(detail))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /**
   * FAILED_PRECONDITION with a {@link raftkv.v1.MemberLagging} detail: the member is too far
   * behind for what was asked (promotion, leadership); empty lag: it is not replicating
   * normally (see RaftNode#replicaLogLag), reported as the largest lag.
   */
  StatusRuntimeException memberLagging(String id, java.util.OptionalLong lag, long maxLagEntries) {
    String message = lag.isPresent()
        ? id + " is " + lag.getAsLong() + " entries behind the leader's log; the limit is "
            + maxLagEntries + " (max_lag_entries): retry once it has caught up"
        : id + " is not replicating normally from the leader (down, unreachable, or "
            + "installing a snapshot): retry once it has caught up";
    raftkv.v1.MemberLagging detail = raftkv.v1.MemberLagging.newBuilder().setId(id)
        .setLagEntries(lag.orElse(Long.MAX_VALUE)).setMaxLagEntries(maxLagEntries).build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.FAILED_PRECONDITION.value())
        .setMessage(message)
        .addDetails(Any.pack(detail))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  /**
   * OUT_OF_RANGE with a {@link raftkv.v1.HistoryCompacted} detail: a watch asked for changes
   * after {@code requestedAfter}, but this node keeps only those after
   * {@code compactedThrough}.
   */
  StatusRuntimeException historyCompacted(long requestedAfter, long compactedThrough) {
    raftkv.v1.HistoryCompacted detail = raftkv.v1.HistoryCompacted.newBuilder()
        .setNodeId(nodeId)
        .setCompactedThrough(compactedThrough)
        .setRequestedAfter(requestedAfter)
        .build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.OUT_OF_RANGE.value())
        .setMessage("node " + nodeId + " no longer keeps the changes after index " + requestedAfter
            + ": its history starts after index " + compactedThrough + ", the oldest start "
            + "still available (start_after_index >= " + compactedThrough + "); read the keys "
            + "afresh and watch from there, or ask a node that keeps more history")
        .addDetails(Any.pack(detail))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }

  static StatusRuntimeException rejected(String why) {
    return Status.FAILED_PRECONDITION.withDescription(why).asRuntimeException();
  }

  /**
   * FAILED_PRECONDITION: the write id's recorded outcome is of another kind of write (a lease
   * grant's for a put, or the reverse), so the id was reused for a different request.
   */
  static StatusRuntimeException writeIdReused(raftkv.v1.WriteId id) {
    return rejected("write_id " + id.getClientId() + "/" + Long.toUnsignedString(id.getSequence())
        + " was already used by another kind of write; nothing was done: use a new sequence");
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
