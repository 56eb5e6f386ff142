package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetResponse;
import raftkv.v1.KeyValue;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadMeta;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;

/** String values and the session token, read the same way from every response. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class ResponsesTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  @Test
  void theTokenOfEveryCallComesFromOneMethodWhereverTheResponseKeepsIt() {
    cluster.node("a:1");
    BlockingKv kv = cluster.client("a:1").blocking();

    PutResponse put = kv.put("k", "v");
    DeleteResponse delete = kv.delete("k");
    TxnResponse txnWrite = kv.txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setPut(RequestOp.Put.newBuilder().setKey(utf8("k")).setValue(utf8("w")))).build());
    GetResponse get = kv.get("k");
    TxnResponse txnRead = kv.txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setGet(RequestOp.Get.newBuilder().setKey(utf8("k")))).build());

    assertThat(Responses.sessionToken(put)).isEqualTo(FakeNode.token(1));
    assertThat(Responses.sessionToken(delete)).isEqualTo(FakeNode.token(2));
    assertThat(Responses.sessionToken(txnWrite)).isEqualTo(FakeNode.token(3));
    assertThat(Responses.sessionToken(get)).isEqualTo(FakeNode.token(3));
    assertThat(Responses.sessionToken(txnRead)).isEqualTo(FakeNode.token(3));
    // Any of them continues the session in another client.
    Session resumed = cluster.client("a:1").session(Responses.sessionToken(get));
    assertThat(resumed.token()).isEqualTo(FakeNode.token(3));
  }

  @Test
  void aValueIsReadAsTextAndAMissingKeyAsEmpty() {
    GetResponse found = GetResponse.newBuilder().setFound(true)
        .setKv(KeyValue.newBuilder().setKey(utf8("k")).setValue(utf8("grüße"))).build();
    GetResponse missing = GetResponse.newBuilder().setFound(false).build();
    // Found with an empty value is not the same as missing.
    GetResponse empty = GetResponse.newBuilder().setFound(true)
        .setKv(KeyValue.newBuilder().setKey(utf8("k"))).build();

    assertThat(Responses.valueUtf8(found)).contains("grüße");
    assertThat(Responses.valueUtf8(missing)).isEmpty();
    assertThat(Responses.valueUtf8(empty)).contains("");
  }

  @Test
  void aRangePageIsReadAsTextInKeyOrder() {
    RangeResponse page = RangeResponse.newBuilder()
        .addKvs(KeyValue.newBuilder().setKey(utf8("a")).setValue(utf8("1")))
        .addKvs(KeyValue.newBuilder().setKey(utf8("b")).setValue(utf8("2")))
        .setMeta(ReadMeta.newBuilder().setSessionToken(FakeNode.token(7))).build();

    assertThat(Responses.entriesUtf8(page)).containsExactly(
        org.assertj.core.api.Assertions.entry("a", "1"),
        org.assertj.core.api.Assertions.entry("b", "2"));
    assertThat(Responses.sessionToken(page)).isEqualTo(FakeNode.token(7));
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
