package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.PutRequest;

/** The real channel factory: plaintext gRPC over loopback TCP, "host:port" targets. */
@Timeout(value = 5, unit = TimeUnit.SECONDS)
class PlaintextChannelTest {
  private FakeNode node;

  @AfterEach
  void tearDown() {
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void aRefusedConnectionIsSkippedAndTheNextHostPortServesTheWrite()
      throws IOException, InterruptedException {
    int closedPort = ClosedPort.next();
    // The port is learned only once bound: the fake answers under a placeholder name.
    node = new FakeNode(Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()),
        "loopback");
    int port = node.port();

    try (KvClient client = KvClient.builder()
        .endpoints("127.0.0.1:" + closedPort + ",127.0.0.1:" + port)
        .defaultDeadline(Duration.ofSeconds(3)).build()) {
      assertThat(client.blocking().put("k", "v").getIndex()).isEqualTo(1);
      assertThat(client.admin().blockingStatus("127.0.0.1:" + port).getNodeId())
          .isEqualTo("id-loopback");
    }
    assertThat(node.count(PutRequest.class)).isEqualTo(1);
  }
}
