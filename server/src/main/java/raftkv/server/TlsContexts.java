package raftkv.server;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;

/**
 * Builds the client API's server-side TLS context from a {@link TlsConfig}. The provider is
 * whichever grpc-netty-shaded picks: its bundled BoringSSL (netty-tcnative) where the native
 * library loads, the JDK's otherwise. Stateless.
 */
final class TlsContexts {
  private TlsContexts() {}

  /**
   * The server context for {@code tls}, which must be {@linkplain TlsConfig#enabled() enabled}
   * and valid.
   *
   * @throws IllegalArgumentException naming the files when a certificate or key cannot be
   *     loaded (not PEM, key not PKCS#8, key not matching the certificate, ...)
   */
  static SslContext server(TlsConfig tls) {
    try {
      SslContextBuilder builder = GrpcSslContexts.forServer(tls.certChain().toFile(),
          tls.privateKey().toFile());
      if (tls.clientAuth() != TlsConfig.ClientAuth.NONE) {
        builder.trustManager(tls.clientCa().toFile());
      }
      return builder.clientAuth(nettyClientAuth(tls.clientAuth())).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("tls-cert " + tls.certChain() + ", tls-key "
          + tls.privateKey() + (tls.clientCa() == null ? "" : ", tls-client-ca " + tls.clientCa())
          + " cannot be loaded as PEM certificates and a PKCS#8 key that belong together: "
          + e.getMessage(), e);
    }
  }

  /** "OpenSSL" (BoringSSL) or "JDK": for the start-up log line. */
  static String providerName() {
    return SslContext.defaultServerProvider() == SslProvider.JDK ? "JDK" : "OpenSSL";
  }

  private static ClientAuth nettyClientAuth(TlsConfig.ClientAuth mode) {
    return switch (mode) {
      case NONE -> ClientAuth.NONE;
      case OPTIONAL -> ClientAuth.OPTIONAL;
      case REQUIRE -> ClientAuth.REQUIRE;
    };
  }
}
