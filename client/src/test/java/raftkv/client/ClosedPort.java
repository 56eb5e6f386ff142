package raftkv.client;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.io.IOException;

/** Test-only: a loopback port that was just bound and closed, so connecting is refused. */
final class ClosedPort {
  private ClosedPort() {}

  static int next() throws IOException, InterruptedException {
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .build().start();
    int port = server.getPort();
    // Wait until the socket is closed, or a connection could still be accepted and left hanging.
    server.shutdownNow().awaitTermination();
    return port;
  }
}
