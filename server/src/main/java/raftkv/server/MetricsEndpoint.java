package raftkv.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's plain-HTTP endpoint on {@link MetricsConfig#listenAddress}:
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format ({@link NodeMetrics}).
 *   <li>{@code GET /health}: 200 while the process is up (liveness). The body also says how
 *       replication is going on the leader ({@link ReplicationHealth}), without changing the
 *       status code: {@code {"status":"up","replication":"ok"}}, {@code "degraded"} with a
 *       {@code "reason"}, or {@code "n/a"} on a node that is not the leader.
 *   <li>{@code GET /ready}: 200 when {@link Readiness} says ready, else 503; the body is one
 *       line of JSON with the reason, e.g. {@code {"ready":false,"reason":"lag 7300 ms > 5000 ms"}}.
 * </ul>
 *
 * <p>Runs on its own two daemon threads, apart from gRPC and Raft, so a slow scrape never
 * delays either. Ownership: owns its HTTP server and threads; {@link #close} stops both.
 */
final class MetricsEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String JSON = "application/json";
  /**
   * Handler threads. Scrapes and probes are quick, but a client that stops reading holds its
   * thread until the connection dies; a few spare threads keep /ready answering meanwhile.
   */
  private static final int HTTP_THREADS = 4;

  private final HttpServer server;
  private final ExecutorService executor;

  private MetricsEndpoint(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Binds {@code address} (port 0: an ephemeral port, see {@link #address}) and serves. */
  static MetricsEndpoint start(String nodeId, InetSocketAddress address, NodeMetrics metrics,
      Readiness readiness, ReplicationHealth replication) throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(HTTP_THREADS, r -> {
      Thread t = new Thread(r, "raftkv-metrics-http-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      try {
        serve(exchange, metrics, readiness, replication);
      } catch (RuntimeException e) {
        // Uncaught, it would only reset the connection: answer 500 (while the exchange is
        // still open) and log what failed.
        LOG.warn("node {}: {} failed", nodeId, exchange.getRequestURI(), e);
        respond(exchange, 500, "text/plain", "internal error: " + e + "\n");
      } finally {
        exchange.close();
      }
    });
    server.start();
    MetricsEndpoint endpoint = new MetricsEndpoint(server, executor);
    LOG.info("node {} serving /metrics, /health and /ready on http://{}", nodeId,
        hostPort(endpoint.address()));
    return endpoint;
  }

  private static void serve(HttpExchange exchange, NodeMetrics metrics, Readiness readiness,
      ReplicationHealth replication) throws IOException {
    if (!exchange.getRequestMethod().equals("GET")
        && !exchange.getRequestMethod().equals("HEAD")) {
      respond(exchange, 405, "text/plain", "use GET\n");
      return;
    }
    switch (exchange.getRequestURI().getPath()) {
      case "/metrics" -> respond(exchange, 200, PROMETHEUS_TEXT, metrics.scrape());
      case "/health" -> respond(exchange, 200, JSON, health(replication.current()) + "\n");
      case "/ready" -> {
        Readiness.Verdict verdict = readiness.check();
        respond(exchange, verdict.ready() ? 200 : 503, JSON, verdict.json() + "\n");
      }
      default -> respond(exchange, 404, "text/plain", "try /metrics, /health or /ready\n");
    }
  }

  /**
   * Liveness with replication's state: a leader missing a voter is still alive and serving, so
   * this never changes the status code; alert on {@code raftkv_replication_degraded}.
   */
  static String health(ReplicationHealth.Snapshot replication) {
    if (!replication.leader()) {
      return "{\"status\":\"up\",\"replication\":\"n/a\"}";
    }
    if (!replication.degraded()) {
      return "{\"status\":\"up\",\"replication\":\"ok\"}";
    }
    return "{\"status\":\"up\",\"replication\":\"degraded\",\"reason\":\""
        + Readiness.Verdict.escape(replication.degradedReason()) + "\"}";
  }

  private static void respond(HttpExchange exchange, int code, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The bound address (the actual port when 0 was configured). */
  InetSocketAddress address() {
    return server.getAddress();
  }

  static String hostPort(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
