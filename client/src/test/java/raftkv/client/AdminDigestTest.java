package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.AdminGrpc;
import raftkv.v1.DigestRequest;
import raftkv.v1.DigestResponse;

/** AdminApi.digest asks exactly the node it names and hands back its answer. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AdminDigestTest {
  private static final DigestResponse ANSWER = DigestResponse.newBuilder().setNodeId("n7")
      .setAppliedIndex(42).setStateHash("ab".repeat(32)).setKeys(3).build();

  private Server server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.shutdownNow();
    }
  }

  @Test
  void digestReturnsTheNamedNodesAnswerWithAndWithoutAnExplicitDeadline() throws IOException {
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new AdminGrpc.AdminImplBase() {
          @Override
          public void digest(DigestRequest request, StreamObserver<DigestResponse> out) {
            out.onNext(ANSWER);
            out.onCompleted();
          }
        }).build().start();
    String endpoint = "127.0.0.1:" + server.getPort();

    // The node asked need not be among the client's endpoints.
    try (KvClient client = KvClient.builder().endpoints("127.0.0.1:1")
        .defaultDeadline(Duration.ofSeconds(3)).build()) {
      assertThat(client.admin().digest(endpoint)).succeedsWithin(Duration.ofSeconds(5))
          .isEqualTo(ANSWER);
      assertThat(client.admin().digest(endpoint, Duration.ofSeconds(2)))
          .succeedsWithin(Duration.ofSeconds(5)).isEqualTo(ANSWER);
      assertThatIllegalArgumentException().isThrownBy(() -> client.admin().digest("no-port"))
          .withMessageContaining("host:port");
    }
  }
}
