package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import raftkv.core.IndexedRead;
import raftkv.testkit.MiniCluster;
import raftkv.v1.Compare;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.GetRequest;
import raftkv.v1.KVGrpc;
import raftkv.v1.PutRequest;
import raftkv.v1.RangeRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WriteId;

/**
 * Invariant 6: bad input is refused with INVALID_ARGUMENT naming what is wrong and the limit,
 * and nothing is written — the leader's state and applied index are unchanged afterwards.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadInputTest {
  @TempDir static Path dir;
  static MiniCluster cluster;
  static Stubs stubs = new Stubs();
  static String leader;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, dir);
    leader = cluster.awaitLeader();
    stubs.kv(cluster.grpcAddress(leader)).put(put(bytes(1), bytes(1)));
  }

  @AfterAll
  static void stop() {
    stubs.close();
    cluster.close();
  }

  static Stream<Arguments> badRequests() {
    return Stream.of(
        bad("empty key", kv -> kv.put(put(ByteString.EMPTY, bytes(1))),
            "key is empty; keys are 1..4096 bytes"),
        bad("key over 4096 bytes", kv -> kv.put(put(bytes(4097), bytes(1))),
            "key is 4097 bytes; the limit is 4096 bytes"),
        bad("value over 1 MiB", kv -> kv.put(put(bytes(1), bytes((1 << 20) + 1))),
            "value is 1048577 bytes; the limit is 1048576 bytes"),
        bad("request over 1.5 MiB", kv -> kv.txn(TxnRequest.newBuilder()
                .addSuccess(putOp(bytes(1), bytes(1 << 20)))
                .addSuccess(putOp(bytes(2), bytes(1 << 20))).build()),
            "the limit is 1572864 bytes"),
        bad("txn over 128 operations", kv -> {
              TxnRequest.Builder txn = TxnRequest.newBuilder();
              for (int i = 0; i < 129; i++) {
                txn.addSuccess(putOp(bytes(1), bytes(1)));
              }
              return kv.txn(txn.build());
            },
            "transaction has 129 operations (compares + success + failure); the limit is 128"),
        bad("range page over 10000 keys", kv -> kv.range(RangeRequest.newBuilder().setLimit(10_001).build()),
            "limit 10001 is over the maximum page of 10000 keys"),
        bad("negative range limit", kv -> kv.range(RangeRequest.newBuilder().setLimit(-1).build()),
            "limit must be >= 0"),
        bad("malformed continuation", kv -> kv.range(
                RangeRequest.newBuilder().setContinuation("not!a@token").build()),
            "continuation is not a token this server issued"),
        bad("prefix with start", kv -> kv.range(RangeRequest.newBuilder()
                .setPrefix(bytes(1)).setStart(bytes(1)).build()),
            "give either prefix or start/end, not both"),
        bad("unknown field", kv -> kv.put(put(bytes(1), bytes(1)).toBuilder()
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(99,
                    UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build()).build()),
            "field this server does not know or with the wrong wire type: #99"),
        bad("known field with the wrong wire type", kv -> kv.put(PutRequest.newBuilder()
                .setValue(bytes(1))
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(1,
                    UnknownFieldSet.Field.newBuilder().addVarint(7).build()).build()).build()),
            "wrong wire type: #1"),
        bad("unknown consistency level", kv -> kv.get(GetRequest.newBuilder().setKey(bytes(1))
                .setRead(ReadOptions.newBuilder().setConsistencyValue(99)).build()),
            "unknown consistency level 99"),
        bad("acked_below above sequence", kv -> kv.delete(DeleteRequest.newBuilder().setKey(bytes(1))
                .setWriteId(WriteId.newBuilder().setClientId("c").setSequence(3).setAckedBelow(4))
                .build()),
            "write_id.acked_below (4) must be <= write_id.sequence (3)"),
        bad("EXISTS compared with GREATER", kv -> kv.txn(TxnRequest.newBuilder()
                .addCompares(Compare.newBuilder().setKey(bytes(1)).setTarget(Compare.Target.EXISTS)
                    .setOp(Compare.Operator.GREATER))
                .addSuccess(putOp(bytes(1), bytes(2))).build()),
            "an EXISTS compare takes EQUAL or NOT_EQUAL"),
        bad("empty txn op", kv -> kv.txn(TxnRequest.newBuilder()
                .addSuccess(RequestOp.getDefaultInstance()).build()),
            "success[0]: the op is empty"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void isRefusedWithAMessageNamingTheLimitAndLeavesNoTrace(String what,
      Function<KVGrpc.KVBlockingStub, Object> call, String message) {
    IndexedRead<String> before = cluster.stateHash(leader);

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> call.apply(stubs.kv(cluster.grpcAddress(leader))));

    assertThat(refused).as(what).isNotNull();
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains(message);
    assertThat(cluster.stateHash(leader)).as("state and applied index after refusal")
        .isEqualTo(before);
  }

  @Test
  void aRefusedRequestOnAFollowerIsRefusedThereToo() {
    String follower = cluster.followers().get(0);
    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> stubs.kv(cluster.grpcAddress(follower)).get(GetRequest.newBuilder()
            .setRead(ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL)).build()));
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains("key is empty");
  }

  static Arguments bad(String what, Function<KVGrpc.KVBlockingStub, Object> call, String message) {
    return Arguments.of(what, call, message);
  }

  static ByteString bytes(int n) {
    return ByteString.copyFrom(new byte[n]);
  }

  static PutRequest put(ByteString key, ByteString value) {
    return PutRequest.newBuilder().setKey(key).setValue(value).build();
  }

  static RequestOp putOp(ByteString key, ByteString value) {
    return RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(key).setValue(value))
        .build();
  }
}
