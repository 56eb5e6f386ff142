package raftkv.server;

import io.grpc.stub.StreamObserver;
import raftkv.core.RaftNode;
import raftkv.reads.ReplicaProgress;
import raftkv.token.SessionToken;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Member;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/** The Admin service: this node's view of itself and of the group. Thread-safe. */
final class AdminService extends AdminGrpc.AdminImplBase {
  private final ServerConfig config;
  private final RaftNode node;
  private final Members members;
  private final ReplicaProgress progress;

  AdminService(ServerConfig config, RaftNode node, Members members, ReplicaProgress progress) {
    this.config = config;
    this.node = node;
    this.members = members;
    this.progress = progress;
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
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
    String leader = node.leaderRaftAddress();
    if (leader != null) {
      Member m = members.member(leader);
      status.setLeaderId(m.getId()).setLeaderGrpcAddress(m.getGrpcAddress());
    }
    observer.onNext(status.build());
    observer.onCompleted();
  }

  private Role role() {
    switch (node.stateName()) {
      case "STATE_LEADER":
        return Role.LEADER;
      case "STATE_CANDIDATE":
        return Role.CANDIDATE;
      case "STATE_FOLLOWER":
        return node.learners().contains(config.self().raftAddress()) ? Role.LEARNER : Role.FOLLOWER;
      default:
        return Role.INACTIVE;
    }
  }
}
