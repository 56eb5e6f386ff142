package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.DeleteRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WriteId;

/** Write ids: stable across retries, unique per write, and a safe acked_below watermark. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class WriteIdTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void aWriteRetriedOnTheSameNodeRepeatsItsClientIdAndSequence() {
    FakeNode leader = cluster.node("l:1").failNext(
        FakeNode.status(Status.Code.UNAVAILABLE, "leader changing"),
        FakeNode.status(Status.Code.RESOURCE_EXHAUSTED, "apply queue full"),
        FakeNode.status(Status.Code.UNAVAILABLE, "leader changing"));
    KvClient client = cluster.client("l:1");

    client.blocking().put("k", "v");

    assertThat(leader.writeIds).hasSize(4).containsOnly(leader.writeIds.get(0));
    assertThat(leader.writeIds.get(0).getClientId()).isEqualTo(client.clientId());
    assertThat(leader.writeIds.get(0).getSequence()).isEqualTo(1);
  }

  @Test
  void aWriteRedirectedToTheLeaderCarriesTheWriteIdTheFollowerSaw() {
    FakeNode follower = cluster.node("f:1").followerOf("l:2");
    FakeNode leader = cluster.node("l:2");
    KvClient client = cluster.client("f:1", "l:2");

    client.blocking().delete("k");

    assertThat(follower.writeIds).hasSize(1);
    assertThat(leader.writeIds).containsExactlyElementsOf(follower.writeIds);
  }

  @Test
  void eachWriteTakesTheNextSequenceUnderOnePrintableClientId() {
    FakeNode leader = cluster.node("l:1");
    KvClient client = cluster.client("l:1");

    client.blocking().put("a", "1");
    client.blocking().delete("a");
    client.blocking().txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setDelete(RequestOp.Delete.newBuilder().setKey(com.google.protobuf.ByteString
            .copyFromUtf8("a")))).build());

    assertThat(leader.writeIds).extracting(WriteId::getSequence).containsExactly(1L, 2L, 3L);
    assertThat(leader.writeIds).extracting(WriteId::getClientId).containsOnly(client.clientId());
    assertThat(client.clientId()).matches("[0-9a-f]{32}");
    assertThat(cluster.client("l:1").clientId()).isNotEqualTo(client.clientId());
  }

  @Test
  void aWriteIdAlreadyInTheRequestIsReplaced() {
    FakeNode leader = cluster.node("l:1");
    KvClient client = cluster.client("l:1");

    client.blocking().delete(DeleteRequest.newBuilder()
        .setKey(com.google.protobuf.ByteString.copyFromUtf8("k"))
        .setWriteId(WriteId.newBuilder().setClientId("someone-else").setSequence(99)).build());

    assertThat(leader.writeIds.get(0).getClientId()).isEqualTo(client.clientId());
    assertThat(leader.writeIds.get(0).getSequence()).isEqualTo(1);
  }

  @Test
  void ackedBelowAdvancesAsCallsCompleteButNeverPastOneInFlight() {
    FakeNode leader = cluster.node("l:1");
    KvClient client = cluster.client("l:1");

    CompletableFuture<PutResponse> first = client.async().put("hold-1", "v");
    await().until(() -> leader.holds("hold-1"));
    client.blocking().put("k2", "v");
    client.blocking().put("k3", "v");
    leader.release("hold-1");
    first.join();
    client.blocking().put("k4", "v");

    assertThat(leader.writeIds).extracting(WriteId::getSequence, WriteId::getAckedBelow)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1L, 1L),
            // 1 is in flight: the server must keep its outcome.
            org.assertj.core.groups.Tuple.tuple(2L, 1L),
            org.assertj.core.groups.Tuple.tuple(3L, 1L),
            // 1, 2 and 3 have all been answered.
            org.assertj.core.groups.Tuple.tuple(4L, 4L));
  }

  @Test
  void aFinalFailureTakesItsSequenceOutOfFlight() {
    FakeNode leader = cluster.node("l:1")
        .failNext(FakeNode.status(Status.Code.INVALID_ARGUMENT, "key is empty"));
    KvClient client = cluster.client("l:1");

    client.async().put("", "v").exceptionally(t -> null).join();
    client.blocking().put("k", "v");

    assertThat(leader.writeIds.get(1).getAckedBelow()).isEqualTo(2);
  }

  @Test
  void aCancelledWriteTakesItsSequenceOutOfFlight() {
    FakeNode leader = cluster.node("l:1");
    KvClient client = cluster.client("l:1");

    CompletableFuture<PutResponse> held = client.async().put("hold-1", "v");
    await().until(() -> leader.holds("hold-1"));
    held.cancel(false);

    assertThat(client.dispatcher().writeIds().ackedBelow()).isEqualTo(2);
  }

  @Test
  void underConcurrentWritesNoAckedBelowPassesASequenceTheServerHasNotAnswered()
      throws InterruptedException {
    FakeNode leader = cluster.node("l:1");
    // The first 60 attempts are refused and retried after a backoff, so answers come out of
    // sequence order.
    for (int i = 0; i < 60; i++) {
      leader.failNext(FakeNode.status(Status.Code.RESOURCE_EXHAUSTED, "busy"));
    }
    KvClient client = cluster.client("l:1");
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    List<CompletableFuture<?>> calls = new ArrayList<>();

    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int writer = t;
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 50; i++) {
          CompletableFuture<PutResponse> call = client.async().put("w" + writer + "-" + i, "v");
          synchronized (calls) {
            calls.add(call);
          }
        }
      });
      thread.start();
      writers.add(thread);
    }
    for (Thread writer : writers) {
      writer.join();
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();

    for (WriteId id : leader.writeIds) {
      if (id.getAckedBelow() > id.getSequence()) {
        violations.add("acked_below above own sequence: " + id);
      }
    }
    assertThat(violations).isEmpty();
    assertThat(leader.watermarkViolations).isEmpty();
    assertThat(leader.answered).hasSize(200);
    assertThat(client.dispatcher().writeIds().ackedBelow()).isEqualTo(201);
  }
}
