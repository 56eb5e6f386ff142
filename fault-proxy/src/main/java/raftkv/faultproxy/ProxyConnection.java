package raftkv.faultproxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One accepted connection of a {@link LinkProxy} and its connection to the target: two
 * {@link Pipe}s (client→target "up", target→client "down"), each a reader and a writer thread.
 * When either side closes or fails, both sockets are closed and all four threads end.
 */
final class ProxyConnection {

  private static final Logger log = LoggerFactory.getLogger(ProxyConnection.class);

  private final LinkProxy proxy;
  private final long id;
  private final Socket client;
  // Guarded by this.
  private Socket upstream;
  private boolean closed;
  private final List<Thread> threads = new ArrayList<>();

  ProxyConnection(LinkProxy proxy, long id, Socket client) {
    this.proxy = proxy;
    this.id = id;
    this.client = client;
  }

  long id() {
    return id;
  }

  /** Runs on the connection's first thread: connects to the target, then pumps client→target. */
  void run(InetSocketAddress target) {
    if (!register(Thread.currentThread())) {
      return;
    }
    Socket up = new Socket();
    if (!attach(up)) { // before connecting, so that close() aborts a slow connect
      return;
    }
    try {
      client.setTcpNoDelay(true);
      up.setTcpNoDelay(true);
      up.connect(target, LinkProxy.CONNECT_TIMEOUT_MS);
    } catch (IOException e) {
      close("target " + target + " unreachable: " + e.getMessage());
      return;
    }
    Pipe toTarget = new Pipe("up", client, up);
    Pipe toClient = new Pipe("down", up, client);
    if (!spawn("up-write", toTarget::writeLoop)
        || !spawn("down-read", toClient::readLoop)
        || !spawn("down-write", toClient::writeLoop)) {
      close("link closed");
      return;
    }
    toTarget.readLoop();
  }

  private synchronized boolean register(Thread t) {
    if (closed) {
      return false;
    }
    threads.add(t);
    return true;
  }

  private synchronized boolean attach(Socket up) {
    if (closed) {
      LinkProxy.closeQuietly(up);
      return false;
    }
    upstream = up;
    return true;
  }

  /** Starts a tracked thread of this connection, unless it (or the proxy) is closed. */
  private synchronized boolean spawn(String role, Runnable body) {
    if (closed) {
      return false;
    }
    Thread t = proxy.spawn("c" + id + "-" + role, body);
    if (t == null) {
      return false;
    }
    threads.add(t);
    return true;
  }

  /** Closes both sockets and wakes every thread of this connection. Idempotent. */
  void close(String why) {
    Socket up;
    List<Thread> toWake;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      up = upstream;
      toWake = List.copyOf(threads);
    }
    LinkProxy.closeQuietly(client);
    LinkProxy.closeQuietly(up);
    Thread self = Thread.currentThread();
    for (Thread t : toWake) {
      if (t != self) {
        t.interrupt(); // writers waiting on their queue or due time, readers on the budget
      }
    }
    proxy.forget(this);
    log.debug("link {}: connection {} closed ({})", proxy.name(), id, why);
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  /** A chunk to write at {@code dueNanos}; {@code data == null} means end of stream. */
  private record Chunk(long dueNanos, byte[] data) {}

  /** One direction: a reader that stamps chunks with their due time, a writer that honours it. */
  private final class Pipe {
    private final String direction;
    private final Socket src;
    private final Socket dst;
    private final LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    private final Semaphore budget = new Semaphore(LinkProxy.MAX_IN_FLIGHT);
    private long lastDue = System.nanoTime(); // reader thread only

    Pipe(String direction, Socket src, Socket dst) {
      this.direction = direction;
      this.src = src;
      this.dst = dst;
    }

    void readLoop() {
      byte[] buf = new byte[LinkProxy.BUFFER_SIZE];
      String why = direction + " reader ended";
      try {
        InputStream in = src.getInputStream();
        while (true) {
          int n = in.read(buf);
          if (n < 0) {
            // Let the writer deliver what is queued, then close the connection.
            queue.put(new Chunk(dueTime(proxy.mode()), null));
            return;
          }
          if (n == 0) {
            continue;
          }
          LinkMode mode = proxy.mode();
          if (mode instanceof LinkMode.Cut) {
            why = "cut";
            break;
          }
          if (mode instanceof LinkMode.Drop drop && drop.probability() > 0
              && proxy.random().nextDouble() < drop.probability()) {
            why = "dropped (" + direction + ")";
            break;
          }
          long due = dueTime(mode);
          budget.acquire(n);
          queue.put(new Chunk(due, Arrays.copyOf(buf, n)));
        }
      } catch (IOException e) {
        why = direction + " read: " + e.getMessage();
      } catch (InterruptedException e) {
        why = direction + " reader interrupted";
      }
      close(why);
    }

    /** max(previous due, now + fixed + uniform(0..jitter)): delays never reorder chunks. */
    private long dueTime(LinkMode mode) {
      long due = System.nanoTime();
      if (mode instanceof LinkMode.Delay d) {
        due += d.fixed().toNanos();
        long jitter = d.jitter().toNanos();
        if (jitter > 0) {
          due += proxy.random().nextLong(jitter + 1);
        }
      }
      if (due - lastDue < 0) {
        due = lastDue;
      }
      lastDue = due;
      return due;
    }

    void writeLoop() {
      String why = direction + " writer ended";
      try {
        OutputStream out = dst.getOutputStream();
        while (!isClosed()) {
          Chunk chunk = queue.take();
          awaitDue(chunk.dueNanos());
          if (chunk.data() == null) {
            why = direction + " end of stream";
            break;
          }
          out.write(chunk.data());
          proxy.countForwarded(chunk.data().length);
          budget.release(chunk.data().length);
        }
      } catch (IOException e) {
        why = direction + " write: " + e.getMessage();
      } catch (InterruptedException e) {
        why = direction + " writer interrupted";
      }
      close(why);
    }

    private void awaitDue(long due) throws InterruptedException {
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(this, wait);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    }
  }
}
