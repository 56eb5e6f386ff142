package raftkv.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;
import raftkv.client.KvClient;

/**
 * {@code --endpoints} or {@code --cluster}: where a data or admin verb sends its calls, and
 * the TLS files and bearer token it proves itself with (flags win over what a secure local
 * cluster's {@code cluster.json} records).
 */
final class Connection {
  @Option(names = "--endpoints", split = ",", paramLabel = "HOST:PORT",
      description = "gRPC addresses of cluster nodes. Naming one node pins reads to it.")
  List<String> endpoints;

  @Option(names = "--cluster", paramLabel = "DIR",
      description = "A local cluster started by 'raftkv cluster start --dir DIR'; its TLS "
          + "files and admin token are used unless the options below say otherwise.")
  Path cluster;

  @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class,
      description = "Deadline of the whole command, retries included (default ${DEFAULT-VALUE}).")
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

  List<String> endpoints() {
    if (endpoints != null && !endpoints.isEmpty()) {
      return endpoints;
    }
    if (cluster != null) {
      return ClusterFile.read(cluster).grpcAddresses();
    }
    throw new IllegalArgumentException("say where the cluster is: --endpoints HOST:PORT,... or --cluster DIR");
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
    Credentials recorded = cluster == null ? Credentials.NONE : Credentials.of(ClusterFile.read(cluster));
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
