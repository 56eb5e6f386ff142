package raftkv.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import raftkv.client.KvClient;

/**
 * {@code --endpoints} or {@code --cluster}: where a data or admin verb sends its calls, and
 * the TLS files and bearer token it proves itself with (flags win over what a secure local
 * cluster's {@code cluster.json} records). When neither flag is given, {@code
 * RAFTKV_ENDPOINTS} and {@code RAFTKV_CLUSTER} stand for them ({@link EnvironmentDefaults}).
 */
final class Connection {
  @Option(names = "--endpoints", split = ",", paramLabel = "HOST:PORT",
      description = "gRPC addresses of cluster nodes. Naming one node pins reads to it. "
          + "Default: $" + EnvironmentDefaults.ENDPOINTS + " when neither --endpoints nor "
          + "--cluster is given.")
  List<String> endpoints;

  @Option(names = "--cluster", paramLabel = "DIR",
      description = "A local cluster started by 'raftkv cluster start --dir DIR'; its TLS "
          + "files and admin token are used unless the options below say otherwise. "
          + "Default: $" + EnvironmentDefaults.CLUSTER + " when neither --endpoints nor "
          + "--cluster is given.")
  Path cluster;

  @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class,
      paramLabel = "DURATION",
      description = "Deadline of each request to the cluster, retries included (a data verb "
          + "sends one; bench, one per operation); " + DurationConverter.FORMS
          + "; default ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--cacert", paramLabel = "FILE",
      description = "Speak TLS, trusting node certificates signed by this PEM CA.")
  Path cacert;

  @Option(names = "--cert", paramLabel = "FILE",
      description = "Client certificate (PEM) for nodes that ask for one; needs --key.")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", description = "Private key (PEM, PKCS#8) of --cert.")
  Path key;

  // Not --token: data verbs use --token for the session token.
  @Option(names = "--auth-token", paramLabel = "TOKEN",
      description = "Bearer token for nodes that require authentication (visible in the "
          + "process list; prefer --auth-token-file).")
  String authToken;

  @Option(names = "--auth-token-file", paramLabel = "FILE",
      description = "File whose first line is the bearer token.")
  Path authTokenFile;

  /** The command this is mixed into: tells a flag given from a default taken from the environment. */
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  List<String> endpoints() {
    List<String> named = namedEndpoints();
    if (named != null && !named.isEmpty()) {
      return named;
    }
    if (clusterDir() != null) {
      return ClusterFile.read(clusterDir()).grpcAddresses();
    }
    throw new IllegalArgumentException("say where the cluster is: --endpoints HOST:PORT,... or "
        + "--cluster DIR (or set " + EnvironmentDefaults.ENDPOINTS + " or "
        + EnvironmentDefaults.CLUSTER + ")");
  }

  /**
   * The node id {@code cluster.json} records for each gRPC address, when the cluster is named
   * by {@code --cluster}; empty otherwise.
   */
  Map<String, String> knownIds() {
    if (clusterDir() == null) {
      return Map.of();
    }
    return ClusterFile.read(clusterDir()).nodes().stream().collect(Collectors.toMap(
        ClusterFile.Node::grpcAddress, ClusterFile.Node::id, (a, b) -> a));
  }

  /** --endpoints, or RAFTKV_ENDPOINTS unless --cluster was given; null if neither. */
  private List<String> namedEndpoints() {
    return given("--cluster") && !given("--endpoints") ? null : endpoints;
  }

  /** --cluster, or RAFTKV_CLUSTER unless --endpoints was given; null if neither. */
  private Path clusterDir() {
    return given("--endpoints") && !given("--cluster") ? null : cluster;
  }

  private boolean given(String option) {
    return given(command, option);
  }

  /** Whether {@code option} was on the command line of {@code command} (not a default). */
  static boolean given(CommandSpec command, String option) {
    ParseResult parsed = command == null || command.commandLine() == null ? null
        : command.commandLine().getParseResult();
    return parsed != null && parsed.hasMatchedOption(option);
  }

  /**
   * The credentials to use: each of --cacert, --cert/--key and the token comes from its flag
   * if given, else from {@code --cluster}'s cluster.json.
   *
   * @throws IllegalArgumentException when the options do not fit together
   */
  Credentials credentials() {
    if (authToken != null && authTokenFile != null) {
      throw new IllegalArgumentException("give --auth-token or --auth-token-file, not both");
    }
    Path dir = clusterDir();
    Credentials recorded = dir == null ? Credentials.NONE : Credentials.of(ClusterFile.read(dir));
    boolean ownCertificate = cert != null || key != null;
    String token = authToken != null ? authToken
        : authTokenFile != null ? Credentials.readToken(authTokenFile) : recorded.bearerToken();
    return new Credentials(cacert != null ? cacert : recorded.caCert(),
        ownCertificate ? cert : recorded.clientCert(), ownCertificate ? key : recorded.clientKey(),
        token);
  }

  KvClient connect() {
    return credentials().applyTo(KvClient.builder().endpoints(endpoints()).defaultDeadline(timeout))
        .build();
  }
}
