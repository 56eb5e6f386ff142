package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.KVGrpc;
import raftkv.v1.PutRequest;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.WriteId;

/**
 * A request at the API's limits is served like a smaller one: under concurrent writes, puts of
 * a 4096-byte key with a 1 MiB value and transactions of 128 operations filling the 1.5 MiB
 * request limit all succeed, the smaller writes beside them too, and the leader stays the
 * leader. (Such requests failed with UNAVAILABLE and once deposed the leader: see
 * RaftLinkTuning; RaftLinkTuningTest shows the mechanism deterministically.)
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LimitSizedWritesTest extends ClusterPerTest {
  private static final Limits LIMITS = Limits.DEFAULTS;
  private static final int ROUNDS = 6;
  private static final int BACKGROUND_WRITERS = 4;

  @Test
  void putsAndTransactionsAtTheLimitSucceedUnderConcurrentWritesWithoutALeaderChange()
      throws Exception {
    cluster = MiniCluster.start(3, dir);
    String leader = cluster.awaitLeader();
    stubs.kv(cluster.grpcAddress(leader)).put(put(ByteString.copyFromUtf8("warm"), 1));
    long term = cluster.node(leader).node().term();

    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger smallWrites = new AtomicInteger();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < BACKGROUND_WRITERS; w++) {
      int writer = w;
      ManagedChannel channel = stubs.channel(cluster.grpcAddress(leader));
      Thread t = new Thread(() -> {
        for (int i = 0; !stop.get(); i++) {
          try {
            kv(channel).put(put(ByteString.copyFromUtf8("small-" + writer + "-" + i % 50), 100));
            smallWrites.incrementAndGet();
          } catch (StatusRuntimeException e) {
            failures.add("small write: " + e.getStatus());
          }
        }
      }, "small-writer-" + w);
      t.start();
      writers.add(t);
    }
    ManagedChannel channel = stubs.channel(cluster.grpcAddress(leader));
    try {
      long sequence = 1;
      for (int round = 0; round < ROUNDS; round++) {
        PutRequest bigPut = put(ByteString.copyFrom(key(round)), LIMITS.maxValueBytes()).toBuilder()
            .setWriteId(writeId(sequence++)).build();
        assertThat(kv(channel).put(bigPut).getIndex())
            .as("put of a %d-byte key and a %d-byte value", LIMITS.maxKeyBytes(),
                LIMITS.maxValueBytes()).isPositive();

        TxnRequest bigTxn = txnAtTheLimit(round, writeId(sequence++));
        TxnResponse txn = kv(channel).txn(bigTxn);
        assertThat(txn.getSucceeded()).as("transaction of %d operations, %d bytes",
            bigTxn.getSuccessCount(), bigTxn.getSerializedSize()).isTrue();
      }
    } finally {
      stop.set(true);
      for (Thread t : writers) {
        t.join();
      }
    }

    assertThat(failures).as("failed writes").isEmpty();
    assertThat(smallWrites.get()).as("small writes beside the large ones").isPositive();
    assertThat(cluster.awaitLeader()).as("leader").isEqualTo(leader);
    assertThat(cluster.node(leader).node().term()).as("term").isEqualTo(term);
    cluster.awaitConverged();
  }

  /** 128 puts whose request is as close to the 1.5 MiB request limit as whole bytes allow. */
  private static TxnRequest txnAtTheLimit(int round, WriteId id) {
    int valueBytes = LIMITS.maxRequestBytes() / LIMITS.maxTxnOps();
    TxnRequest txn;
    do {
      TxnRequest.Builder builder = TxnRequest.newBuilder().setWriteId(id);
      for (int op = 0; op < LIMITS.maxTxnOps(); op++) {
        builder.addSuccess(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
            .setKey(ByteString.copyFromUtf8("txn-" + round + "-" + op))
            .setValue(ByteString.copyFrom(new byte[valueBytes]))));
      }
      txn = builder.build();
      valueBytes--;
    } while (txn.getSerializedSize() > LIMITS.maxRequestBytes());
    assertThat(txn.getSerializedSize()).isGreaterThan(LIMITS.maxRequestBytes() - 1024);
    return txn;
  }

  private static KVGrpc.KVBlockingStub kv(ManagedChannel channel) {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static byte[] key(int round) {
    byte[] key = new byte[LIMITS.maxKeyBytes()];
    key[0] = (byte) round;
    return key;
  }

  private static PutRequest put(ByteString key, int valueBytes) {
    return PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFrom(new byte[valueBytes]))
        .build();
  }

  private static WriteId writeId(long sequence) {
    return WriteId.newBuilder().setClientId("limit-sized-writes").setSequence(sequence).build();
  }
}
