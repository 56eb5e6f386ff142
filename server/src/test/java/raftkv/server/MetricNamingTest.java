package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.PutRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;

/** The level tag of request metrics and the names of bridged jraft metrics. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class MetricNamingTest {

  @Test
  void readsAreTaggedWithTheLevelTheyAreServedAtAndWritesWithNone() {
    assertThat(GrpcMetricsInterceptor.levelOf(GetRequest.newBuilder()
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.SESSION)).build()))
        .isEqualTo("session");
    // UNSPECIFIED is served as LINEARIZABLE.
    assertThat(GrpcMetricsInterceptor.levelOf(GetRequest.getDefaultInstance()))
        .isEqualTo("linearizable");
    TxnRequest readOnly = TxnRequest.newBuilder()
        .addSuccess(RequestOp.newBuilder().setGet(RequestOp.Get.newBuilder()
            .setKey(ByteString.copyFromUtf8("k"))))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL)).build();
    assertThat(GrpcMetricsInterceptor.levelOf(readOnly)).isEqualTo("eventual");
    TxnRequest writing = readOnly.toBuilder().addSuccess(RequestOp.newBuilder()
        .setPut(RequestOp.Put.newBuilder().setKey(ByteString.copyFromUtf8("k")))).build();
    assertThat(GrpcMetricsInterceptor.levelOf(writing)).isEqualTo("none");
    assertThat(GrpcMetricsInterceptor.levelOf(PutRequest.getDefaultInstance())).isEqualTo("none");
  }

  @Test
  void replicatorMetricsLoseTheirColonsAndCarryTheirPeer() {
    JraftMetricNames names = new JraftMetricNames();
    String lags = "replicator-raftkv/127.0.0.1:8081.log-lags";
    assertThat(names.getName(lags)).isEqualTo("replicator-raftkv/127.0.0.1_8081.log-lags");
    assertThat(names.getLabels(lags, List.of(), List.of()).get("peer"))
        .isEqualTo("127.0.0.1:8081");
    assertThat(names.getLabels("replicate-entries", List.of(), List.of()).size()).isZero();
    assertThat(JraftMetricNames.peerOf("replicator-raftkv/db-1.example.com:7001.next-index"))
        .isEqualTo("db-1.example.com:7001");
  }
}
