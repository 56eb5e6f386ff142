package raftkv.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ports for local clusters (chaos runs, {@code raftkv cluster start}). Thread-safe.
 *
 * <p>A port is free when handed out and never handed out twice in this JVM: the kernel may
 * offer a port it just released again, and two addresses of one cluster on the same port
 * make a node fail to bind (seen: a node's metrics port equal to another node's gRPC port).
 */
public final class FreePorts {
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {}

  public static int next() {
    while (true) {
      try (ServerSocket socket = new ServerSocket(0)) {
        if (HANDED_OUT.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
