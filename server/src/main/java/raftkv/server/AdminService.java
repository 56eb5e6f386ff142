package raftkv.server;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.rocksdb.RocksDBException;
import raftkv.core.RaftNode;
import raftkv.core.StateDigest;
import raftkv.reads.ReplicaProgress;
import raftkv.token.SessionToken;
import java.util.List;
import raftkv.v1.AddLearnerRequest;
import raftkv.v1.AdminGrpc;
import raftkv.v1.DigestRequest;
import raftkv.v1.DigestResponse;
import raftkv.v1.MembershipResponse;
import raftkv.v1.RemoveLearnerRequest;
import java.util.concurrent.ScheduledExecutorService;
import raftkv.v1.AddVoterRequest;
import raftkv.v1.PromoteLearnerRequest;
import raftkv.v1.RemoveVoterRequest;
import raftkv.v1.SnapshotRequest;
import raftkv.v1.SnapshotResponse;
import raftkv.v1.TransferLeadershipRequest;
import raftkv.v1.TransferLeadershipResponse;
import raftkv.v1.Member;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/**
 * The Admin service: this node's view of itself and of the group. Thread-safe; membership
 * changes answer from jraft's callbacks, a digest from the read executor, so no call holds
 * a transport thread.
 */
final class AdminService extends AdminGrpc.AdminImplBase {
  private final ServerConfig config;
  private final RaftNode node;
  private final Members members;
  private final ReplicaProgress progress;
  private final Errors errors;
  private final Executor readExecutor;
  private final MembershipChanges changes;
  private final LeadershipTransfer transfer;
  private final ReplicationHealth replication;

  /**
   * @param readExecutor runs digests, which scan the whole store
   * @param timer nudges joining voters
   * @param transfer hands leadership over (shared with the server's shutdown)
   * @param replication the leader's sampled view of its peers, for Status
   */
  AdminService(ServerConfig config, RaftNode node, Members members, ReplicaProgress progress,
      Errors errors, Executor readExecutor, ScheduledExecutorService timer,
      LeadershipTransfer transfer, ReplicationHealth replication) {
    this.config = config;
    this.node = node;
    this.members = members;
    this.progress = progress;
    this.errors = errors;
    this.readExecutor = readExecutor;
    this.changes = new MembershipChanges(node, members, errors, timer);
    this.transfer = transfer;
    this.replication = replication;
  }

