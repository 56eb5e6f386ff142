package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.Consistency;
import raftkv.v1.RangeRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;

/** Reads go where their level allows: eventual ones to replicas, the rest to the leader. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class EventualReadTest {
  private static final ReadOptions EVENTUAL =
      ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL).build();

  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void withoutKnownRolesEventualReadsRotateOverTheEndpoints() {
    cluster.node("a:1");
    cluster.node("b:2").followerOf("a:1");
    cluster.node("c:3").followerOf("a:1");
    KvClient client = cluster.clientWithoutPolling("a:1", "b:2", "c:3");

    List<String> servedBy = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      servedBy.add(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy());
    }

    assertThat(servedBy).containsExactly("id-a:1", "id-b:2", "id-c:3", "id-a:1", "id-b:2",
        "id-c:3");
  }

  @Test
  void withKnownRolesEventualReadsRotateOverTheFollowersAndSpareTheLeader() {
    FakeNode leader = cluster.node("a:1");
    cluster.node("b:2").followerOf("a:1");
    cluster.node("c:3").followerOf("a:1");
    KvClient client = FakeCluster.rolesKnown(cluster.client("a:1", "b:2", "c:3"));

    List<String> servedBy = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      servedBy.add(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy());
    }

    // They take turns: b, c, b, c or c, b, c, b.
    assertThat(servedBy).containsOnly("id-b:2", "id-c:3");
    assertThat(servedBy.get(1)).isNotEqualTo(servedBy.get(0));
    assertThat(servedBy.subList(2, 4)).isEqualTo(servedBy.subList(0, 2));
    assertThat(leader.received).isEmpty();
  }

  @Test
  void withOneEndpointEventualReadsStayOnItWhileLinearizableOnesGoToTheLeader() {
    FakeNode follower = cluster.node("b:2").followerOf("a:1");
    FakeNode leader = cluster.node("a:1");
    KvClient client = cluster.client("b:2");

    for (int i = 0; i < 4; i++) {
      assertThat(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy())
          .isEqualTo("id-b:2");
    }
    assertThat(client.blocking().get("k").getMeta().getServedBy()).isEqualTo("id-a:1");
    // The leader is now known, yet eventual reads stay pinned.
    assertThat(client.blocking().range(RangeRequest.newBuilder().setRead(EVENTUAL).build())
        .getMeta().getServedBy()).isEqualTo("id-b:2");
    assertThat(follower.received).hasSize(6);
    assertThat(leader.received).hasSize(1);
  }

  @Test
  void anEventualReadSkipsAnEndpointThatIsDown() {
    cluster.node("b:2");
    KvClient client = cluster.client("down:1", "b:2");

    assertThat(client.blocking().get("k", Consistency.EVENTUAL).getMeta().getServedBy())
        .isEqualTo("id-b:2");
  }

  @Test
  void aReadOnlyTxnIsSentWithoutWriteIdWhereItsLevelAllows() {
    FakeNode leader = cluster.node("a:1");
    FakeNode follower = cluster.node("b:2").followerOf("a:1");
    KvClient client = FakeCluster.rolesKnown(cluster.client("a:1", "b:2"));
    TxnRequest read = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setGet(RequestOp.Get.newBuilder().setKey(ByteString.copyFromUtf8("k")))).build();

    client.blocking().txn(read.toBuilder().setRead(EVENTUAL).build());
    client.blocking().txn(read.toBuilder().setRead(EVENTUAL).build());
    client.blocking().txn(read);

    assertThat(leader.count(TxnRequest.class)).isEqualTo(1);
    assertThat(follower.count(TxnRequest.class)).isEqualTo(2);
    assertThat(leader.writeIds).isEmpty();
    assertThat(follower.writeIds).isEmpty();
  }

  @Test
  void aTxnWithAWriteInEitherBranchIsAWriteSentToTheLeader() {
    FakeNode follower = cluster.node("b:2").followerOf("a:1");
    FakeNode leader = cluster.node("a:1");
    KvClient client = cluster.client("b:2");
    TxnRequest txn = TxnRequest.newBuilder().setRead(EVENTUAL)
        .addFailure(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
            .setKey(ByteString.copyFromUtf8("k")).setValue(ByteString.copyFromUtf8("v"))))
        .build();

    assertThat(client.blocking().txn(txn).getIndex()).isEqualTo(1);

    assertThat(follower.writeIds).hasSize(1);
    assertThat(leader.writeIds).containsExactlyElementsOf(follower.writeIds);
  }
}
