package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.Compare;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.WriteId;
import raftkv.v1.internal.Command;

/** Scenarios of a 3-voter cluster driven through raw gRPC calls to the leader. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReplicationScenariosTest extends ClusterPerTest {

  @Test
  void linearizableReadsOnAnyNodeSeeEveryAcknowledgedWrite() {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    for (int i = 0; i < 60; i++) {
      PutResponse put = stubs.kv(cluster.grpcAddress(leader)).put(put("k" + i, "v" + i));
      // Straight after the acknowledgement, on a node chosen round-robin (followers included).
      String reader = cluster.ids().get(i % 3);
      GetResponse got = stubs.kv(cluster.grpcAddress(reader)).get(get("k" + i));
      assertThat(got.getFound()).as("k%d on %s", i, reader).isTrue();
      assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("v" + i);
      assertThat(got.getMeta().getAppliedIndex()).isGreaterThanOrEqualTo(put.getIndex());
    }
  }

  @Test
  void aFollowerThatMissedWritesCatchesUpByLogWithTheSameStateAtTheSameIndex() {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    String lagging = cluster.followers().get(0);
    cluster.stop(lagging);
    for (int i = 0; i < 200; i++) {
      stubs.kv(cluster.grpcAddress(leader)).put(put("missed" + i, "v" + i));
    }
    cluster.restart(lagging);
    cluster.awaitConverged();
    assertThat(cluster.stateHash(lagging).appliedIndex()).isGreaterThanOrEqualTo(200);
  }

  @Test
  void aFollowerBehindTheLeadersLogCatchesUpBySnapshotInstall() throws Exception {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    String lagging = cluster.followers().get(0);
    cluster.stop(lagging);
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 100; i++) {
        stubs.kv(cluster.grpcAddress(leader)).put(put("r" + round + "k" + i, "v" + i));
      }
      // Two snapshots: jraft truncates the log only up to the previous snapshot.
      for (String id : cluster.ids()) {
        if (cluster.isRunning(id)) {
          cluster.node(id).node().snapshot().get(30, TimeUnit.SECONDS);
        }
      }
    }
    cluster.restart(lagging);
    cluster.awaitConverged();

    GetResponse got = stubs.kv(cluster.grpcAddress(lagging)).get(get("r0k7"));
    assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("v7");
    assertThat(snapshotsIn(dir.resolve(lagging))).as("snapshot installed on " + lagging)
        .isPositive();
  }

  @Test
  void replayAfterRestartDoesNotApplyANonIdempotentTxnTwice() throws Exception {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    // Proposed without a write id (the API refuses that for a writing transaction), so that
    // only the applied index, not the exactly-once table, can keep replay from applying it twice.
    TxnResponse first = cluster.node(leader).node().propose(Command.newBuilder()
        .setProposedAtMs(System.currentTimeMillis()).setTxn(firstOrSecond("x", null)).build())
        .get(10, TimeUnit.SECONDS).getTxn();
    assertThat(first.getSucceeded()).isTrue();
    for (int i = 0; i < 20; i++) {
      stubs.kv(cluster.grpcAddress(leader)).put(put("other" + i, "v"));
    }
    for (String id : cluster.ids()) {
      cluster.stop(id);
    }
    for (String id : cluster.ids()) {
      cluster.restart(id);
    }
    String newLeader = cluster.awaitLeader();
    cluster.awaitConverged();
    for (String id : cluster.ids()) {
      GetResponse got = stubs.kv(cluster.grpcAddress(id)).get(get("x"));
      assertThat(got.getKv().getValue().toStringUtf8()).as("x on %s", id).isEqualTo("first");
      assertThat(got.getKv().getVersion()).isEqualTo(first.getIndex());
    }
    assertThat(newLeader).isNotNull();
  }

  @Test
  void aRetriedWriteWithTheSameClientIdAndSequenceIsAppliedOnce() {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    WriteId id = WriteId.newBuilder().setClientId("retrying-client").setSequence(7).build();

    TxnResponse first = stubs.kv(cluster.grpcAddress(leader)).txn(firstOrSecond("y", id));
    TxnResponse retry = stubs.kv(cluster.grpcAddress(leader)).txn(firstOrSecond("y", id));

    assertThat(retry).as("the retry is answered with the recorded outcome").isEqualTo(first);
    GetResponse got = stubs.kv(cluster.grpcAddress(leader)).get(get("y"));
    assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("first");
    assertThat(got.getKv().getVersion()).isEqualTo(first.getIndex());

    // A new sequence from the same client is a new write.
    TxnResponse next = stubs.kv(cluster.grpcAddress(leader)).txn(firstOrSecond("y",
        id.toBuilder().setSequence(8).setAckedBelow(8).build()));
    assertThat(next.getSucceeded()).isFalse();
    assertThat(stubs.kv(cluster.grpcAddress(leader)).get(get("y")).getKv().getValue()
        .toStringUtf8()).isEqualTo("second");
  }

  /** "If key is missing put first, else put second": applying it twice shows. */
  static TxnRequest firstOrSecond(String key, WriteId id) {
    ByteString k = ByteString.copyFromUtf8(key);
    TxnRequest.Builder txn = TxnRequest.newBuilder()
        .addCompares(Compare.newBuilder().setKey(k).setTarget(Compare.Target.EXISTS)
            .setOp(Compare.Operator.NOT_EQUAL))
        .addSuccess(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(k)
            .setValue(ByteString.copyFromUtf8("first"))))
        .addFailure(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(k)
            .setValue(ByteString.copyFromUtf8("second"))));
    if (id != null) {
      txn.setWriteId(id);
    }
    return txn.build();
  }

  static long snapshotsIn(Path nodeDir) throws IOException {
    Path snapshots = nodeDir.resolve("raft").resolve("snapshot");
    if (!Files.isDirectory(snapshots)) {
      return 0;
    }
    try (Stream<Path> entries = Files.list(snapshots)) {
      return entries.filter(p -> p.getFileName().toString().startsWith("snapshot_")).count();
    }
  }

  static PutRequest put(String key, String value) {
    return PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
        .setValue(ByteString.copyFromUtf8(value)).build();
  }

  static GetRequest get(String key) {
    return GetRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build();
  }
}
