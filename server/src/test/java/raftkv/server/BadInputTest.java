package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
import raftkv.v1.AddLearnerRequest;
import raftkv.v1.AddVoterRequest;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Compare;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.GetRequest;
import raftkv.v1.KVGrpc;
import raftkv.v1.Member;
import raftkv.v1.PromoteLearnerRequest;
import raftkv.v1.PutRequest;
import raftkv.v1.RangeRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RemoveLearnerRequest;
import raftkv.v1.RemoveVoterRequest;
import raftkv.v1.RequestOp;
import raftkv.v1.StatusRequest;
import raftkv.v1.TransferLeadershipRequest;
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
            "success[0]: the op is empty"),
        bad("writing txn without write_id", kv -> kv.txn(TxnRequest.newBuilder()
                .addSuccess(putOp(bytes(1), bytes(2))).build()),
            "write_id is required when a transaction writes"),
        bad("txn writing only in its failure branch, write_id without client_id", kv -> kv.txn(
                TxnRequest.newBuilder().setWriteId(WriteId.getDefaultInstance())
                    .addCompares(Compare.newBuilder().setKey(bytes(1))
                        .setTarget(Compare.Target.EXISTS).setOp(Compare.Operator.EQUAL))
                    .addSuccess(getOp(bytes(1)))
                    .addFailure(RequestOp.newBuilder().setDelete(
                        RequestOp.Delete.newBuilder().setKey(bytes(1)))).build()),
            "write_id is required when a transaction writes"),
        bad("wait_budget_ms of 2^31 (uint32 read as a negative int)", kv -> kv.get(
                GetRequest.newBuilder().setKey(bytes(1)).setRead(ReadOptions.newBuilder()
                    .setConsistency(Consistency.SESSION).setWaitBudgetMs((int) (1L << 31)))
                    .build()),
            "wait_budget_ms 2147483648 is over the limit of 60000 ms"),
        bad("wait_budget_ms of 2^32 - 1", kv -> kv.range(RangeRequest.newBuilder()
                .setRead(ReadOptions.newBuilder().setWaitBudgetMs(-1)).build()),
            "wait_budget_ms 4294967295 is over the limit of 60000 ms"),
        bad("max_lag_entries of 2^63 (uint64 read as a negative long)", kv -> kv.get(
                GetRequest.newBuilder().setKey(bytes(1)).setRead(ReadOptions.newBuilder()
                    .setConsistency(Consistency.BOUNDED_STALENESS)
                    .setMaxLagEntries(Long.MIN_VALUE)).build()),
            "max_lag_entries 9223372036854775808 is out of range; the limit is "
                + Long.MAX_VALUE),
        bad("max_lag_ms of 2^64 - 1", kv -> kv.txn(TxnRequest.newBuilder()
                .addSuccess(getOp(bytes(1))).setRead(ReadOptions.newBuilder()
                    .setConsistency(Consistency.BOUNDED_STALENESS).setMaxLagMs(-1)).build()),
            "max_lag_ms 18446744073709551615 is out of range"),
        bad("acked_below of 2^63 above sequence 5 (compared unsigned)", kv -> kv.put(
                put(bytes(1), bytes(1)).toBuilder().setWriteId(WriteId.newBuilder()
                    .setClientId("c").setSequence(5).setAckedBelow(Long.MIN_VALUE)).build()),
            "write_id.acked_below (9223372036854775808) must be <= write_id.sequence (5)"));
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

  /** kv.proto: write_id is optional on Put and Delete (required only on a writing Txn). */
  @Test
  void aPutAndADeleteWithoutAWriteIdAreApplied() {
    // The leader now, not the one found at set-up: on a loaded box the shared cluster may
    // have elected another since.
    KVGrpc.KVBlockingStub kv = stubs.kv(cluster.grpcAddress(cluster.awaitLeader()));
    ByteString key = ByteString.copyFromUtf8("no-write-id");

    assertThat(kv.put(put(key, bytes(3))).getIndex()).isPositive();
    assertThat(kv.delete(DeleteRequest.newBuilder().setKey(key).build()).getDeleted()).isTrue();
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

  static Stream<Arguments> badAdminRequests() {
    Member good = Member.newBuilder().setId("l9").setRaftAddress("127.0.0.1:7999")
        .setGrpcAddress("127.0.0.1:9999").build();
    return Stream.of(
        badAdmin("remove a voter with an empty id", admin -> admin.removeVoter(
                RemoveVoterRequest.getDefaultInstance()),
            "id must be 1..64 characters of A-Z a-z 0-9 _ . -, got ''"),
        badAdmin("a 10,000-character id, repeated back only in part", admin -> admin
                .transferLeadership(TransferLeadershipRequest.newBuilder()
                    .setId("n".repeat(10_000)).build()),
            "id must be 1..64 characters of A-Z a-z 0-9 _ . -, got '" + "n".repeat(77) + "...'"),
        badAdmin("promote an id with a space", admin -> admin.promoteLearner(
                PromoteLearnerRequest.newBuilder().setId("l 1").build()),
            "id must be 1..64 characters"),
        badAdmin("remove a learner with an id over 64 characters", admin -> admin.removeLearner(
                RemoveLearnerRequest.newBuilder().setId("l".repeat(65)).build()),
            "id must be 1..64 characters"),
        badAdmin("add a learner with a 300-character host", admin -> admin.addLearner(
                AddLearnerRequest.newBuilder().setLearner(good.toBuilder()
                    .setRaftAddress("h".repeat(300) + ":7001")).build()),
            "learner.raft_address must be host:port (a host of 1..253 characters"),
        badAdmin("add a voter with port 0", admin -> admin.addVoter(AddVoterRequest.newBuilder()
                .setVoter(good.toBuilder().setGrpcAddress("127.0.0.1:0")).build()),
            "voter.grpc_address must be host:port"),
        badAdmin("add a learner with no learner", admin -> admin.addLearner(
                AddLearnerRequest.getDefaultInstance()),
            "learner.id must be 1..64 characters"),
        badAdmin("status with a field this server does not know", admin -> admin.status(
                StatusRequest.newBuilder().setUnknownFields(UnknownFieldSet.newBuilder()
                    .addField(7, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                    .build()).build()),
            "field this server does not know or with the wrong wire type: #7"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badAdminRequests")
  void badAdminRequestsAreRefusedNamingTheFieldAndChangeNothing(String what,
      Function<AdminGrpc.AdminBlockingStub, Object> call, String message) {
    IndexedRead<String> before = cluster.stateHash(leader);

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> call.apply(stubs.admin(cluster.grpcAddress(leader))));

    assertThat(refused).as(what).isNotNull();
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains(message).hasSizeLessThan(400);
    assertThat(cluster.stateHash(leader)).isEqualTo(before);
  }

  static Arguments badAdmin(String what, Function<AdminGrpc.AdminBlockingStub, Object> call,
      String message) {
    return Arguments.of(what, call, message);
  }

  /**
   * Headers over max-inbound-metadata-bytes (16 KiB by default) get a status naming the limit;
   * the transport alone answered a bare HTTP 431 or closed the connection ("Socket closed").
   */
  @Test
  void metadataOverTheLimitIsRefusedNamingTheLimitAndTheConnectionStaysUp() {
    ManagedChannel channel = stubs.channel(cluster.grpcAddress(leader));
    Metadata big = new Metadata();
    big.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "a".repeat(20_000));
    IndexedRead<String> before = cluster.stateHash(leader);

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> KVGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(big))
            .withDeadlineAfter(10, TimeUnit.SECONDS).put(put(bytes(3), bytes(3))));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).startsWith("request metadata (headers) is 2")
        .contains("bytes; the limit is 16384 bytes (max-inbound-metadata-bytes");
    assertThat(cluster.stateHash(leader)).isEqualTo(before);
    assertThat(AdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .status(StatusRequest.getDefaultInstance()).getNodeId())
        .as("the same connection still serves").isEqualTo(leader);
  }

  static Stream<Arguments> unparseableRequests() {
    byte[] notUtf8 = {(byte) 0xff, (byte) 0xfe, 'x'};
    return Stream.of(
        Arguments.of("truncated field", "raftkv.v1.KV/Put", new byte[] {0x0a, 0x05, 'a'},
            "the request could not be parsed as raftkv.v1.PutRequest (While parsing a protocol "
                + "message, the input ended unexpectedly in the middle of a field."),
        Arguments.of("tag zero", "raftkv.v1.KV/Get", new byte[] {0x00},
            "could not be parsed as raftkv.v1.GetRequest (Protocol message contained an invalid "
                + "tag (zero)."),
        Arguments.of("session_token not UTF-8", "raftkv.v1.KV/Get",
            concat(field(1, "k".getBytes()), field(2, concat(new byte[] {0x08, 0x02},
                field(2, notUtf8)))),
            "read.session_token is not valid UTF-8 (string fields must be UTF-8): the request "
                + "could not be parsed as raftkv.v1.GetRequest; nothing was done"),
        Arguments.of("client_id not UTF-8", "raftkv.v1.KV/Put",
            concat(field(1, "k".getBytes()), field(3, concat(field(1, notUtf8),
                new byte[] {0x10, 0x01}))),
            "write_id.client_id is not valid UTF-8"),
        Arguments.of("continuation not UTF-8", "raftkv.v1.KV/Range", field(5, notUtf8),
            "continuation is not valid UTF-8"),
        Arguments.of("txn: read.session_token not UTF-8 after two compares",
            "raftkv.v1.KV/Txn", concat(field(1, field(1, "a".getBytes())),
                field(1, field(1, "b".getBytes())), field(5, field(2, notUtf8))),
            "read.session_token is not valid UTF-8"),
        Arguments.of("admin: id not UTF-8", "raftkv.v1.Admin/RemoveVoter", field(1, notUtf8),
            "id is not valid UTF-8 (string fields must be UTF-8): the request could not be "
                + "parsed as raftkv.v1.RemoveVoterRequest"),
        Arguments.of("admin: learner.raft_address not UTF-8", "raftkv.v1.Admin/AddLearner",
            field(1, concat(field(1, "l9".getBytes()), field(2, notUtf8))),
            "learner.raft_address is not valid UTF-8"));
  }

  /**
   * As a client that speaks raw gRPC would send them: bytes that are not a valid message get
   * INVALID_ARGUMENT saying what did not parse (grpc-java alone answers UNKNOWN), nothing is
   * written, and the connection goes on serving.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("unparseableRequests")
  void bytesThatAreNotAValidRequestAreRefusedSayingWhatDidNotParse(String what, String method,
      byte[] request, String message) {
    IndexedRead<String> before = cluster.stateHash(leader);
    ManagedChannel channel = stubs.channel(cluster.grpcAddress(leader));

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> rawCall(channel, method, request));

    assertThat(refused).as(what).isNotNull();
    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains(message);
    assertThat(cluster.stateHash(leader)).as("state and applied index after refusal")
        .isEqualTo(before);
    byte[] status = rawCall(channel, "raftkv.v1.Admin/Status", new byte[0]);
    assertThat(status).as("the same connection still serves").isNotEmpty();
  }

  /** Re-registering the services for the above keeps what grpcurl needs: their schema. */
  @Test
  void reflectionStillDescribesTheKvAndAdminServices() throws Exception {
    ManagedChannel channel = stubs.channel(cluster.grpcAddress(leader));
    for (String service : new String[] {"raftkv.v1.KV", "raftkv.v1.Admin"}) {
      CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
      StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(ServerReflectionResponse response) {
              answer.complete(response);
            }

            @Override
            public void onError(Throwable t) {
              answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      requests.onNext(ServerReflectionRequest.newBuilder().setFileContainingSymbol(service)
          .build());
      ServerReflectionResponse response = answer.get(10, TimeUnit.SECONDS);
      requests.onCompleted();

      List<String> services = new ArrayList<>();
      for (ByteString file : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
        DescriptorProtos.FileDescriptorProto proto = DescriptorProtos.FileDescriptorProto.parseFrom(file);
        proto.getServiceList().forEach(s -> services.add(proto.getPackage() + "." + s.getName()));
      }
      assertThat(services).as("services described for %s", service).contains(service);
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static byte[] rawCall(Channel channel, String fullMethodName, byte[] request) {
    MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(fullMethodName)
        .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
    return ClientCalls.blockingUnaryCall(channel, method,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), request);
  }

  /** A length-delimited field: tag, length (one byte: short values only), bytes. */
  static byte[] field(int number, byte[] value) {
    assertThat(value.length).isLessThan(128);
    return concat(new byte[] {(byte) (number << 3 | 2), (byte) value.length}, value);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
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

  static RequestOp getOp(ByteString key) {
    return RequestOp.newBuilder().setGet(RequestOp.Get.newBuilder().setKey(key)).build();
  }

  static RequestOp putOp(ByteString key, ByteString value) {
    return RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(key).setValue(value))
        .build();
  }
}
