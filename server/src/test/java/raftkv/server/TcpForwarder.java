package raftkv.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only: accepts on a port (every interface) and pipes each connection, both ways, to
 * 127.0.0.1:{@code targetPort}. A stand-in for the chaos tool's fault proxy. Thread-safe;
 * one daemon thread accepts, two per connection copy; {@link #close} drops everything.
 */
final class TcpForwarder implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();

  TcpForwarder(int listenPort, int targetPort) throws IOException {
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(listenPort));
    this.targetPort = targetPort;
    daemon(this::acceptLoop, "forwarder-" + listenPort);
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket in;
      try {
        in = server.accept();
      } catch (IOException closed) {
        continue;
      }
      accepted.incrementAndGet();
      sockets.add(in);
      try {
        Socket out = new Socket("127.0.0.1", targetPort);
        sockets.add(out);
        daemon(() -> pump(in, out), "forwarder-in");
        daemon(() -> pump(out, in), "forwarder-out");
      } catch (IOException targetDown) {
        // Dropped as a dead peer's connection would be; the caller retries.
        closeQuietly(in);
      }
    }
  }

  private static void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException closed) {
      // Either side went away.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void daemon(Runnable task, String name) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    sockets.forEach(TcpForwarder::closeQuietly);
  }
}
