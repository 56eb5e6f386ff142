package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.MiniCluster;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.NotLeader;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/** What a 3-voter cluster tells a client that talks to the wrong node. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LeaderRedirectTest {
  @TempDir Path dir;
  MiniCluster cluster;
  Stubs stubs = new Stubs();

  @BeforeEach
  void start() {
    cluster = MiniCluster.start(3, dir);
  }

  @AfterEach
  void stop() {
    stubs.close();
    cluster.close();
  }

  @Test
  void aFollowerRefusesWritesWithTheLeadersIdAndAddress() {
    String leader = cluster.awaitLeader();
    String follower = cluster.followers().get(0);

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.kv(cluster.grpcAddress(follower)).put(put("k", "v")));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    NotLeader hint = StatusProto.fromThrowable(refused).getDetailsList().stream()
        .filter(a -> a.is(NotLeader.class)).findFirst().map(a -> unpack(a)).orElseThrow();
    assertThat(hint.getLeaderId()).isEqualTo(leader);
    assertThat(hint.getLeaderGrpcAddress()).isEqualTo(cluster.grpcAddress(leader));
  }

  @Test
  void aWriteOnTheLeaderIsVisibleToLinearizableReadsOnEveryNode() {
    String leader = cluster.awaitLeader();
    PutResponse put = stubs.kv(cluster.grpcAddress(leader)).put(put("greeting", "hello"));
    assertThat(put.getIndex()).isPositive();

    for (String id : cluster.ids()) {
      GetResponse got = stubs.kv(cluster.grpcAddress(id)).get(
          GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("greeting")).build());
      assertThat(got.getFound()).as("found on %s", id).isTrue();
      assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("hello");
      assertThat(got.getKv().getVersion()).isEqualTo(put.getIndex());
      assertThat(got.getMeta().getServedBy()).isEqualTo(id);
      assertThat(got.getMeta().getAppliedIndex()).isGreaterThanOrEqualTo(put.getIndex());
    }
  }

  @Test
  void statusNamesRoleLeaderAndVotersOnEveryNode() {
    String leader = cluster.awaitLeader();
    for (String id : cluster.ids()) {
      StatusResponse status = stubs.admin(cluster.grpcAddress(id)).status(StatusRequest.getDefaultInstance());
      assertThat(status.getNodeId()).isEqualTo(id);
      assertThat(status.getRole()).isEqualTo(id.equals(leader) ? Role.LEADER : Role.FOLLOWER);
      assertThat(status.getLeaderId()).isEqualTo(leader);
      assertThat(status.getLeaderGrpcAddress()).isEqualTo(cluster.grpcAddress(leader));
      assertThat(status.getTerm()).isPositive();
      assertThat(status.getVotersList()).extracting(m -> m.getId())
          .containsExactlyInAnyOrderElementsOf(cluster.ids());
    }
  }

  static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
        .setValue(ByteString.copyFromUtf8(value)).build();
  }

  private static NotLeader unpack(com.google.protobuf.Any any) {
    try {
      return any.unpack(NotLeader.class);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
