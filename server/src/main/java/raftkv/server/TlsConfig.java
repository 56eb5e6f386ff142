package raftkv.server;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS on the client API (gRPC). Immutable. Off when {@code certChain} is null.
 *
 * @param certChain PEM certificate chain this node presents; null: plaintext
 * @param privateKey PEM (PKCS#8) private key of {@code certChain}
 * @param clientCa PEM CA bundle client certificates are verified against; required unless
 *     {@code clientAuth} is {@link ClientAuth#NONE}
 * @param clientAuth whether a client certificate is required, optional or not asked for
 */
public record TlsConfig(Path certChain, Path privateKey, Path clientCa, ClientAuth clientAuth) {

  /** What a node asks of a client's certificate. */
  public enum ClientAuth {
    /** No client certificate is asked for. */
    NONE,
    /** A client may present one; if it does, it must verify against the client CA. */
    OPTIONAL,
    /** A client without a certificate that verifies against the client CA is refused. */
    REQUIRE
  }

  /** Plaintext. */
  public static final TlsConfig OFF = new TlsConfig(null, null, null, ClientAuth.NONE);

  public TlsConfig {
    clientAuth = clientAuth == null ? ClientAuth.NONE : clientAuth;
  }

  public boolean enabled() {
    return certChain != null;
  }

  /** Throws {@link IllegalArgumentException} naming the field, its value and the rule broken. */
  public TlsConfig validate() {
    if (!enabled()) {
      if (privateKey != null || clientCa != null || clientAuth != ClientAuth.NONE) {
        throw new IllegalArgumentException("tls-cert is not set, but tls-key, tls-client-ca or "
            + "tls-client-auth is: TLS needs tls-cert and tls-key");
      }
      return this;
    }
    readable("tls-cert", certChain);
    if (privateKey == null) {
      throw new IllegalArgumentException("tls-key must be set when tls-cert is (" + certChain + ")");
    }
    readable("tls-key", privateKey);
    if (clientAuth != ClientAuth.NONE) {
      if (clientCa == null) {
        throw new IllegalArgumentException("tls-client-auth is " + clientAuth.name().toLowerCase()
            + ", which needs tls-client-ca (the CA that signs client certificates)");
      }
      readable("tls-client-ca", clientCa);
    } else if (clientCa != null) {
      // An operator who names a client CA means to check client certificates; with client
      // auth none it would be ignored and every TLS client let in.
      throw new IllegalArgumentException("tls-client-ca is set (" + clientCa + ") but "
          + "tls-client-auth is none, so it would be ignored: set tls-client-auth to optional "
          + "or require, or remove tls-client-ca");
    }
    return this;
  }

  static void readable(String field, Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(field + " " + file + " must be a readable file");
    }
  }
}
