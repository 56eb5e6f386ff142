package raftkv.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.RaftNode;
import raftkv.reads.BrokenOnPurpose;
import raftkv.reads.ReadPath;
import raftkv.reads.ReplicaProgress;

/**
 * One raftkv node process: the Raft node (Bolt transport on its Raft address, or on its
 * listen address when one is configured) and the client API (gRPC on its own address).
 *
 * <p>Ownership: owns the Raft node, the gRPC server and the read executor; {@link #close}
 * stops them in that order: no new calls, in-flight calls drained, then Raft.
 */
public final class RaftkvServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftkvServer.class);
  /** Server-side HTTP/2 ping interval on an idle connection. */
  private static final long KEEPALIVE_SECONDS = 60;
  /** How often replica progress is re-read besides after each applied batch (see ReplicaProgress). */
  private static final long PROGRESS_POLL_MS = 5;
  /** How often a node asks the leader to confirm its freshness (bounded staleness). */
  private static final long FRESHNESS_SAMPLE_MS = 50;

  private final ServerConfig config;
  private final RaftNode node;
  private final Server grpc;
  private final ExecutorService readExecutor;
  private final ScheduledExecutorService timer;
  private final ReplicaProgress progress;

  private RaftkvServer(ServerConfig config, RaftNode node, Server grpc, ExecutorService readExecutor,
      ScheduledExecutorService timer, ReplicaProgress progress) {
    this.config = config;
    this.node = node;
    this.grpc = grpc;
    this.readExecutor = readExecutor;
    this.timer = timer;
    this.progress = progress;
  }

  /**
   * Validates the configuration, starts the Raft node, then serves the client API.
   *
   * @throws IllegalArgumentException when the configuration is invalid or the
   *     {@code raftkv.broken} system property names an unknown switch; nothing is started
   */
  public static RaftkvServer start(ServerConfig config) {
    config.validate();
    // Certificates, keys and the tokens file are read before anything starts, so that a bad
    // one is an IllegalArgumentException with nothing to clean up.
    SslContext ssl = config.tls().enabled() ? TlsContexts.server(config.tls()) : null;
    AuthInterceptor auth = config.auth().enabled() ? AuthInterceptor.of(config.auth()) : null;
    Set<BrokenOnPurpose> broken = EnumSet.noneOf(BrokenOnPurpose.class);
    broken.addAll(config.broken());
    broken.addAll(BrokenOnPurpose.fromSystemProperty());
    if (!broken.isEmpty()) {
      LOG.warn("BROKEN ON PURPOSE: {} — this node violates its consistency contract; "
          + "for checker tests only", BrokenOnPurpose.names(broken));
    }
    RaftNode node = RaftNode.start(config.raftOptions());
    ExecutorService readExecutor = Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()), named("raftkv-read-"));
    java.util.concurrent.ScheduledThreadPoolExecutor timer =
        new java.util.concurrent.ScheduledThreadPoolExecutor(1, named("raftkv-timer-"));
    // Wait budgets are cancelled when reads are admitted early; drop them from the queue.
    timer.setRemoveOnCancelPolicy(true);
    ReplicaProgress progress = new ReplicaProgress(node, timer, System::currentTimeMillis,
        PROGRESS_POLL_MS, FRESHNESS_SAMPLE_MS);
    Members members = new Members(config.peers(), () -> {
      try {
        return node.store().members();
      } catch (org.rocksdb.RocksDBException e) {
        return java.util.Map.of();
      }
    });
    Errors errors = new Errors(node, members, config.nodeId(), progress);
    ReadPath reads = new ReadPath(node, progress, readExecutor, broken);
    InetSocketAddress address = socketAddress(config.self().grpcAddress());
    Limits limits = config.limits();
    TransportLimits transport = config.transport();
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address);
    if (ssl != null) {
      builder.sslContext(ssl);
    }
    if (auth != null) {
      // On the server, not per service: services added later are covered too (MethodRoles
      // lets health and reflection through).
      builder.intercept(auth);
    }
    Server grpc = builder
        // Handlers never block (proposals and ReadIndex rounds are asynchronous, reads that
        // must wait continue on the read executor; an admitted read is one local RocksDB
        // lookup), so they run on the transport thread. gRPC's default executor hands each
        // call to a cached pool thread, which cost as much CPU as the reads themselves.
        .directExecutor()
        // Above the request limit (validated), so an oversized request reaches the validator
        // and gets INVALID_ARGUMENT naming the limit; far above it, the transport refuses it.
        .maxInboundMessageSize(transport.maxInboundMessageBytes())
        .maxInboundMetadataSize(transport.maxInboundMetadataBytes())
        .maxConcurrentCallsPerConnection(transport.maxConcurrentCallsPerConnection())
        .permitKeepAliveTime(transport.permitKeepAliveTimeMs(), TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(false)
        // Finds clients that vanished without closing (a crashed host, a dropped NAT entry).
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        .addService(new KvService(config.nodeId(), node, reads, limits, errors, config.clusterId()))
        .addService(new AdminService(config, node, members, progress, errors, readExecutor))
        .build();
    try {
      grpc.start();
    } catch (IOException e) {
      progress.close();
      timer.shutdownNow();
      node.close();
      readExecutor.shutdownNow();
      throw new UncheckedIOException("cannot serve gRPC on " + address, e);
    }
    LOG.info("node {} serving the client API on {}", config.nodeId(), config.self().grpcAddress());
    logSecurity(config, auth);
    return new RaftkvServer(config, node, grpc, readExecutor, timer, progress);
  }

  private static void logSecurity(ServerConfig config, AuthInterceptor auth) {
    if (config.tls().enabled()) {
      LOG.info("node {}: TLS is on for the client API ({}), client certificates: {}",
          config.nodeId(), TlsContexts.providerName(),
          config.tls().clientAuth().name().toLowerCase(java.util.Locale.ROOT));
    }
    if (auth == null) {
      LOG.warn("node {}: authentication is off: every client that reaches {} may read, write "
          + "and change membership", config.nodeId(), config.self().grpcAddress());
      return;
    }
    LOG.info("node {}: authentication is on: {} bearer token(s), {} certificate subject(s)",
        config.nodeId(), auth.tokenCount(), config.auth().certificateRoles().size());
    if (!config.tls().enabled()) {
      LOG.warn("node {}: bearer tokens travel in plaintext: TLS is off", config.nodeId());
    }
  }

  public ServerConfig config() {
    return config;
  }

  /** The Raft node, for tests and for the process that embeds this server. */
  public RaftNode node() {
    return node;
  }

  @Override
  public void close() {
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(config.transport().drainMs(), TimeUnit.MILLISECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      grpc.shutdownNow();
      Thread.currentThread().interrupt();
    }
    progress.close();
    timer.shutdownNow();
    node.close();
    readExecutor.shutdownNow();
  }

  static InetSocketAddress socketAddress(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(hostPort.substring(0, colon),
        Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static java.util.concurrent.ThreadFactory named(String prefix) {
    AtomicInteger counter = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + counter.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
