package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.MiniCluster;
import raftkv.token.SessionToken;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.ReplicaLagging;

/**
 * Reads served by a learner held behind the leader (its apply paused by a test hook): what
 * each consistency level and lag policy does.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplicaReadLevelsTest {
  @TempDir static Path dir;
  static MiniCluster cluster;
  static Stubs stubs = new Stubs();
  static String leader;
  static String replica;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, 1, dir, java.util.function.UnaryOperator.identity());
    leader = cluster.awaitLeader();
    replica = cluster.learners().get(0);
  }

  @AfterEach
  void release() {
    cluster.node(replica).node().resumeApply();
  }

  @AfterAll
  static void stop() {
    stubs.close();
    cluster.close();
  }

  @Test
  void aSessionReadOnALaggingReplicaWaitsForTheSessionsWriteWhileAnEventualReadSeesTheOldValue()
      throws Exception {
    PutResponse first = put("profile", "old");
    awaitApplied(replica, first.getIndex());
    cluster.node(replica).node().holdApply();
    PutResponse second = put("profile", "new");

    ListenableFuture<GetResponse> sessionRead = KVGrpc.newFutureStub(channelTo(replica))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .get(get("profile", session(second.getSessionToken(), 20_000, LagPolicy.WAIT)));
    GetResponse eventual = kv(replica).get(get("profile",
        ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL).build()));
    assertThat(eventual.getKv().getValue().toStringUtf8()).isEqualTo("old");
    assertThat(eventual.getMeta().getAppliedIndex()).isLessThan(second.getIndex());
    assertThat(sessionRead.isDone()).as("session read still waiting").isFalse();

    cluster.node(replica).node().resumeApply();
    GetResponse session = sessionRead.get(30, TimeUnit.SECONDS);
    assertThat(session.getKv().getValue().toStringUtf8()).isEqualTo("new");
    assertThat(session.getMeta().getServedBy()).isEqualTo(replica);
    assertThat(session.getMeta().getAppliedIndex()).isGreaterThanOrEqualTo(second.getIndex());
    assertThat(SessionToken.parse(session.getMeta().getSessionToken()).index())
        .isGreaterThanOrEqualTo(second.getIndex());
    assertThat(session.getMeta().getWaitedMicros()).isPositive();
  }

  @Test
  void failPolicyRefusesAtOnceWithTheAppliedAndNeededIndexes() {
    PutResponse first = put("a", "1");
    awaitApplied(replica, first.getIndex());
    cluster.node(replica).node().holdApply();
    PutResponse second = put("a", "2");

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> kv(replica).get(get("a", session(second.getSessionToken(), 0, LagPolicy.FAIL))));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    ReplicaLagging lagging = lagging(refused);
    assertThat(lagging.getNodeId()).isEqualTo(replica);
    assertThat(lagging.getNeededIndex()).isEqualTo(second.getIndex());
    assertThat(lagging.getAppliedIndex()).isGreaterThanOrEqualTo(first.getIndex())
        .isLessThan(second.getIndex());
  }

  @Test
  void waitPolicyRefusesOnceTheBudgetRunsOut() {
    PutResponse first = put("b", "1");
    awaitApplied(replica, first.getIndex());
    cluster.node(replica).node().holdApply();
    PutResponse second = put("b", "2");

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> kv(replica).get(get("b", session(second.getSessionToken(), 200, LagPolicy.WAIT))));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(refused.getStatus().getDescription()).contains("waiting");
    assertThat(lagging(refused).getNeededIndex()).isEqualTo(second.getIndex());
  }

  @Test
  void boundedStalenessRefusesAReplicaOutsideTheBoundAndAcceptsOneInside() {
    PutResponse first = put("c", "0");
    awaitApplied(replica, first.getIndex());
    cluster.node(replica).node().holdApply();
    PutResponse last = null;
    for (int i = 1; i <= 5; i++) {
      last = put("c", Integer.toString(i));
    }
    long lastIndex = last.getIndex();
    await("the held replica receives the entries").atMost(Duration.ofSeconds(10))
        .until(() -> cluster.node(replica).node().lastLogIndex() >= lastIndex);
    ReadOptions withinTwo = ReadOptions.newBuilder().setConsistency(Consistency.BOUNDED_STALENESS)
        .setMaxLagEntries(2).setLagPolicy(LagPolicy.FAIL).build();

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> kv(replica).get(get("c", withinTwo)));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(lagging(refused).getLagEntries()).isGreaterThanOrEqualTo(5);

    GetResponse fromLeader = kv(leader).get(get("c", withinTwo));
    assertThat(fromLeader.getKv().getValue().toStringUtf8()).isEqualTo("5");
    assertThat(fromLeader.getMeta().getLagEntries()).isLessThanOrEqualTo(2);

    cluster.node(replica).node().resumeApply();
    awaitApplied(replica, lastIndex);
    // Accepted again once the leader confirms the caught-up learner fresh (every 50 ms).
    GetResponse[] caughtUp = new GetResponse[1];
    await("the caught-up learner is accepted within the bound").atMost(Duration.ofSeconds(10))
        .ignoreException(StatusRuntimeException.class)
        .until(() -> (caughtUp[0] = kv(replica).get(get("c", withinTwo))) != null);
    assertThat(caughtUp[0].getKv().getValue().toStringUtf8()).isEqualTo("5");
  }

  @Test
  void aTokenFromAnotherClusterOrAMalformedOneIsRefused() {
    String foreign = new SessionToken(0x0123456789abcdefL, 1).encode();
    StatusRuntimeException other = catchThrowableOfType(StatusRuntimeException.class,
        () -> kv(replica).get(get("a", session(foreign, 0, LagPolicy.WAIT))));
    assertThat(other.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(other.getStatus().getDescription()).contains("belongs to cluster 0123456789abcdef");

    StatusRuntimeException malformed = catchThrowableOfType(StatusRuntimeException.class,
        () -> kv(replica).get(get("a", session("not-a-token", 0, LagPolicy.WAIT))));
    assertThat(malformed.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(malformed.getStatus().getDescription()).contains("malformed session token");
  }

  @Test
  void writesAndReadsHandOutTokensOfThisCluster() {
    PutResponse put = put("t", "v");
    SessionToken token = SessionToken.parse(put.getSessionToken());
    assertThat(token.index()).isEqualTo(put.getIndex());
    GetResponse read = kv(leader).get(get("t", session(put.getSessionToken(), 1000, LagPolicy.WAIT)));
    assertThat(SessionToken.parse(read.getMeta().getSessionToken()).clusterId())
        .isEqualTo(token.clusterId());
  }

  static ReadOptions session(String token, int budgetMs, LagPolicy policy) {
    return ReadOptions.newBuilder().setConsistency(Consistency.SESSION).setSessionToken(token)
        .setWaitBudgetMs(budgetMs).setLagPolicy(policy).build();
  }

  static GetRequest get(String key, ReadOptions read) {
    return GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setRead(read).build();
  }

  static PutResponse put(String key, String value) {
    return kv(leader).put(LeaderRedirectTest.put(key, value));
  }

  static KVGrpc.KVBlockingStub kv(String id) {
    return stubs.kv(cluster.grpcAddress(id));
  }

  static io.grpc.Channel channelTo(String id) {
    return stubs.kv(cluster.grpcAddress(id)).getChannel();
  }

  static void awaitApplied(String id, long index) {
    await(id + " applied " + index).atMost(Duration.ofSeconds(20))
        .until(() -> cluster.node(id).node().appliedIndex() >= index);
  }

  static ReplicaLagging lagging(StatusRuntimeException e) {
    return StatusProto.fromThrowable(e).getDetailsList().stream()
        .filter(a -> a.is(ReplicaLagging.class)).findFirst().map(a -> {
          try {
            return a.unpack(ReplicaLagging.class);
          } catch (InvalidProtocolBufferException x) {
            throw new AssertionError(x);
          }
        }).orElseThrow(() -> new AssertionError("no ReplicaLagging detail in " + e));
  }
}
