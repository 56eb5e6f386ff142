package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.Compare;
import raftkv.v1.DeleteRequest;
import raftkv.v1.GetRequest;
import raftkv.v1.PutRequest;
import raftkv.v1.RangeRequest;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WriteId;

/**
 * Every request limit is a per-node setting: the validator enforces the configured value (not
 * the default), a request exactly at a limit passes, one past it is refused with a message
 * naming the configured limit.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RequestValidatorLimitsTest {
  private static final int MAX_KEY = 16;
  private static final int MAX_VALUE = 32;
  private static final int MAX_REQUEST = 120;
  private static final int MAX_TXN_OPS = 4;
  private static final int MAX_RANGE = 10;

  private static final Limits LIMITS =
      new Limits(MAX_KEY, MAX_VALUE, MAX_REQUEST, MAX_TXN_OPS, MAX_RANGE, 1024).validate();
  private final RequestValidator validator = new RequestValidator(LIMITS);
  /** A writing transaction needs one; 7 bytes on the wire. */
  private static final WriteId WRITE_ID =
      WriteId.newBuilder().setClientId("c").setSequence(1).build();

  @Test
  void aKeyOfExactlyMaxKeyBytesIsAcceptedEverywhereAKeyGoes() {
    ByteString key = bytes(MAX_KEY);

    assertThatCode(() -> {
      validator.put(put(key, bytes(1)));
      validator.get(GetRequest.newBuilder().setKey(key).build());
      validator.delete(DeleteRequest.newBuilder().setKey(key).build());
      validator.range(RangeRequest.newBuilder().setPrefix(key).build());
      validator.range(RangeRequest.newBuilder().setStart(key).setEnd(key).build());
      validator.txn(TxnRequest.newBuilder().addCompares(exists(key))
          .addSuccess(putOp(key, bytes(1))).addFailure(getOp(key)).setWriteId(WRITE_ID).build());
    }).doesNotThrowAnyException();
  }

  @Test
  void aKeyOneByteOverTheConfiguredLimitIsRefusedNamingThatLimit() {
    ByteString key = bytes(MAX_KEY + 1);
    String limit = "is 17 bytes; the limit is 16 bytes";

    assertRefused(() -> validator.put(put(key, bytes(1))), "key " + limit);
    assertRefused(() -> validator.get(GetRequest.newBuilder().setKey(key).build()), "key " + limit);
    assertRefused(() -> validator.delete(DeleteRequest.newBuilder().setKey(key).build()),
        "key " + limit);
    assertRefused(() -> validator.range(RangeRequest.newBuilder().setPrefix(key).build()),
        "prefix " + limit);
    assertRefused(() -> validator.range(RangeRequest.newBuilder().setEnd(key).build()),
        "end " + limit);
    assertRefused(() -> validator.txn(TxnRequest.newBuilder().addCompares(exists(key)).build()),
        "compares[0].key " + limit);
    assertRefused(() -> validator.txn(TxnRequest.newBuilder().addSuccess(getOp(bytes(1)))
        .addSuccess(putOp(key, bytes(1))).build()), "success[1].put.key " + limit);
    assertRefused(() -> validator.txn(TxnRequest.newBuilder()
        .addFailure(RequestOp.newBuilder().setDelete(RequestOp.Delete.newBuilder().setKey(key)))
        .build()), "failure[0].delete.key " + limit);
  }

  @Test
  void anEmptyKeyIsRefusedNamingTheConfiguredKeyRange() {
    assertRefused(() -> validator.put(put(ByteString.EMPTY, bytes(1))),
        "key is empty; keys are 1..16 bytes");
  }

  @Test
  void aValueOfExactlyMaxValueBytesIsAccepted() {
    assertThatCode(() -> {
      validator.put(put(bytes(1), bytes(MAX_VALUE)));
      validator.txn(TxnRequest.newBuilder().addCompares(valueEquals(bytes(1), bytes(MAX_VALUE)))
          .addSuccess(putOp(bytes(1), bytes(MAX_VALUE))).setWriteId(WRITE_ID).build());
    }).doesNotThrowAnyException();
  }

  @Test
  void aValueOneByteOverTheConfiguredLimitIsRefusedNamingThatLimit() {
    ByteString value = bytes(MAX_VALUE + 1);

    assertRefused(() -> validator.put(put(bytes(1), value)),
        "value is 33 bytes; the limit is 32 bytes");
    assertRefused(() -> validator.txn(TxnRequest.newBuilder()
            .addSuccess(putOp(bytes(1), value)).build()),
        "success[0].put.value is 33 bytes; the limit is 32 bytes");
    assertRefused(() -> validator.txn(TxnRequest.newBuilder()
            .addCompares(valueEquals(bytes(1), value)).build()),
        "compares[0].value is 33 bytes; the limit is 32 bytes");
  }

  @Test
  void aTransactionOfExactlyMaxTxnOpsIsAcceptedCountingComparesSuccessAndFailure() {
    TxnRequest fourOps = TxnRequest.newBuilder().addCompares(exists(bytes(1)))
        .addSuccess(putOp(bytes(1), bytes(1))).addSuccess(putOp(bytes(2), bytes(1)))
        .addFailure(getOp(bytes(1))).setWriteId(WRITE_ID).build();

    assertThatCode(() -> validator.txn(fourOps)).doesNotThrowAnyException();
  }

  @Test
  void aTransactionOverTheConfiguredOperationLimitIsRefusedNamingThatLimit() {
    TxnRequest fiveOps = TxnRequest.newBuilder().addCompares(exists(bytes(1)))
        .addSuccess(putOp(bytes(1), bytes(1))).addSuccess(putOp(bytes(2), bytes(1)))
        .addFailure(getOp(bytes(1))).addFailure(getOp(bytes(2))).build();

    assertRefused(() -> validator.txn(fiveOps),
        "transaction has 5 operations (compares + success + failure); the limit is 4");
  }

  @Test
  void aRangePageOfExactlyMaxRangeLimitIsAcceptedAndZeroMeansTheServersPageSize() {
    assertThatCode(() -> {
      validator.range(RangeRequest.newBuilder().setLimit(MAX_RANGE).build());
      validator.range(RangeRequest.newBuilder().setLimit(0).build());
    }).doesNotThrowAnyException();
  }

  @Test
  void aRangePageOverTheConfiguredLimitIsRefusedNamingThatLimit() {
    assertRefused(() -> validator.range(RangeRequest.newBuilder().setLimit(MAX_RANGE + 1).build()),
        "limit 11 is over the maximum page of 10 keys; page with the continuation token instead");
    assertRefused(() -> validator.range(RangeRequest.newBuilder().setLimit(-1).build()),
        "limit must be >= 0 (0 = the server's page size, 10), got -1");
  }

  @Test
  void aRequestOfExactlyMaxRequestBytesIsAcceptedAndOneByteMoreIsRefusedNamingTheLimit() {
    // 3 puts of a 16-byte key and a 16-, 16- and 9-byte value, 2 + 2 + (2 + 16) + (2 + value)
    // each, and a write id of 7 bytes: 40 + 40 + 33 + 7 = 120 bytes.
    TxnRequest atLimit = TxnRequest.newBuilder()
        .addSuccess(putOp(bytes(MAX_KEY), bytes(16)))
        .addSuccess(putOp(bytes(MAX_KEY), bytes(16)))
        .addSuccess(putOp(bytes(MAX_KEY), bytes(9))).setWriteId(WRITE_ID).build();
    TxnRequest overLimit = atLimit.toBuilder()
        .setSuccess(2, putOp(bytes(MAX_KEY), bytes(10))).build();
    assertThat(atLimit.getSerializedSize()).isEqualTo(MAX_REQUEST);
    assertThat(overLimit.getSerializedSize()).isEqualTo(MAX_REQUEST + 1);

    assertThatCode(() -> validator.txn(atLimit)).doesNotThrowAnyException();
    assertRefused(() -> validator.txn(overLimit), "request is 121 bytes; the limit is 120 bytes");
  }

  @Test
  void theDefaultLimitsStillApplyToAValidatorBuiltWithThem() {
    RequestValidator defaults = new RequestValidator(Limits.DEFAULTS);

    assertThatCode(() -> defaults.put(put(bytes(MAX_KEY + 1), bytes(MAX_VALUE + 1))))
        .doesNotThrowAnyException();
    assertRefused(() -> defaults.put(put(bytes(4097), bytes(1))),
        "key is 4097 bytes; the limit is 4096 bytes");
  }

  private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
      String message) {
    assertThatThrownBy(call).isInstanceOf(InvalidRequest.class).hasMessageContaining(message);
  }

  private static ByteString bytes(int n) {
    return ByteString.copyFrom(new byte[n]);
  }

  private static PutRequest put(ByteString key, ByteString value) {
    return PutRequest.newBuilder().setKey(key).setValue(value).build();
  }

  private static RequestOp putOp(ByteString key, ByteString value) {
    return RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder().setKey(key).setValue(value))
        .build();
  }

  private static RequestOp getOp(ByteString key) {
    return RequestOp.newBuilder().setGet(RequestOp.Get.newBuilder().setKey(key)).build();
  }

  private static Compare exists(ByteString key) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.Target.EXISTS)
        .setOp(Compare.Operator.EQUAL).build();
  }

  private static Compare valueEquals(ByteString key, ByteString value) {
    return Compare.newBuilder().setKey(key).setTarget(Compare.Target.VALUE)
        .setOp(Compare.Operator.EQUAL).setValue(value).build();
  }
}
