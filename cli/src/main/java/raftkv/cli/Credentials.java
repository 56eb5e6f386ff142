package raftkv.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import raftkv.client.KvClient;

/**
 * How a verb proves itself to the nodes: TLS trusting {@code caCert} (with a client
 * certificate or not) or plaintext, and a bearer token or none. Every verb passes it to
 * {@link KvClient.Builder}, which builds the channels. Immutable.
 *
 * @param caCert PEM CA the nodes' certificates must verify against; null: plaintext
 * @param clientCert PEM client certificate, or null
 * @param clientKey PEM PKCS#8 key of {@code clientCert}, or null
 * @param bearerToken sent as {@code authorization: Bearer <token>}, or null
 */
record Credentials(Path caCert, Path clientCert, Path clientKey, String bearerToken) {
  static final Credentials NONE = new Credentials(null, null, null, null);

  /** Throws {@link IllegalArgumentException} naming the options that do not fit together. */
  Credentials {
    if ((clientCert == null) != (clientKey == null)) {
      throw new IllegalArgumentException("--cert and --key go together: give both or neither");
    }
    if (clientCert != null && caCert == null) {
      throw new IllegalArgumentException("--cert needs --cacert (the CA that signed the nodes' "
          + "certificates)");
    }
  }

  /** What {@code raftkv cluster start --secure} recorded in {@code cluster.json}; NONE if nothing. */
  static Credentials of(ClusterFile cluster) {
    return new Credentials(path(cluster.caFile()), path(cluster.clientCertFile()),
        path(cluster.clientKeyFile()),
        cluster.tokenFile() == null ? null : readToken(Path.of(cluster.tokenFile())));
  }

  /** The first line of {@code file}, trimmed: a token file holds just the token. */
  static String readToken(Path file) {
    try {
      String token = Files.readString(file).strip();
      int newline = token.indexOf('\n');
      return newline < 0 ? token : token.substring(0, newline).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the token file " + file + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.toString()), e);
    }
  }

  KvClient.Builder applyTo(KvClient.Builder builder) {
    if (caCert != null) {
      if (clientCert != null) {
        builder.tls(caCert, clientCert, clientKey);
      } else {
        builder.tls(caCert);
      }
    }
    if (bearerToken != null) {
      builder.bearerToken(bearerToken);
    }
    return builder;
  }

  private static Path path(String file) {
    return file == null ? null : Path.of(file);
  }
}