  @Override
  public void addVoter(AddVoterRequest request, StreamObserver<MembershipResponse> observer) {
    UnaryCall<MembershipResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> AdminRequestValidator.member(request, "voter", request.getVoter()))) {
      return;
    }
    changes.addVoter(request.getVoter()).whenComplete(call::complete);
  }

  @Override
  public void removeVoter(RemoveVoterRequest request, StreamObserver<MembershipResponse> observer) {
    UnaryCall<MembershipResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> AdminRequestValidator.id(request, "id", request.getId()))) {
      return;
    }
    changes.removeVoter(request.getId()).whenComplete(call::complete);
  }

  @Override
  public void promoteLearner(PromoteLearnerRequest request,
      StreamObserver<MembershipResponse> observer) {
    UnaryCall<MembershipResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> AdminRequestValidator.id(request, "id", request.getId()))) {
      return;
    }
    changes.promoteLearner(request.getId(), request.getMaxLagEntries())
        .whenComplete(call::complete);
  }

  @Override
  public void transferLeadership(TransferLeadershipRequest request,
      StreamObserver<TransferLeadershipResponse> observer) {
    UnaryCall<TransferLeadershipResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> AdminRequestValidator.id(request, "id", request.getId()))) {
      return;
    }
    transfer.transferTo(request.getId(), request.getMaxLagEntries()).whenComplete(call::complete);
  }

  @Override
  public void snapshot(SnapshotRequest request, StreamObserver<SnapshotResponse> observer) {
    UnaryCall<SnapshotResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> AdminRequestValidator.request(request))) {
      return;
    }
    node.snapshot().thenApply(done -> SnapshotResponse.newBuilder().setNodeId(config.nodeId())
        .setAppliedIndex(node.appliedIndex()).build()).whenComplete(call::complete);
  }

  @Override
  public void digest(DigestRequest request, StreamObserver<DigestResponse> observer) {
    UnaryCall<DigestResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> AdminRequestValidator.request(request))) {
      return;
    }
    CompletableFuture.supplyAsync(() -> {
      try {
        StateDigest digest = node.digest();
        return DigestResponse.newBuilder().setNodeId(config.nodeId())
            .setAppliedIndex(digest.appliedIndex()).setStateHash(digest.sha256())
            .setKeys(digest.keys()).build();
      } catch (RocksDBException e) {
        throw new CompletionException(e);
      }
    }, readExecutor).whenComplete(call::complete);
  }

  @Override
  public void addLearner(AddLearnerRequest request, StreamObserver<MembershipResponse> observer) {
    UnaryCall<MembershipResponse> call = new UnaryCall<>(observer, errors);
    Member learner = request.getLearner();
    if (!valid(call, () -> AdminRequestValidator.member(request, "learner", learner))) {
      return;
    }
    try {
      PeerSpec spec = PeerSpec.parse(learner.getId() + "=" + learner.getRaftAddress() + "/"
          + learner.getGrpcAddress() + "/learner");
      ServerConfig.requirePort(spec, spec.raftAddress());
      ServerConfig.requirePort(spec, spec.grpcAddress());
      List<String> all = new java.util.ArrayList<>(node.voters());
      all.addAll(node.learners());
      if (node.voters().contains(learner.getRaftAddress())) {
        throw new InvalidRequest(learner.getRaftAddress() + " is a voter; it cannot be a learner too");
      }
      members.raftAddressOf(learner.getId(), all)
          .filter(address -> !address.equals(learner.getRaftAddress()))
          .ifPresent(address -> {
            throw new InvalidRequest("id " + learner.getId() + " is taken by the member at " + address);
          });
    } catch (IllegalArgumentException e) {
      call.fail(new InvalidRequest(e.getMessage()));
      return;
    }
    if (!node.isLeader()) {
      call.fail(errors.notLeader("membership changes go to the leader"));
      return;
    }
    // Name it first, so every node can name the learner as soon as it is in the configuration.
    node.propose(MembershipChanges.memberRecord(learner, false))
        .thenCompose(recorded -> node.addLearner(learner.getRaftAddress()))
        .whenComplete((done, failure) -> call.complete(failure == null ? changes.membership() : null, failure));
  }

  @Override
  public void removeLearner(RemoveLearnerRequest request, StreamObserver<MembershipResponse> observer) {
    UnaryCall<MembershipResponse> call = new UnaryCall<>(observer, errors);
    if (!valid(call, () -> AdminRequestValidator.id(request, "id", request.getId()))) {
      return;
    }
    if (!node.isLeader()) {
      call.fail(errors.notLeader("membership changes go to the leader"));
      return;
    }
    List<String> learners = node.learners();
    java.util.Optional<String> address = members.raftAddressOf(request.getId(), learners);
    if (address.isEmpty()) {
      call.fail(new InvalidRequest("no learner with id '" + request.getId() + "'; learners are "
          + learners.stream().map(a -> members.member(a).getId()).toList()));
      return;
    }
    Member removed = members.member(address.get());
    node.removeLearner(address.get())
        .thenCompose(done -> node.propose(MembershipChanges.memberRecord(removed, true)))
        .whenComplete((done, failure) -> call.complete(failure == null ? changes.membership() : null, failure));
  }

  /** CPU time of this process so far; 0 where the JVM cannot tell. */
  private static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os
        ? Math.max(0, os.getProcessCpuTime()) : 0;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
    if (!valid(new UnaryCall<>(observer, errors), () -> AdminRequestValidator.request(request))) {
      return;
    }
    StatusResponse.Builder status = StatusResponse.newBuilder()
        .setNodeId(config.nodeId())
        .setRole(role())
        .setTerm(node.term())
        .setAppliedIndex(node.appliedIndex())
        .setCommitIndex(node.commitIndex())
        .addAllVoters(members.members(node.voters()))
        .addAllLearners(members.members(node.learners()))
        .setRaftAddress(config.self().raftAddress())
        .setGrpcAddress(config.self().grpcAddress())
        .setClusterId(SessionToken.clusterIdText(config.clusterId()));
    ReplicaProgress.Lag lag = progress.lag();
    status.setLagEntries(lag.entries()).setLagMs(lag.millis());
    status.setProcessCpuSeconds(processCpuNanos() / 1e9);
    String leader = node.leaderRaftAddress();
    if (leader != null) {
      Member m = members.member(leader);
      status.setLeaderId(m.getId()).setLeaderGrpcAddress(m.getGrpcAddress());
    }
    // The sampled snapshot: Status never reads jraft's replicators itself.
    ReplicationHealth.Snapshot sampled = replication.current();
    if (sampled.leader()) {
      status.setReplication(sampled.toProto());
    }
    observer.onNext(status.build());
    observer.onCompleted();
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

  private Role role() {
    switch (node.stateName()) {
      case "STATE_LEADER":
        return Role.LEADER;
      case "STATE_CANDIDATE":
        return Role.CANDIDATE;
      case "STATE_FOLLOWER":
        if (node.isRemoved()) {
          return Role.REMOVED;
        }
        return node.learners().contains(config.self().raftAddress()) ? Role.LEARNER : Role.FOLLOWER;
      default:
        return Role.INACTIVE;
    }
  }
}
