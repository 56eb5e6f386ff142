package raftkv.faultproxy;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy for one directed link A→B: listens on an address private to A and forwards every
 * connection to B's real address, passing, cutting, delaying or dropping its traffic on command.
 *
 * <p>Plain blocking sockets and daemon threads, all named {@code proxy-<name>-...}: one acceptor,
 * and per connection and direction a reader and a writer fed by a queue of (due time, bytes).
 * Mode changes apply to existing connections at once (delay and drop from the next chunk read).
 * Thread-safe.
 */
public final class LinkProxy implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LinkProxy.class);

  static final int BUFFER_SIZE = 64 * 1024;
  static final int CONNECT_TIMEOUT_MS = 3_000;
  /** Bytes read but not yet written, per connection and direction, before the reader blocks. */
  static final int MAX_IN_FLIGHT = 8 * 1024 * 1024;
  private static final long CLOSE_JOIN_MS = 10_000;
  private static final int BACKLOG = 128;

  private final String name;
  private final InetSocketAddress target;
  private final Random random;
  private final ServerSocket server;
  private final InetSocketAddress listen;
  private final Set<ProxyConnection> connections = ConcurrentHashMap.newKeySet();
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
  private final AtomicLong bytesForwarded = new AtomicLong();
  private final AtomicLong connectionIds = new AtomicLong();
  private final AtomicLong refusedConnections = new AtomicLong();
  private final Object lifecycle = new Object();
  private volatile boolean closed; // written under lifecycle
  private volatile LinkMode mode = LinkMode.PASS;

  private LinkProxy(String name, ServerSocket server, InetSocketAddress target, Random random) {
    this.name = name;
    this.server = server;
    this.listen = (InetSocketAddress) server.getLocalSocketAddress();
    this.target = target;
    this.random = random;
  }

  /**
   * Listens on {@code listen} (e.g. 127.0.0.11:4001), forwards to {@code target}
   * (127.0.0.1:5123). Starts at once, in mode PASS. Uses an unseeded random for jitter and drop.
   */
  public static LinkProxy start(String name, InetSocketAddress listen, InetSocketAddress target)
      throws IOException {
    return start(name, listen, target, new Random());
  }

  /** As {@link #start(String, InetSocketAddress, InetSocketAddress)}, drawing jitter and drops from {@code random}. */
  public static LinkProxy start(String name, InetSocketAddress listen, InetSocketAddress target,
      Random random) throws IOException {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(listen, "listen");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(random, "random");
    ServerSocket server = new ServerSocket();
    try {
      // Several links may listen on one port, each on its own 127.0.0.x.
      server.setReuseAddress(true);
      server.bind(listen, BACKLOG);
    } catch (IOException e) {
      closeQuietly(server);
      throw new IOException("link " + name + ": cannot listen on " + listen + ": " + e.getMessage(), e);
    }
    LinkProxy proxy = new LinkProxy(name, server, target, random);
    proxy.spawn("accept", proxy::acceptLoop);
    log.debug("link {}: listening on {}, forwarding to {}", name, proxy.listen, target);
    return proxy;
  }

  public String name() {
    return name;
  }

  /** The address actually listened on (the port is resolved if 0 was asked for). */
  public InetSocketAddress listenAddress() {
    return listen;
  }

  public InetSocketAddress targetAddress() {
    return target;
  }

  /** Forward bytes both ways unchanged (queued delayed chunks still go out in order). */
  public void pass() {
    setMode(LinkMode.PASS);
  }

  /** Closes every connection on the link at once; while cut, new ones are accepted and closed. */
  public void cut() {
    setMode(LinkMode.CUT);
    for (ProxyConnection c : connections) {
      c.close("cut");
    }
  }

  /** Forwards every chunk {@code fixed + uniform(0..jitter)} after it was read, in order. */
  public void delay(Duration fixed, Duration jitter) {
    setMode(new LinkMode.Delay(fixed, jitter));
  }

  /** For each chunk forwarded, cuts its connection with this probability (0 forwards all). */
  public void drop(double probability) {
    setMode(new LinkMode.Drop(probability));
  }

  public LinkMode mode() {
    return mode;
  }

  /** Bytes written to either side so far, both directions. */
  public long bytesForwarded() {
    return bytesForwarded.get();
  }

  /** Connections accepted and closed at once because the link was cut, since the start. */
  public long refusedConnections() {
    return refusedConnections.get();
  }

  public int openConnections() {
    return connections.size();
  }

  /** Closes the listener and every connection, and waits for the link's threads to end. Idempotent. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    closeQuietly(server);
    for (ProxyConnection c : connections) {
      c.close("link closed");
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_JOIN_MS);
    Thread self = Thread.currentThread();
    boolean interrupted = false;
    for (Thread t : new ArrayList<>(threads)) {
      if (t == self) {
        continue;
      }
      long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (leftMs <= 0) {
        break;
      }
      try {
        t.join(leftMs);
      } catch (InterruptedException e) {
        interrupted = true;
        break;
      }
    }
    List<String> alive = threads.stream().filter(t -> t != self && t.isAlive())
        .map(Thread::getName).toList();
    if (!alive.isEmpty()) {
      log.warn("link {}: threads still running after close: {}", name, alive);
    }
    log.debug("link {}: closed, {} bytes forwarded", name, bytesForwarded.get());
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "LinkProxy[" + name + " " + listen + "->" + target + " " + mode + "]";
  }

  // ---- package-private machinery ----

  private void setMode(LinkMode newMode) {
    LinkMode old = mode;
    mode = newMode;
    if (!old.equals(newMode)) {
      log.debug("link {}: {} -> {}", name, old, newMode);
    }
  }

  Random random() {
    return random;
  }

  void countForwarded(int n) {
    bytesForwarded.addAndGet(n);
  }

  void forget(ProxyConnection c) {
    connections.remove(c);
  }

  /**
   * Starts a daemon thread {@code proxy-<name>-<suffix>} tracked for {@link #close}; returns
   * null (and starts nothing) once the proxy is closed.
   */
  Thread spawn(String suffix, Runnable body) {
    synchronized (lifecycle) {
      if (closed) {
        return null;
      }
      Thread t = new Thread(() -> {
        try {
          body.run();
        } catch (Throwable e) {
          log.warn("link {}: unexpected error in {}", name, Thread.currentThread().getName(), e);
        } finally {
          threads.remove(Thread.currentThread());
        }
      }, "proxy-" + name + "-" + suffix);
      t.setDaemon(true);
      threads.add(t);
      t.start();
      return t;
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed || server.isClosed()) {
          return;
        }
        log.warn("link {}: accept failed on {}", name, listen, e);
        pauseAfterAcceptError();
        continue;
      }
      if (closed || mode instanceof LinkMode.Cut) {
        closeQuietly(client);
        refusedConnections.incrementAndGet();
        continue;
      }
      ProxyConnection c = new ProxyConnection(this, connectionIds.incrementAndGet(), client);
      connections.add(c);
      // Re-check after registering: cut() and close() set their flag before closing the
      // registered connections, so one of the two sides sees this connection.
      if (closed || mode instanceof LinkMode.Cut) {
        c.close("cut while accepting");
        refusedConnections.incrementAndGet();
        continue;
      }
      if (spawn("c" + c.id() + "-up", () -> c.run(target)) == null) {
        c.close("link closed");
      }
    }
  }

  private void pauseAfterAcceptError() {
    // Back off briefly (e.g. out of file descriptors) rather than spin.
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void closeQuietly(Closeable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }
}
