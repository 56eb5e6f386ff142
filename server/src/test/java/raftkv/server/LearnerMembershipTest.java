package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.AddLearnerRequest;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.Member;
import raftkv.v1.MembershipResponse;
import raftkv.v1.PutResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.RemoveLearnerRequest;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;

/** Learners added and removed at runtime through the Admin service. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LearnerMembershipTest extends ClusterPerTest {

  @Test
  void aLearnerAddedToAClusterWithHistoryCatchesUpBySnapshotServesSessionReadsAndOnceRemovedStopsClaimingFreshness()
      throws Exception {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    PutResponse last = null;
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 50; i++) {
        last = stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("h" + round + "-" + i, "v" + i));
      }
      // Two snapshots truncate the log, so the new learner can only catch up by snapshot.
      for (String id : cluster.ids()) {
        cluster.node(id).node().snapshot().get(30, TimeUnit.SECONDS);
      }
    }

    PeerSpec spec = cluster.startNewLearner("l9", dir);
    Member learner = Member.newBuilder().setId("l9").setRaftAddress(spec.raftAddress())
        .setGrpcAddress(spec.grpcAddress()).build();
    MembershipResponse added = stubs.admin(cluster.grpcAddress(leader))
        .addLearner(AddLearnerRequest.newBuilder().setLearner(learner).build());
    assertThat(added.getLearnersList()).containsExactly(learner);

    GetResponse read = stubs.kv(spec.grpcAddress()).get(GetRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8("h0-7"))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.SESSION)
            .setSessionToken(last.getSessionToken()).setWaitBudgetMs(30_000))
        .build());
    assertThat(read.getKv().getValue().toStringUtf8()).isEqualTo("v7");
    assertThat(read.getMeta().getServedBy()).isEqualTo("l9");
    assertThat(ReplicationScenariosTest.snapshotsIn(dir.resolve("l9"))).as("installed snapshot").isPositive();
    String follower = cluster.followers().get(0);
    await("every node names the learner").atMost(Duration.ofSeconds(20)).until(() ->
        stubs.admin(cluster.grpcAddress(follower)).status(StatusRequest.getDefaultInstance())
            .getLearnersList().equals(java.util.List.of(learner)));
    assertThat(stubs.admin(spec.grpcAddress()).status(StatusRequest.getDefaultInstance()).getRole())
        .isEqualTo(Role.LEARNER);

    MembershipResponse removed = stubs.admin(cluster.grpcAddress(leader))
        .removeLearner(RemoveLearnerRequest.newBuilder().setId("l9").build());
    assertThat(removed.getLearnersList()).isEmpty();
    await("l9 learns it was removed").atMost(Duration.ofSeconds(20)).until(() ->
        stubs.admin(spec.grpcAddress()).status(StatusRequest.getDefaultInstance()).getRole() == Role.REMOVED);
    String token = last.getSessionToken();
    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.kv(spec.grpcAddress()).get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("h0-7"))
            .setRead(ReadOptions.newBuilder().setConsistency(Consistency.SESSION)
                .setSessionToken(token)).build()));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(refused.getStatus().getDescription()).contains("removed from the cluster");
    GetResponse eventual = stubs.kv(spec.grpcAddress()).get(GetRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8("h0-7"))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL)).build());
    assertThat(eventual.getKv().getValue().toStringUtf8()).isEqualTo("v7");
  }

  @Test
  void membershipChangesAreRefusedByFollowersWithTheLeaderNamedAndBadRequestsExplained() {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    String follower = cluster.followers().get(0);
    Member learner = Member.newBuilder().setId("lx").setRaftAddress("127.0.0.1:" + MiniCluster.freePort())
        .setGrpcAddress("127.0.0.1:" + MiniCluster.freePort()).build();

    StatusRuntimeException notLeader = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.admin(cluster.grpcAddress(follower))
            .addLearner(AddLearnerRequest.newBuilder().setLearner(learner).build()));
    assertThat(notLeader.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(notLeader.getStatus().getDescription()).contains(leader);

    StatusRuntimeException badAddress = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.admin(cluster.grpcAddress(leader)).addLearner(AddLearnerRequest.newBuilder()
            .setLearner(learner.toBuilder().setRaftAddress("nowhere")).build()));
    assertThat(badAddress.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

    StatusRuntimeException unknown = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.admin(cluster.grpcAddress(leader))
            .removeLearner(RemoveLearnerRequest.newBuilder().setId("nobody").build()));
    assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(unknown.getStatus().getDescription()).contains("no learner with id 'nobody'");
  }
}
