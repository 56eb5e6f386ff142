package raftkv.server;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.GetRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.WriteId;

/**
 * A client built against a newer schema sends fields this server does not know: wherever
 * they sit in the request, it is refused and the refusal names the field's path, so nothing
 * the client asked for is silently ignored.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UnknownFieldsTest {
  private static final UnknownFieldSet FIELD_42 = UnknownFieldSet.newBuilder()
      .addField(42, UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
  private final RequestValidator validator = new RequestValidator(Limits.DEFAULTS);

  @Test
  void anUnknownFieldInsideReadOptionsIsRefusedByItsPath() {
    GetRequest get = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setRead(ReadOptions.newBuilder().setUnknownFields(FIELD_42)).build();

    assertThatThrownBy(() -> validator.get(get)).isInstanceOf(InvalidRequest.class)
        .hasMessageContaining("does not know or with the wrong wire type: read.#42");
  }

  @Test
  void anUnknownFieldInTheSecondOperationOfATransactionIsRefusedByItsPath() {
    RequestOp known = put("a");
    RequestOp unknown = RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
        .setKey(ByteString.copyFromUtf8("b")).setUnknownFields(FIELD_42)).build();
    TxnRequest txn = TxnRequest.newBuilder().addSuccess(known).addSuccess(unknown)
        .setWriteId(WriteId.newBuilder().setClientId("c").setSequence(1)).build();

    assertThatThrownBy(() -> validator.txn(txn)).isInstanceOf(InvalidRequest.class)
        .hasMessageContaining("wire type: success[1].put.#42");
  }

  @Test
  void requestsWithOnlyKnownFieldsAtEveryLevelPass() {
    TxnRequest txn = TxnRequest.newBuilder().addSuccess(put("a")).addFailure(put("b"))
        .setWriteId(WriteId.newBuilder().setClientId("c").setSequence(1)).build();
    GetRequest get = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setRead(ReadOptions.getDefaultInstance()).build();

    assertThatCode(() -> {
      validator.txn(txn);
      validator.get(get);
    }).doesNotThrowAnyException();
  }

  private static RequestOp put(String key) {
    return RequestOp.newBuilder().setPut(
        RequestOp.Put.newBuilder().setKey(ByteString.copyFromUtf8(key))).build();
  }
}
