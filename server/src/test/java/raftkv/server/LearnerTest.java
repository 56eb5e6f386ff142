package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.Member;
import raftkv.v1.PutResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/** Learners: they apply the log and serve replica reads, and never vote (invariant 7). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LearnerTest extends ClusterPerTest {

  @Test
  void learnersApplyTheLogServeSessionReadsAndAreNeverVoters() {
    cluster = MiniCluster.start(3, 2, dir, UnaryOperator.identity());
    String leader = cluster.awaitLeader();
    PutResponse put = stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("k", "v"));

    for (String learner : cluster.learners()) {
      GetResponse got = stubs.kv(cluster.grpcAddress(learner)).get(GetRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8("k"))
          .setRead(ReadOptions.newBuilder().setConsistency(Consistency.SESSION)
              .setSessionToken(put.getSessionToken()).setWaitBudgetMs(10_000))
          .build());
      assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("v");
      assertThat(got.getMeta().getServedBy()).isEqualTo(learner);

      StatusResponse status = stubs.admin(cluster.grpcAddress(learner))
          .status(StatusRequest.getDefaultInstance());
      assertThat(status.getRole()).isEqualTo(Role.LEARNER);
      assertThat(status.getVotersList()).extracting(Member::getId).doesNotContain(learner);
      assertThat(status.getLearnersList()).extracting(Member::getId).contains(learner);
    }
    StatusResponse fromLeader = stubs.admin(cluster.grpcAddress(leader)).status(StatusRequest.getDefaultInstance());
    assertThat(fromLeader.getVotersList()).extracting(Member::getId).containsExactlyInAnyOrder("n1", "n2", "n3");
    assertThat(fromLeader.getLearnersList()).extracting(Member::getId).containsExactlyInAnyOrder("l1", "l2");
  }

  @Test
  void aLearnerCutOffFromEveryVoterIsRefusedByBoundedStalenessButStillServesEventualReads() {
    cluster = MiniCluster.start(3, 1, dir, UnaryOperator.identity());
    String leader = cluster.awaitLeader();
    stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("b", "1"));
    GetRequest bounded = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("b"))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.BOUNDED_STALENESS)
            .setMaxLagMs(300).setLagPolicy(raftkv.v1.LagPolicy.FAIL)).build();
    await("the learner serves a 300 ms bound while connected").atMost(Duration.ofSeconds(20))
        .ignoreException(io.grpc.StatusRuntimeException.class)
        .until(() -> stubs.kv(cluster.grpcAddress("l1")).get(bounded).getFound());

    for (String voter : java.util.List.of("n1", "n2", "n3")) {
      cluster.stop(voter);
    }
    // Nothing new reaches it, so its lag alone looks like 0; the missing confirmations do not.
    await("the isolated learner refuses the 300 ms bound").atMost(Duration.ofSeconds(20))
        .until(() -> {
          try {
            stubs.kv(cluster.grpcAddress("l1")).get(bounded);
            return false;
          } catch (io.grpc.StatusRuntimeException refused) {
            return refused.getStatus().getCode() == io.grpc.Status.Code.FAILED_PRECONDITION;
          }
        });
    GetRequest eventual = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("b"))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL)).build();
    assertThat(stubs.kv(cluster.grpcAddress("l1")).get(eventual).getKv().getValue().toStringUtf8())
        .isEqualTo("1");
    await("the lost contact shows in the learner's reported lag").atMost(Duration.ofSeconds(20))
        .until(() -> stubs.kv(cluster.grpcAddress("l1")).get(eventual).getMeta().getLagMs() > 500);
  }

  @Test
  void writesCommitWithAMajorityOfVotersWhileEveryLearnerIsDown() {
    cluster = MiniCluster.start(3, 2, dir, UnaryOperator.identity());
    String leader = cluster.awaitLeader();
    String follower = cluster.followers().get(0);
    for (String learner : cluster.learners()) {
      cluster.stop(learner);
    }
    cluster.stop(follower);
    // Two of three voters: a majority, whatever the learners do.
    PutResponse put = stubs.kv(cluster.grpcAddress(leader)).put(LeaderRedirectTest.put("quorum", "voters"));
    assertThat(put.getIndex()).isPositive();

    for (String learner : java.util.List.of("l1", "l2")) {
      cluster.restart(learner);
    }
    await("learners catch up").atMost(Duration.ofSeconds(30)).until(() -> cluster.learners().stream()
        .allMatch(l -> cluster.node(l).node().appliedIndex() >= put.getIndex()));
  }
}
