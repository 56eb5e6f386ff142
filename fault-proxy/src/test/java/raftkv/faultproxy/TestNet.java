package raftkv.faultproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Test helpers: free ports, an echo server, clients that tell "echoed" from "closed". */
final class TestNet {

  static final int READ_TIMEOUT_MS = 10_000;

  private TestNet() {}

  /** A port free on 127.0.0.1 right now (bound then released). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  static InetSocketAddress addr(String host, int port) {
    return new InetSocketAddress(host, port);
  }

  static Socket connect(InetSocketAddress to) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(READ_TIMEOUT_MS);
    s.connect(to, READ_TIMEOUT_MS);
    return s;
  }

  /** Writes {@code data}, reads the same number of bytes back and checks they are equal. */
  static void assertEcho(Socket s, byte[] data) throws IOException {
    s.getOutputStream().write(data);
    byte[] back = s.getInputStream().readNBytes(data.length);
    assertThat(back).as("echo through %s", s.getRemoteSocketAddress()).isEqualTo(data);
  }

  /** The peer (the proxy) closed the connection: reading sees EOF or a reset, not a timeout. */
  static void assertClosedByPeer(Socket s) {
    try {
      InputStream in = s.getInputStream();
      byte[] buf = new byte[1024];
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          return;
        }
        fail("expected the connection closed, but read %d bytes", n);
      }
    } catch (SocketTimeoutException e) {
      fail("connection still open after %d ms", READ_TIMEOUT_MS);
    } catch (IOException e) {
      // reset: closed too
    }
  }

  /** Writes without caring whether the connection is already closed. */
  static void writeQuietly(Socket s, byte[] data) {
    try {
      s.getOutputStream().write(data);
    } catch (IOException ignored) {
      // closed already
    }
  }

  /**
   * Opens a new connection through {@code to} and tries one echo: true if it came back,
   * false if the connection was refused or closed.
   */
  static boolean echoesThrough(InetSocketAddress to) {
    byte[] data = "ping".getBytes();
    try (Socket s = connect(to)) {
      s.getOutputStream().write(data);
      byte[] back = s.getInputStream().readNBytes(data.length);
      if (back.length < data.length) {
        return false;
      }
      assertThat(back).isEqualTo(data);
      return true;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("neither echoed nor closed within " + READ_TIMEOUT_MS + " ms", e);
    } catch (IOException e) {
      return false;
    }
  }

  /** Live threads of link {@code name}: named {@code proxy-<name>-...}. */
  static List<String> proxyThreads(String name) {
    return threadsNamed("proxy-" + name + "-");
  }

  /** Live threads of every link whose name starts with {@code namePrefix}. */
  static List<String> proxyThreadsOfLinksStartingWith(String namePrefix) {
    return threadsNamed("proxy-" + namePrefix);
  }

  private static List<String> threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith(prefix))
        .toList();
  }

  static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // test cleanup
    }
  }

  /** Echoes every byte back; counts connections accepted, open, and bytes received. */
  static final class EchoServer implements AutoCloseable {
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();

    EchoServer() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      Thread t = new Thread(this::acceptLoop, "echo-accept-" + server.getLocalPort());
      t.setDaemon(true);
      t.start();
    }

    InetSocketAddress address() {
      return (InetSocketAddress) server.getLocalSocketAddress();
    }

    int accepted() {
      return accepted.get();
    }

    int openConnections() {
      return open.size();
    }

    long bytesReceived() {
      return received.get();
    }

    private void acceptLoop() {
      while (true) {
        Socket s;
        try {
          s = server.accept();
        } catch (IOException e) {
          return;
        }
        accepted.incrementAndGet();
        open.add(s);
        Thread t = new Thread(() -> echo(s), "echo-conn-" + s.getPort());
        t.setDaemon(true);
        t.start();
      }
    }

    private void echo(Socket s) {
      byte[] buf = new byte[64 * 1024];
      try (s) {
        s.setTcpNoDelay(true);
        InputStream in = s.getInputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          received.addAndGet(n);
          s.getOutputStream().write(Arrays.copyOf(buf, n));
        }
      } catch (IOException ignored) {
        // peer gone
      } finally {
        open.remove(s);
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : open) {
        s.close();
      }
    }
  }
}
