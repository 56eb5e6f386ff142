package raftkv.server;

import io.grpc.Server;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.EnumSet;
import java.util.Optional;
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
 * <p>Besides the raftkv services, the gRPC server offers the standard health service
 * (following {@link Readiness}) and reflection. With {@link MetricsConfig#enabled} the node
 * also serves Prometheus metrics, liveness and readiness over HTTP ({@link MetricsEndpoint}).
 *
 * <p>Ownership: owns the Raft node, the gRPC server, the metrics endpoint, the watch hub and
 * the read executor; {@link #close} stops them in this order: health NOT_SERVING and the
 * metrics endpoint, every watch stream ended, no new calls, in-flight calls drained, then
 * Raft.
 */
public final class RaftkvServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftkvServer.class);
  /** Bounds the wait for a handover; the transfer itself gives up after three. */
  private static final long HANDOVER_WAIT_ELECTIONS = 4;
  /** Server-side HTTP/2 ping interval on an idle connection. */
  private static final long KEEPALIVE_SECONDS = 60;
  /**
   * How often replica progress is re-read besides after each applied batch (see
   * ReplicaProgress): while reads wait or entries are unapplied, and otherwise.
   */
  private static final long PROGRESS_POLL_MS = 5;
  private static final long IDLE_PROGRESS_POLL_MS = 50;
  /**
   * How often, at least, a node asks the leader to confirm its freshness; bounded-staleness
   * reads that need a newer confirmation ask at once.
   */
  private static final long FRESHNESS_SAMPLE_MS = 250;
  /** How often the gRPC health status is re-evaluated from readiness. */
  private static final long HEALTH_REFRESH_MS = 500;
  /** How often the leader samples its replicators (ReplicationHealth). */
  private static final long REPLICATION_SAMPLE_MS = 500;
  /** How often the leader looks for expired leases: how late, at most, a lease expires. */
  private static final long LEASE_EXPIRY_TICK_MS = 250;

  private final ServerConfig config;
  private final RaftNode node;
  private final Server grpc;
  private final ExecutorService readExecutor;
  private final ScheduledExecutorService timer;
  private final ReplicaProgress progress;
  private final GrpcHealth health;
  private final NodeMetrics metrics; // null: metrics endpoint off
  private final MetricsEndpoint metricsEndpoint; // null: off
  private final LeadershipTransfer transfer;
  private final Members members;
  /** Held here: metrics read it through weak references (Micrometer gauges). */
  private final ReplicationHealth replication;
  private final WatchHub watchHub;

  private RaftkvServer(ServerConfig config, RaftNode node, Server grpc, ExecutorService readExecutor,
      ScheduledExecutorService timer, ReplicaProgress progress, GrpcHealth health,
      NodeMetrics metrics, MetricsEndpoint metricsEndpoint, LeadershipTransfer transfer,
      Members members, ReplicationHealth replication, WatchHub watchHub) {
    this.config = config;
    this.node = node;
    this.grpc = grpc;
    this.readExecutor = readExecutor;
    this.timer = timer;
    this.progress = progress;
    this.health = health;
    this.metrics = metrics;
    this.metricsEndpoint = metricsEndpoint;
    this.transfer = transfer;
    this.members = members;
    this.replication = replication;
    this.watchHub = watchHub;
  }

  /**
   * Validates the configuration, starts the Raft node, then serves the client API.
   *
   * @throws IllegalArgumentException when the configuration is invalid or the
   *     {@code raftkv.broken} system property names an unknown switch; nothing is started
   */
  public static RaftkvServer start(ServerConfig config) {
    config.validate();
    NettyLeakDetection.disableUnlessConfigured();
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
        PROGRESS_POLL_MS, IDLE_PROGRESS_POLL_MS, FRESHNESS_SAMPLE_MS);
    Members members = new Members(config.peers(), () -> {
      try {
        return node.store().members();
      } catch (org.rocksdb.RocksDBException e) {
        return java.util.Map.of();
      }
    });
    Errors errors = new Errors(node, members, config.nodeId(), progress);
    java.util.function.LongSupplier monotonicMs =
        () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    ReplicationHealth replication = new ReplicationHealth(ReplicationHealth.Source.of(node),
        members, monotonicMs, ReplicationHealth.degradedAfterMs(config.electionTimeoutMs()));
    replication.addListener(new PeerHealthLog(monotonicMs, config.electionTimeoutMs()));
    LeaseKeeper leases = LeaseKeeper.attach(node, monotonicMs, config.electionTimeoutMs());
    timer.scheduleWithFixedDelay(() -> {
      try {
        leases.expireDue();
      } catch (RuntimeException e) {
        // A task that throws is never run again: lease expiry must survive a bad tick.
        LOG.warn("lease expiry tick failed", e);
      }
    }, LEASE_EXPIRY_TICK_MS, LEASE_EXPIRY_TICK_MS, TimeUnit.MILLISECONDS);
    // Only with an endpoint to read them: without one, requests pay nothing for metrics.
    NodeMetrics metrics = config.metrics().enabled()
        ? new NodeMetrics(config.nodeId(), node, progress, replication, leases) : null;
    ReadPath reads = new ReadPath(node, progress, readExecutor, broken,
        metrics == null ? raftkv.reads.ReadObserver.NONE : metrics.readObserver());
    Readiness readiness = new Readiness(node, progress, config.metrics().readyMaxLagMs());
    GrpcHealth health = new GrpcHealth(readiness, timer, HEALTH_REFRESH_MS);
    timer.scheduleWithFixedDelay(replication::refresh, REPLICATION_SAMPLE_MS,
        REPLICATION_SAMPLE_MS, TimeUnit.MILLISECONDS);
    InetSocketAddress address = socketAddress(config.self().grpcAddress());
    Limits limits = config.limits();
    TransportLimits transport = config.transport();
    LeadershipTransfer transfer =
        LeadershipTransfer.of(node, members, errors, timer, config.electionTimeoutMs());
    io.grpc.BindableService kv =
        new KvService(config.nodeId(), node, reads, limits, errors, config.clusterId());
    io.grpc.BindableService admin =
        new AdminService(config, node, members, progress, errors, readExecutor, timer, transfer,
            replication);
    WatchHub watchHub = new WatchHub(config.nodeId(), node.store(), config.clusterId(),
        config.watch(), errors, metrics == null ? WatchObserver.NONE : metrics.watchObserver());
    // The apply thread only signals; the hub's own thread fans out.
    node.addAppliedListener(index -> watchHub.signal());
    io.grpc.BindableService watch = new WatchService(reads, limits, errors, config.clusterId(),
        watchHub, config.watch(), broken.contains(BrokenOnPurpose.WATCH_SKIPS_ON_RESUME));
    io.grpc.BindableService lease =
        new LeaseService(node, leases, limits, errors, readExecutor, config.clusterId());
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address);
    if (ssl != null) {
      builder.sslContext(ssl);
    }
    if (auth != null) {
      // On the server, not per service: services added later are covered too (MethodRoles
      // lets health and reflection through).
      builder.intercept(auth);
    }
    // Runs before auth: an oversized header block is refused, naming the limit, before anything
    // reads it.
    builder.intercept(new MetadataLimit(transport.maxInboundMetadataBytes()));
    if (metrics != null) {
      // Added after auth, so it runs first: calls that auth refuses are timed and counted
      // (UNAUTHENTICATED, PERMISSION_DENIED) too.
      builder.intercept(metrics.grpcInterceptor());
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
        // MetadataLimit enforces max-inbound-metadata-bytes with a status naming it; the
        // transport's own answers (a bare HTTP 431, or closing the connection) only far above.
        .maxInboundMetadataSize(MetadataLimit.transportLimit(transport.maxInboundMetadataBytes()) - 1,
            MetadataLimit.transportLimit(transport.maxInboundMetadataBytes()))
        .maxConcurrentCallsPerConnection(transport.maxConcurrentCallsPerConnection())
        .permitKeepAliveTime(transport.permitKeepAliveTimeMs(), TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(false)
        // Finds clients that vanished without closing (a crashed host, a dropped NAT entry).
        .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
        // Bytes that are not a valid request get INVALID_ARGUMENT naming what did not parse,
        // not grpc-java's bare UNKNOWN.
        .addService(UnparseableRequests.refuseWithInvalidArgument(kv.bindService()))
        .addService(UnparseableRequests.refuseWithInvalidArgument(admin.bindService()))
        .addService(UnparseableRequests.refuseWithInvalidArgument(watch.bindService()))
        .addService(UnparseableRequests.refuseWithInvalidArgument(lease.bindService()))
        // Health and reflection are for probes and tools (grpcurl): never behind auth.
        .addService(health.service())
        .addService(ProtoReflectionServiceV1.newInstance())
        .build();
    MetricsEndpoint endpoint = null;
    String serving = "gRPC on " + address;
    try {
      grpc.start();
      if (metrics != null) {
        serving = "metrics on " + config.metrics().listenAddress();
        endpoint = MetricsEndpoint.start(config.nodeId(),
            socketAddress(config.metrics().listenAddress()), metrics, readiness, replication);
      }
    } catch (IOException | RuntimeException e) {
      watchHub.close();
      grpc.shutdownNow();
      health.close();
      progress.close();
      timer.shutdownNow();
      if (metrics != null) {
        metrics.close();
      }
      node.close();
      readExecutor.shutdownNow();
      if (e instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new UncheckedIOException("cannot serve " + serving, (IOException) e);
    }
    LOG.info("node {} serving the client API on {}", config.nodeId(), config.self().grpcAddress());
    logSecurity(config, auth);
    return new RaftkvServer(config, node, grpc, readExecutor, timer, progress, health, metrics,
        endpoint, transfer, members, replication, watchHub);
  }

  /**
   * Where the metrics endpoint listens, with the actual port when the configuration asked
   * for port 0; empty when it is off.
   */
  public Optional<InetSocketAddress> metricsAddress() {
    return Optional.ofNullable(metricsEndpoint).map(MetricsEndpoint::address);
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

  /**
   * Stops the node: a leader first hands leadership to its most up-to-date voter (so writes
   * move on within milliseconds instead of after an election timeout), then the gRPC server
   * stops taking calls and lets in-flight ones finish (up to the transport's drain time),
   * then Raft stops. Blocks; call it from a shutdown hook or a test, never a gRPC thread.
   */
  @Override
  public void close() {
    handOverLeadership();
    // Probes see the node leave before its calls are drained.
    health.close();
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    // Watch streams never end by themselves: end them (UNAVAILABLE, resume elsewhere) so the
    // drain below waits only for calls that finish.
    watchHub.close();
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
    if (metrics != null) {
      metrics.close();
    }
    node.close();
    readExecutor.shutdownNow();
  }

  /**
   * Hands leadership to the least-lagging voter that is replicating and waits until it leads
   * (through the same {@link LeadershipTransfer} as the Admin call, with no lag limit). Never
   * throws: whatever happens here, {@link #close} must go on to stop everything.
   */
  private void handOverLeadership() {
    try {
      if (!node.isLeader()) {
        return;
      }
      String self = config.self().raftAddress();
      // Read once: leadership may be lost meanwhile, and then every lag is empty.
      java.util.Map<String, Long> lags = new java.util.HashMap<>();
      for (String voter : node.voters()) {
        if (!voter.equals(self)) {
          node.replicaLogLag(voter).ifPresent(lag -> lags.put(voter, lag));
        }
      }
      java.util.Optional<String> target = lags.entrySet().stream()
          .min(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey);
      if (target.isEmpty()) {
        // A single voter, or every other voter down (then the peer log already said so), or
        // the rest of a local cluster stopped first: nobody to hand over to, nothing to warn of.
        LOG.info("node {} stopping as leader; no other voter is replicating to hand over to",
            config.nodeId());
        return;
      }
      String id = members.member(target.get()).getId();
      transfer.transferTo(id, Long.MAX_VALUE)
          .get(HANDOVER_WAIT_ELECTIONS * config.electionTimeoutMs(), TimeUnit.MILLISECONDS);
      LOG.info("node {} handed leadership to {} before stopping", config.nodeId(), id);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | java.util.concurrent.ExecutionException
        | java.util.concurrent.TimeoutException e) {
      LOG.warn("node {} stopping as leader without handing over: {}", config.nodeId(),
          e instanceof java.util.concurrent.ExecutionException ? e.getCause().getMessage()
              : e.toString());
    }
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
