package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Commands.bs;
import static raftkv.core.Commands.deleteOp;
import static raftkv.core.Commands.exists;
import static raftkv.core.Commands.getOp;
import static raftkv.core.Commands.putOp;
import static raftkv.core.Commands.valueIs;
import static raftkv.core.Commands.versionIs;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import raftkv.v1.Compare;
import raftkv.v1.Compare.Operator;
import raftkv.v1.KeyValue;
import raftkv.v1.RequestOp;
import raftkv.v1.ResponseOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.internal.StoredValue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TxnEvaluatorTest {

  /** An in-memory keyspace: the reader sees the writer's writes, as in an apply batch. */
  private static final class MapKeys implements KeyReader, KeyWriter {
    final Map<String, StoredValue> values = new HashMap<>();
    int writes;

    MapKeys with(String key, String value, long version, long createIndex) {
      values.put(key, stored(value, version, createIndex));
      return this;
    }

    @Override
    public StoredValue get(byte[] key) {
      return values.get(new String(key, StandardCharsets.UTF_8));
    }

    @Override
    public void put(byte[] key, StoredValue previous, StoredValue value) {
      writes++;
      values.put(new String(key, StandardCharsets.UTF_8), value);
    }

    @Override
    public void delete(byte[] key, StoredValue previous) {
      writes++;
      values.remove(new String(key, StandardCharsets.UTF_8));
    }
  }

  private static StoredValue stored(String value, long version, long createIndex) {
    return StoredValue.newBuilder().setValue(bs(value)).setVersion(version)
        .setCreateIndex(createIndex).build();
  }

  private static TxnResponse eval(TxnRequest txn, long index, MapKeys keys) throws Exception {
    return TxnEvaluator.evaluate(txn, index, keys, keys);
  }

  @ParameterizedTest
  @EnumSource(value = Operator.class, names = {"EQUAL", "NOT_EQUAL", "GREATER", "LESS"})
  void valueCompareOnAMissingKeyIsFalseForEveryOperator(Operator op) throws Exception {
    assertThat(TxnEvaluator.holds(valueIs("k", op, "x"), null)).isFalse();
    assertThat(TxnEvaluator.holds(valueIs("k", op, ""), null)).isFalse();

    MapKeys keys = new MapKeys();
    TxnRequest txn = TxnRequest.newBuilder().addCompares(valueIs("k", op, "x"))
        .addSuccess(putOp("ran", "success")).addFailure(putOp("ran", "failure")).build();
    TxnResponse response = eval(txn, 5, keys);
    assertThat(response.getSucceeded()).isFalse();
    assertThat(keys.values.get("ran").getValue().toStringUtf8()).isEqualTo("failure");
  }

  @Test
  void valueCompareOrdersValuesAsUnsignedBytes() {
    StoredValue high = StoredValue.newBuilder().setValue(ByteString.copyFrom(new byte[] {(byte) 0xff}))
        .setVersion(1).setCreateIndex(1).build();
    Compare lowerThanStored = Compare.newBuilder().setKey(bs("k")).setTarget(Compare.Target.VALUE)
        .setOp(Operator.GREATER).setValue(ByteString.copyFrom(new byte[] {0x01})).build();
    assertThat(TxnEvaluator.holds(lowerThanStored, high)).isTrue();
    assertThat(TxnEvaluator.holds(lowerThanStored.toBuilder().setOp(Operator.LESS).build(), high))
        .isFalse();
    StoredValue abc = stored("abc", 1, 1);
    assertThat(TxnEvaluator.holds(valueIs("k", Operator.EQUAL, "abc"), abc)).isTrue();
    assertThat(TxnEvaluator.holds(valueIs("k", Operator.NOT_EQUAL, "abc"), abc)).isFalse();
    assertThat(TxnEvaluator.holds(valueIs("k", Operator.LESS, "abd"), abc)).isTrue();
    assertThat(TxnEvaluator.holds(valueIs("k", Operator.GREATER, "ab"), abc)).isTrue();
  }

  @Test
  void versionCompareTreatsAMissingKeyAsVersionZero() {
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.EQUAL, 0), null)).isTrue();
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.NOT_EQUAL, 0), null)).isFalse();
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.LESS, 1), null)).isTrue();
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.GREATER, 0), null)).isFalse();
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.EQUAL, 1), null)).isFalse();
  }

  @Test
  void versionCompareIsUnsigned() {
    // uint64 max (-1L as a Java long) is above every version.
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.LESS, -1L), stored("v", 5, 5))).isTrue();
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.GREATER, -1L), stored("v", 5, 5))).isFalse();
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.LESS, -1L), null)).isTrue();
    // 2^63 (Long.MIN_VALUE as a Java long) is above 1.
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.GREATER, 1), stored("v", Long.MIN_VALUE, 1)))
        .isTrue();
    assertThat(TxnEvaluator.holds(versionIs("k", Operator.EQUAL, 7), stored("v", 7, 3))).isTrue();
  }

  @Test
  void existsEqualHoldsForAPresentKeyAndNotEqualForAMissingOne() {
    StoredValue present = stored("v", 3, 3);
    assertThat(TxnEvaluator.holds(exists("k", Operator.EQUAL), present)).isTrue();
    assertThat(TxnEvaluator.holds(exists("k", Operator.EQUAL), null)).isFalse();
    assertThat(TxnEvaluator.holds(exists("k", Operator.NOT_EQUAL), present)).isFalse();
    assertThat(TxnEvaluator.holds(exists("k", Operator.NOT_EQUAL), null)).isTrue();
    // Ordering operators make no sense on existence: false, never an exception.
    assertThat(TxnEvaluator.holds(exists("k", Operator.GREATER), present)).isFalse();
    assertThat(TxnEvaluator.holds(exists("k", Operator.LESS), null)).isFalse();
  }

  @Test
  void malformedComparesEvaluateToFalseInsteadOfThrowing() {
    Compare noTarget = Compare.newBuilder().setKey(bs("k")).setOp(Operator.EQUAL).build();
    Compare noOperator = Compare.newBuilder().setKey(bs("k")).setTarget(Compare.Target.VERSION)
        .build();
    assertThat(TxnEvaluator.holds(noTarget, stored("v", 1, 1))).isFalse();
    assertThat(TxnEvaluator.holds(noTarget, null)).isFalse();
    assertThat(TxnEvaluator.holds(noOperator, null)).isFalse();
    assertThat(TxnEvaluator.holds(noOperator.toBuilder().setTargetValue(99).build(), null)).isFalse();
  }

  @Test
  void aFailingCompareRunsTheFailureBranch() throws Exception {
    MapKeys keys = new MapKeys().with("a", "1", 4, 2);
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompares(exists("a", Operator.EQUAL)) // holds
        .addCompares(valueIs("a", Operator.EQUAL, "2")) // fails
        .addSuccess(putOp("s", "x"))
        .addFailure(putOp("f", "y"))
        .addFailure(getOp("a"))
        .build();

    TxnResponse response = eval(txn, 9, keys);

    assertThat(response.getSucceeded()).isFalse();
    assertThat(response.getResponsesList()).hasSize(2);
    assertThat(response.getResponses(0).getOpCase()).isEqualTo(ResponseOp.OpCase.PUT);
    assertThat(response.getResponses(1).getGet().getKv().getValue()).isEqualTo(bs("1"));
    assertThat(keys.values).containsKey("f").doesNotContainKey("s");
  }

  @Test
  void whenEveryCompareHoldsOnlyTheSuccessBranchRuns() throws Exception {
    MapKeys keys = new MapKeys().with("a", "1", 4, 2);
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompares(versionIs("a", Operator.EQUAL, 4))
        .addCompares(valueIs("a", Operator.EQUAL, "1"))
        .addSuccess(putOp("s", "x"))
        .addFailure(putOp("f", "y"))
        .build();

    TxnResponse response = eval(txn, 9, keys);

    assertThat(response.getSucceeded()).isTrue();
    assertThat(response.getResponsesList()).hasSize(1);
    assertThat(keys.values).containsKey("s").doesNotContainKey("f");
  }

  @Test
  void opsRunInOrderAndALaterGetSeesAnEarlierPutOfTheSameTxn() throws Exception {
    MapKeys keys = new MapKeys();
    TxnRequest txn = TxnRequest.newBuilder()
        .addSuccess(getOp("k"))
        .addSuccess(putOp("k", "v1"))
        .addSuccess(getOp("k"))
        .addSuccess(putOp("k", "v2"))
        .addSuccess(getOp("k"))
        .addSuccess(deleteOp("k", false))
        .addSuccess(getOp("k"))
        .build();

    TxnResponse response = eval(txn, 11, keys);

    assertThat(response.getResponses(0).getGet().getFound()).isFalse();
    ResponseOp.Get afterFirstPut = response.getResponses(2).getGet();
    assertThat(afterFirstPut.getFound()).isTrue();
    assertThat(afterFirstPut.getKv()).isEqualTo(KeyValue.newBuilder().setKey(bs("k"))
        .setValue(bs("v1")).setVersion(11).setCreateIndex(11).build());
    assertThat(response.getResponses(4).getGet().getKv().getValue()).isEqualTo(bs("v2"));
    assertThat(response.getResponses(5).getDelete().getDeleted()).isTrue();
    assertThat(response.getResponses(6).getGet().getFound()).isFalse();
    assertThat(keys.values).doesNotContainKey("k");
  }

  @Test
  void putKeepsTheCreateIndexOfAnExistingKeyAndSetsItsVersionToTheIndex() throws Exception {
    MapKeys keys = new MapKeys().with("old", "a", 3, 2);
    TxnRequest txn = TxnRequest.newBuilder()
        .addSuccess(putOp("old", "b")).addSuccess(putOp("new", "c")).build();

    eval(txn, 7, keys);

    assertThat(keys.values.get("old")).isEqualTo(stored("b", 7, 2));
    assertThat(keys.values.get("new")).isEqualTo(stored("c", 7, 7));
  }

  @Test
  void putAfterDeleteInOneTxnStartsANewCreateIndex() throws Exception {
    MapKeys keys = new MapKeys().with("k", "a", 3, 2);
    TxnRequest txn = TxnRequest.newBuilder()
        .addSuccess(deleteOp("k", false)).addSuccess(putOp("k", "b")).build();

    eval(txn, 8, keys);

    assertThat(keys.values.get("k")).isEqualTo(stored("b", 8, 8));
  }

  @Test
  void deleteOfAMissingKeyReportsNotDeletedAndWritesNothing() throws Exception {
    MapKeys keys = new MapKeys().with("other", "v", 1, 1);
    TxnRequest txn = TxnRequest.newBuilder().addSuccess(deleteOp("missing", true)).build();

    TxnResponse response = eval(txn, 4, keys);

    ResponseOp.Delete delete = response.getResponses(0).getDelete();
    assertThat(delete.getDeleted()).isFalse();
    assertThat(delete.hasPrevKv()).isFalse();
    assertThat(keys.writes).isZero();
    assertThat(keys.values).containsOnlyKeys("other");
  }

  @Test
  void prevKvIsReturnedOnlyWhenAsked() throws Exception {
    KeyValue previousA = KeyValue.newBuilder().setKey(bs("a")).setValue(bs("1"))
        .setVersion(3).setCreateIndex(2).build();
    MapKeys keys = new MapKeys().with("a", "1", 3, 2).with("b", "2", 4, 4);

    TxnResponse notAsked = eval(TxnRequest.newBuilder()
        .addSuccess(putOp("a", "1", false)).addSuccess(deleteOp("b", false)).build(), 5,
        new MapKeys().with("a", "1", 3, 2).with("b", "2", 4, 4));
    assertThat(notAsked.getResponses(0).getPut().hasPrevKv()).isFalse();
    assertThat(notAsked.getResponses(1).getDelete().hasPrevKv()).isFalse();
    assertThat(notAsked.getResponses(1).getDelete().getDeleted()).isTrue();

    TxnResponse asked = eval(TxnRequest.newBuilder()
        .addSuccess(putOp("a", "9", true)).addSuccess(deleteOp("b", true))
        .addSuccess(putOp("fresh", "x", true)).build(), 5, keys);
    assertThat(asked.getResponses(0).getPut().getPrevKv()).isEqualTo(previousA);
    assertThat(asked.getResponses(1).getDelete().getPrevKv()).isEqualTo(KeyValue.newBuilder()
        .setKey(bs("b")).setValue(bs("2")).setVersion(4).setCreateIndex(4).build());
    // Nothing to return for a key that did not exist.
    assertThat(asked.getResponses(2).getPut().hasPrevKv()).isFalse();
  }

  @Test
  void isReadOnlyOnlyWhenNeitherBranchWrites() {
    assertThat(TxnEvaluator.isReadOnly(TxnRequest.getDefaultInstance())).isTrue();
    assertThat(TxnEvaluator.isReadOnly(TxnRequest.newBuilder()
        .addCompares(exists("a", Operator.EQUAL))
        .addSuccess(getOp("a")).addFailure(getOp("b")).build())).isTrue();
    assertThat(TxnEvaluator.isReadOnly(TxnRequest.newBuilder()
        .addSuccess(getOp("a")).addFailure(putOp("b", "v")).build())).isFalse();
    assertThat(TxnEvaluator.isReadOnly(TxnRequest.newBuilder()
        .addSuccess(deleteOp("a", false)).build())).isFalse();
    // An empty op is not a read: it is not allowed to skip the log.
    assertThat(TxnEvaluator.isReadOnly(TxnRequest.newBuilder()
        .addSuccess(RequestOp.getDefaultInstance()).build())).isFalse();
    assertThat(KvStore.isReadOnly(TxnRequest.newBuilder().addSuccess(getOp("a")).build())).isTrue();
  }

  @Test
  void anEmptyOpIsAnsweredWithAnEmptyResultAndWritesNothing() throws Exception {
    MapKeys keys = new MapKeys();
    TxnResponse response = eval(TxnRequest.newBuilder()
        .addSuccess(RequestOp.getDefaultInstance()).build(), 3, keys);
    assertThat(response.getResponsesList()).containsExactly(ResponseOp.getDefaultInstance());
    assertThat(keys.writes).isZero();
  }

  @Test
  void evaluationDependsOnlyOnTheRequestTheIndexAndTheKeys() throws Exception {
    TxnRequest txn = TxnRequest.newBuilder()
        .addCompares(versionIs("a", Operator.LESS, 10))
        .addSuccess(putOp("a", "x", true)).addSuccess(getOp("a")).addSuccess(deleteOp("b", true))
        .build();
    MapKeys first = new MapKeys().with("a", "1", 3, 2).with("b", "2", 4, 4);
    MapKeys second = new MapKeys().with("a", "1", 3, 2).with("b", "2", 4, 4);

    assertThat(eval(txn, 6, first)).isEqualTo(eval(txn, 6, second));
    assertThat(first.values).isEqualTo(second.values);
  }
}
