package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.AddVoterRequest;
import raftkv.v1.Member;
import raftkv.v1.MemberLagging;
import raftkv.v1.MembershipResponse;
import raftkv.v1.PromoteLearnerRequest;
import raftkv.v1.RemoveVoterRequest;
import raftkv.v1.Role;
import raftkv.v1.SnapshotRequest;
import raftkv.v1.SnapshotResponse;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;
import raftkv.v1.TransferLeadershipRequest;
import raftkv.v1.TransferLeadershipResponse;

/** Voters, promotion, leadership transfer and snapshots at runtime through the Admin service. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MembershipAdminTest extends ClusterPerTest {
  private static final Duration CATCH_UP = Duration.ofSeconds(60);

  @Test
  void aLearnerIsPromotedOnlyOnceItHasCaughtUpAndThenVotes() {
    cluster = MiniCluster.start(3, 1, dir, c -> c);
    String leader = cluster.awaitLeader();
    String learner = cluster.learners().get(0);
    cluster.stop(learner);
    for (int i = 0; i < 60; i++) {
      stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("p" + i, "v" + i));
    }

    StatusRuntimeException refused = catchThrowableOfType(() -> stubs.admin(cluster.grpcAddress(leader))
        .promoteLearner(PromoteLearnerRequest.newBuilder().setId(learner).setMaxLagEntries(10).build()),
        StatusRuntimeException.class);
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    MemberLagging lagging = detail(refused, MemberLagging.class);
    assertThat(lagging.getId()).isEqualTo(learner);
    assertThat(lagging.getLagEntries()).isGreaterThanOrEqualTo(60);
    assertThat(lagging.getMaxLagEntries()).isEqualTo(10);
    // Its process is down: the leader's replicator probes and fails, so the learner is not
    // replicating at all (a down peer would otherwise read as lag 0 in a quiet group).
    assertThat(refused.getStatus().getDescription()).contains(learner + " is not replicating");
    assertThat(status(leader).getLearnersList()).extracting(Member::getId).containsExactly(learner);

    cluster.restart(learner);
    await("learner caught up").atMost(CATCH_UP).until(() ->
        status(learner).getAppliedIndex() >= status(leader).getAppliedIndex());
    MembershipResponse promoted = await("promotion accepted").atMost(CATCH_UP)
        .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s
            && s.getStatus().getCode() == Status.Code.FAILED_PRECONDITION)
        .until(() -> stubs.admin(cluster.grpcAddress(leader)).promoteLearner(
            PromoteLearnerRequest.newBuilder().setId(learner).setMaxLagEntries(10).build()),
            r -> r != null);
    assertThat(promoted.getVotersList()).extracting(Member::getId).contains(learner);
    assertThat(promoted.getLearnersList()).isEmpty();
    await("the promoted node sees itself as a follower").atMost(CATCH_UP)
        .until(() -> status(learner).getRole() == Role.FOLLOWER);

    // It now counts toward quorum: with one original voter down, a write needs 3 of the 4
    // voters, the promoted one included.
    String survivor = cluster.followers().stream().filter(id -> !id.equals(learner)).findFirst().orElseThrow();
    cluster.stop(survivor);
    stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("after", "promotion"));
  }

  @Test
  void leadershipMovesToANamedVoterAndIsRefusedForLearnersAndLaggingVoters() {
    cluster = MiniCluster.start(3, 1, dir, c -> c);
    String leader = cluster.awaitLeader();
    String target = cluster.followers().get(0);
    String learner = cluster.learners().get(0);

    StatusRuntimeException toLearner = catchThrowableOfType(() -> stubs.admin(cluster.grpcAddress(leader))
        .transferLeadership(TransferLeadershipRequest.newBuilder().setId(learner).build()),
        StatusRuntimeException.class);
    assertThat(toLearner.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(toLearner.getStatus().getDescription()).contains(learner + " is a learner");

    TransferLeadershipResponse moved = stubs.admin(cluster.grpcAddress(leader))
        .transferLeadership(TransferLeadershipRequest.newBuilder().setId(target).build());
    assertThat(moved.getLeaderId()).isEqualTo(target);
    assertThat(status(target).getRole()).isEqualTo(Role.LEADER);
    stubs.kv(cluster.grpcAddress(target)).put(LeaderRedirectTest.put("k", "under the new leader"));

    String lagging = cluster.followers().stream().findFirst().orElseThrow();
    cluster.stop(lagging);
    for (int i = 0; i < 30; i++) {
      stubs.kv(cluster.grpcAddress(target)).put(LeaderRedirectTest.put("t" + i, "v"));
    }
    StatusRuntimeException toLagging = catchThrowableOfType(() -> stubs.admin(cluster.grpcAddress(target))
        .transferLeadership(TransferLeadershipRequest.newBuilder().setId(lagging)
            .setMaxLagEntries(5).build()),
        StatusRuntimeException.class);
    assertThat(toLagging.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(detail(toLagging, MemberLagging.class).getLagEntries()).isGreaterThanOrEqualTo(30);
    assertThat(status(target).getRole()).isEqualTo(Role.LEADER);
  }

  @Test
  void aVoterIsAddedAndRemovedThroughTheLeaderOnly() {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("before", "v4"));

    PeerSpec spec = cluster.startNewVoter("n4", dir);
    Member voter = Member.newBuilder().setId("n4").setRaftAddress(spec.raftAddress())
        .setGrpcAddress(spec.grpcAddress()).build();
    MembershipResponse added = stubs.admin(cluster.grpcAddress(leader))
        .addVoter(AddVoterRequest.newBuilder().setVoter(voter).build());
    assertThat(added.getVotersList()).contains(voter).hasSize(4);
    await("n4 applied the history").atMost(CATCH_UP)
        .until(() -> status("n4").getAppliedIndex() >= status(leader).getAppliedIndex());
    assertThat(status("n4").getRole()).isEqualTo(Role.FOLLOWER);

    String follower = cluster.followers().stream().filter(id -> !id.equals("n4")).findFirst().orElseThrow();
    StatusRuntimeException notLeader = catchThrowableOfType(() -> stubs.admin(cluster.grpcAddress(follower))
        .removeVoter(RemoveVoterRequest.newBuilder().setId("n4").build()), StatusRuntimeException.class);
    assertThat(notLeader.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

    MembershipResponse removed = stubs.admin(cluster.grpcAddress(leader))
        .removeVoter(RemoveVoterRequest.newBuilder().setId(follower).build());
    assertThat(removed.getVotersList()).extracting(Member::getId).doesNotContain(follower).hasSize(3);
    StatusRuntimeException unknown = catchThrowableOfType(() -> stubs.admin(cluster.grpcAddress(leader))
        .removeVoter(RemoveVoterRequest.newBuilder().setId(follower).build()), StatusRuntimeException.class);
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(unknown.getStatus().getDescription()).contains("no voter with id '" + follower + "'");
  }

  @Test
  void aSnapshotIsTakenOnDemand() {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("s", "v"));
    SnapshotResponse snapshot = stubs.admin(cluster.grpcAddress(leader))
        .snapshot(SnapshotRequest.getDefaultInstance());
    assertThat(snapshot.getNodeId()).isEqualTo(leader);
    assertThat(snapshot.getAppliedIndex()).isPositive();
    assertThat(dir.resolve(leader).resolve("raft").resolve("snapshot").toFile().list())
        .anyMatch(name -> name.startsWith("snapshot_"));
  }

  private StatusResponse status(String id) {
    return stubs.admin(cluster.grpcAddress(id)).status(StatusRequest.getDefaultInstance());
  }

  private static <T extends com.google.protobuf.Message> T detail(StatusRuntimeException e, Class<T> type) {
    return StatusProto.fromThrowable(e).getDetailsList().stream().filter(a -> a.is(type)).findFirst()
        .map(a -> {
          try {
            return a.unpack(type);
          } catch (com.google.protobuf.InvalidProtocolBufferException x) {
            throw new AssertionError(x);
          }
        }).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " detail in " + e));
  }
}
