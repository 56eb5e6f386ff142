package raftkv.client;

import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The channel credentials a {@link KvClient.Builder} was given: TLS (trusting a CA, with or
 * without a client certificate) or plaintext, plus a bearer token or not. Stateless.
 */
final class ClientCredentials {
  private ClientCredentials() {}

  /**
   * @param caCert PEM CA bundle the nodes' certificates must verify against; null: plaintext
   * @param clientCert PEM client certificate chain, or null
   * @param clientKey PEM PKCS#8 key of {@code clientCert}, or null
   * @param bearerToken token sent with every call, or null
   * @throws IllegalArgumentException naming the file that cannot be read
   */
  static ChannelCredentials of(Path caCert, Path clientCert, Path clientKey, String bearerToken) {
    ChannelCredentials channel;
    if (caCert == null) {
      channel = InsecureChannelCredentials.create();
    } else {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
      try {
        tls.trustManager(caCert.toFile());
      } catch (IOException e) {
        throw new IllegalArgumentException("CA certificate " + caCert + " cannot be read: " + e, e);
      }
      if (clientCert != null) {
        try {
          tls.keyManager(clientCert.toFile(), clientKey.toFile());
        } catch (IOException e) {
          throw new IllegalArgumentException("client certificate " + clientCert + " or key "
              + clientKey + " cannot be read: " + e, e);
        }
      }
      channel = tls.build();
    }
    return bearerToken == null ? channel
        : CompositeChannelCredentials.create(channel, new BearerToken(bearerToken));
  }
}
