package raftkv.cli;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.core.RaftTlsOptions;
import raftkv.core.StoreOptions;
import raftkv.server.AuthConfig;
import raftkv.server.Limits;
import raftkv.server.MetricsConfig;
import raftkv.server.PeerSpec;
import raftkv.server.RaftkvServer;
import raftkv.server.ServerConfig;
import raftkv.server.TransportLimits;
import raftkv.server.TlsConfig;
import raftkv.server.WatchConfig;

/** {@code raftkv server}: runs one node until SIGTERM or SIGINT. */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = {"Runs one raftkv node in the foreground until SIGTERM/SIGINT.",
        "Every node of a cluster is started with the same --peers list.",
        "Example: raftkv server --id n1 --data-dir /var/lib/raftkv "
            + "--peers n1=10.0.0.1:7001/10.0.0.1:9001,n2=10.0.0.2:7001/10.0.0.2:9001,"
            + "n3=10.0.0.3:7001/10.0.0.3:9001 --auth tokens --auth-tokens-file /etc/raftkv/tokens "
            + "--tls-cert n1.pem --tls-key n1-key.pem"})
final class ServerCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE",
      description = "Properties file whose keys are these options' long names without dashes "
          + "(id, peers, data-dir, ...). Flags override it.")
  File config;

  @Option(names = "--id", required = true, description = "This node's id; one of the --peers ids.")
  String id;

  @Option(names = "--peers", required = true, split = ",", paramLabel = "ID=RAFT/GRPC[/learner]",
      description = "Every member of the initial configuration, this node included: "
          + "id=raftHost:port/grpcHost:port, '/learner' appended for a non-voting replica. "
          + "Raft traffic (Bolt) uses the first address, clients the second.")
  List<String> peers;

  @Option(names = "--data-dir", required = true,
      description = "Directory for the Raft log, metadata, snapshots and the RocksDB store.")
  Path dataDir;

  @Option(names = "--raft-listen", defaultValue = "", paramLabel = "HOST:PORT",
      description = "Where this node's Raft transport listens, when not on its Raft address "
          + "in --peers (its identity, which the other nodes send to). For running behind a "
          + "forwarder or fault proxy that listens on the identity address. Bolt binds every "
          + "interface on this port; only the port is used. Default: the identity address.")
  String raftListen;

  @Option(names = "--cluster-name", defaultValue = "",
      description = "The cluster's name, the same on every node; session tokens of another "
          + "cluster are refused. Default: derived from the voters in --peers.")
  String clusterName;

  @Option(names = "--role", defaultValue = "voter",
      description = "voter or learner: this node's role when its --peers entry has no /learner.")
  String role;

  @Option(names = "--election-timeout-ms", defaultValue = "1000",
      description = "Follower-to-candidate timeout in ms (default ${DEFAULT-VALUE}); "
          + "below 1000 elections split on a loaded small machine.")
  int electionTimeoutMs;

  @Option(names = "--heartbeat-factor", defaultValue = "10",
      description = "Heartbeats every election-timeout / factor ms (default ${DEFAULT-VALUE}: 100 ms). "
          + "They detect failures; commits reach replicas with the next append or the "
          + "leader's commit broadcast, and with a heartbeat only when that was lost.")
  int heartbeatFactor;

  @Option(names = "--snapshot-interval-s", defaultValue = "3600",
      description = "Seconds between snapshots (default ${DEFAULT-VALUE}); the log is "
          + "truncated up to the previous snapshot.")
  int snapshotIntervalSecs;

  @Option(names = "--max-key-bytes", defaultValue = "4096", description = "Default ${DEFAULT-VALUE}.")
  int maxKeyBytes;

  @Option(names = "--max-value-bytes", defaultValue = "1048576", description = "Default ${DEFAULT-VALUE}.")
  int maxValueBytes;

  @Option(names = "--max-request-bytes", defaultValue = "1572864", description = "Default ${DEFAULT-VALUE}.")
  int maxRequestBytes;

  @Option(names = "--max-txn-ops", defaultValue = "128",
      description = "Most compares + ops in one transaction (default ${DEFAULT-VALUE}).")
  int maxTxnOps;

  @Option(names = "--max-range-limit", defaultValue = "10000",
      description = "Largest Range page in keys (default ${DEFAULT-VALUE}).")
  int maxRangeLimit;

  @Option(names = "--block-cache-mb", defaultValue = "32",
      description = "RocksDB block cache in MiB (default ${DEFAULT-VALUE}).")
  long blockCacheMb;

  @Option(names = "--history-entries", defaultValue = "100000", paramLabel = "N",
      description = "The watch history keeps the changes of at least the last N log indexes "
          + "(default ${DEFAULT-VALUE}); a watch may start no further back. Disk cost: about "
          + "the size of the keys and values written in those indexes.")
  long historyEntries;

  @Option(names = "--history-age", defaultValue = "0s", converter = DurationConverter.class,
      paramLabel = "DURATION",
      description = "Also drop history older than this (" + DurationConverter.FORMS
          + "); 0s (default) = no age bound.")
  java.time.Duration historyAge;

  @Option(names = "--watch-max-lag", defaultValue = "10000", paramLabel = "N",
      description = "A watch whose receiver stops reading is ended (RESOURCE_EXHAUSTED, with "
          + "the position to resume after) once it is more than N log indexes behind "
          + "(default ${DEFAULT-VALUE}).")
  long watchMaxLag;

  @Option(names = "--watch-progress-interval", defaultValue = "5s",
      converter = DurationConverter.class, paramLabel = "DURATION",
      description = "A watch stream silent this long gets a progress notification with the "
          + "node's applied index, unless its request sets its own (default "
          + "${DEFAULT-VALUE}; 100ms..10m).")
  java.time.Duration watchProgressInterval;

  @Option(names = "--max-inbound-message-bytes", defaultValue = "8388608",
      description = "Largest request message the transport accepts (default ${DEFAULT-VALUE}); "
          + "must exceed --max-request-bytes so that oversized requests get a precise error.")
  int maxInboundMessageBytes;

  @Option(names = "--max-inbound-metadata-bytes", defaultValue = "16384",
      description = "Largest header block (metadata) of a call (default ${DEFAULT-VALUE}).")
  int maxInboundMetadataBytes;

  @Option(names = "--max-concurrent-calls-per-connection", defaultValue = "10000",
      description = "Calls one client connection may have open at once, Watch and LeaseKeepAlive "
          + "streams included (default ${DEFAULT-VALUE}).")
  int maxConcurrentCallsPerConnection;

  @Option(names = "--permit-keepalive-time-ms", defaultValue = "10000",
      description = "Clients pinging more often are disconnected (default ${DEFAULT-VALUE}).")
  long permitKeepAliveTimeMs;

  @Option(names = "--drain-ms", defaultValue = "5000",
      description = "On SIGTERM, how long in-flight calls may finish (default ${DEFAULT-VALUE}); "
          + "a leader hands leadership over first.")
  long drainMs;

  @Option(names = "--raft-tls-keystore", paramLabel = "FILE",
      description = "PKCS12 key store with this node's key and certificate chain and the CA "
          + "that signs the other nodes' Raft certificates; turns on TLS for Raft traffic. "
          + "Every node of the group must use it. Default: plain TCP.")
  Path raftTlsKeyStore;

  @Option(names = "--raft-tls-password-file", paramLabel = "FILE",
      description = "File whose first line is the password of --raft-tls-keystore and its key.")
  Path raftTlsPasswordFile;

  @Option(names = "--raft-tls-client-auth", defaultValue = "require",
      description = "require (default): peers must present a certificate the key store "
          + "trusts; none: encryption only, any client may connect.")
  String raftTlsClientAuth;

  @Option(names = "--metrics-listen", defaultValue = "", paramLabel = "HOST:PORT",
      description = "Serve Prometheus metrics (/metrics), liveness (/health) and readiness "
          + "(/ready) over HTTP on this address; port 0 picks a free port. Default: off.")
  String metricsListen;

  @Option(names = "--ready-max-lag-ms", defaultValue = "5000",
      description = "/ready and gRPC health report a follower or learner ready only while "
          + "its lag behind the leader is at most this many ms (default ${DEFAULT-VALUE}).")
  long readyMaxLagMs;
  @Option(names = "--tls-cert", paramLabel = "FILE",
      description = "PEM certificate chain this node presents on the client API; with it the "
          + "client API speaks TLS only. Raft traffic between nodes is not affected.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM (PKCS#8) key of --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "FILE",
      description = "PEM CA that client certificates must verify against.")
  Path tlsClientCa;

  @Option(names = "--tls-client-auth", defaultValue = "none", paramLabel = "none|optional|require",
      description = "Ask clients for a certificate: none (default), optional, or require.")
  String tlsClientAuth;

  // No default on purpose: an operator must choose to run without authentication.
  @Option(names = "--auth", paramLabel = "none|tokens",
      description = "Required. tokens: every call to the KV and Admin services needs a bearer "
          + "token from --auth-tokens-file (or a client certificate in --auth-cert-roles); "
          + "none: anyone who reaches the port may read, write and change membership.")
  String auth;

  @Option(names = "--auth-tokens-file", paramLabel = "FILE",
      description = "One 'token role [name]' per line; roles read, readwrite, admin; '#' "
          + "comments. Tokens at least 16 characters, each unique.")
  Path authTokensFile;

  @Option(names = "--auth-cert-roles", paramLabel = "SUBJECT=ROLE;...",
      description = "Client-certificate subjects (RFC 2253, e.g. CN=ops,O=Example) and their "
          + "roles, ';'-separated; the role follows the last '='. A bearer token, if a call "
          + "has one, takes precedence over the certificate.")
  String authCertRoles;

  private static final String CHOOSE_AUTH = "--auth is required: choose --auth tokens with "
      + "--auth-tokens-file FILE (and/or --auth-cert-roles) to require credentials, or "
      + "--auth none to let every client that reaches this node read, write and change "
      + "membership";

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig serverConfig;
    try {
      AuthConfig authConfig = authConfig();
      TlsConfig tlsConfig = new TlsConfig(tlsCert, tlsKey, tlsClientCa, clientAuth());
      if (!role.equals("voter") && !role.equals("learner")) {
        throw new IllegalArgumentException("--role must be voter or learner, got '" + role + "'");
      }
      List<PeerSpec> specs = peers.stream().map(PeerSpec::parse)
          .map(p -> role.equals("learner") && p.id().equals(id) && !p.learner()
              ? new PeerSpec(p.id(), p.raftAddress(), p.grpcAddress(), true) : p)
          .toList();
      Limits limits = new Limits(maxKeyBytes, maxValueBytes, maxRequestBytes, maxTxnOps,
          maxRangeLimit, Math.max(Limits.DEFAULTS.maxRangeResponseBytes(), maxKeyBytes + maxValueBytes));
      if (historyEntries < 1) {
        throw new IllegalArgumentException("history-entries must be >= 1 (log indexes of "
            + "watch history to keep), got " + historyEntries);
      }
      StoreOptions store = new StoreOptions(blockCacheMb << 20,
          StoreOptions.DEFAULTS.writeBufferBytes(), StoreOptions.DEFAULTS.dedupTtlMs(),
          StoreOptions.DEFAULTS.maxClients(), historyEntries, historyAge.toMillis());
      serverConfig = new ServerConfig(id, specs, dataDir, electionTimeoutMs, heartbeatFactor,
          snapshotIntervalSecs, limits, store, clusterName).withRaftListenAddress(raftListen)
          .withTransport(new TransportLimits(maxInboundMessageBytes, maxInboundMetadataBytes,
              maxConcurrentCallsPerConnection, permitKeepAliveTimeMs, drainMs))
          .withRaftTls(raftTls())
          .withMetrics(new MetricsConfig(metricsListen, readyMaxLagMs))
          .withWatch(new WatchConfig(watchMaxLag, watchProgressInterval.toMillis()))
          .withTls(tlsConfig).withAuth(authConfig).validate();
    } catch (IllegalArgumentException e) {
      System.err.println("raftkv server: invalid configuration: " + e.getMessage());
      return 2;
    }
    RaftkvServer server;
    try {
      server = RaftkvServer.start(serverConfig);
    } catch (IllegalArgumentException e) {
      // The raftkv.broken system property (test-only switches) named an unknown switch, or a
      // certificate, key or the tokens file could not be loaded.
      System.err.println("raftkv server: invalid configuration: " + e.getMessage());
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "raftkv-shutdown"));
    stopped.await();
    return 0;
  }

  private RaftTlsOptions raftTls() {
    if (raftTlsKeyStore == null) {
      if (raftTlsPasswordFile != null) {
        throw new IllegalArgumentException("raft-tls-password-file is set but raft-tls-keystore "
            + "is not: Raft TLS needs the key store");
      }
      return RaftTlsOptions.OFF;
    }
    if (!raftTlsClientAuth.equals("require") && !raftTlsClientAuth.equals("none")) {
      throw new IllegalArgumentException("raft-tls-client-auth must be require or none, got '"
          + raftTlsClientAuth + "'");
    }
    if (raftTlsPasswordFile == null) {
      throw new IllegalArgumentException("raft-tls-keystore " + raftTlsKeyStore
          + " needs raft-tls-password-file (the key store's password)");
    }
    String password;
    try {
      password = java.nio.file.Files.readAllLines(raftTlsPasswordFile).stream().findFirst()
          .orElse("").strip();
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("raft-tls-password-file " + raftTlsPasswordFile
          + " cannot be read: " + e.getMessage());
    }
    return new RaftTlsOptions(raftTlsKeyStore, password, raftTlsClientAuth.equals("require"));
  }

  private AuthConfig authConfig() {
    if (auth == null || auth.isBlank()) {
      throw new IllegalArgumentException(CHOOSE_AUTH);
    }
    boolean tokens = switch (auth.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "tokens" -> true;
      case "none" -> false;
      default -> throw new IllegalArgumentException("--auth must be none or tokens, got '" + auth
          + "'");
    };
    // With none, the files are kept so that validation can say they would be ignored.
    return new AuthConfig(tokens, authTokensFile, AuthConfig.parseCertificateRoles(authCertRoles));
  }

  private TlsConfig.ClientAuth clientAuth() {
    try {
      return TlsConfig.ClientAuth.valueOf(tlsClientAuth.trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--tls-client-auth must be none, optional or require, "
          + "got '" + tlsClientAuth + "'", e);
    }
  }
}
