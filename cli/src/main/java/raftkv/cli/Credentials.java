package raftkv.cli;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import raftkv.client.KvClient;

/**
 * How a verb proves itself to the nodes: TLS trusting {@code caCert} (with a client
 * certificate or not) or plaintext, and a bearer token or none. The data verbs pass it to
 * {@link KvClient.Builder}; the verbs that use raw stubs (status, admin, cluster) open their
 * channels with {@link #channel}. Immutable.
 *
 * @param caCert PEM CA the nodes' certificates must verify against; null: plaintext
 * @param clientCert PEM client certificate, or null
 * @param clientKey PEM PKCS#8 key of {@code clientCert}, or null
 * @param bearerToken sent as {@code authorization: Bearer <token>}, or null
 */
record Credentials(Path caCert, Path clientCert, Path clientKey, String bearerToken) {
  static final Credentials NONE = new Credentials(null, null, null, null);
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

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
      throw new UncheckedIOException("cannot read the token file " + file, e);
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

  /** A channel to {@code target} with these credentials; the caller shuts it down. */
  ManagedChannel channel(String target) {
    ManagedChannelBuilder<?> builder = Grpc.newChannelBuilder(target, channelCredentials());
    if (bearerToken != null) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + bearerToken);
      builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return builder.build();
  }

  private ChannelCredentials channelCredentials() {
    if (caCert == null) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder()
          .trustManager(caCert.toFile());
      if (clientCert != null) {
        tls.keyManager(clientCert.toFile(), clientKey.toFile());
      }
      return tls.build();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --cacert " + caCert
          + (clientCert == null ? "" : ", --cert " + clientCert + " or --key " + clientKey)
          + ": " + e.getMessage(), e);
    }
  }

  private static Path path(String file) {
    return file == null ? null : Path.of(file);
  }
}
