package raftkv.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;

/**
 * TLS for one node's Raft traffic (jraft over Bolt): its Raft RPC server and the Raft RPC
 * client it uses to reach its peers. Immutable; {@link #validate} names the field, the value
 * and the rule of the first problem it finds.
 *
 * <p>The model is Bolt 1.6.12's, which has no separate trust store: Bolt loads one key store
 * (here always PKCS12) and uses it twice, for the key this node presents (server certificate,
 * and client certificate when it connects to a peer) and as its trust anchors ({@code
 * TrustManagerFactory.init(keyStore)} in {@code RpcServer.initSSLContext} and in {@code
 * AbstractConnectionFactory.initSSLContext}). A peer is trusted when its chain ends at a
 * trusted-certificate entry of the key store, or at the certificate of a key entry: so either
 * every node holds the same self-signed key, or each node holds its own key signed by a CA
 * whose certificate is imported into every node's key store. Use a CA that signs Raft
 * certificates only: any certificate it signed is accepted as a peer. Neither side checks host
 * names (Bolt creates its engines without a peer host), so authentication means "holds a
 * trusted certificate", not "is node X".
 *
 * <p>Bolt reads the key store file for every new connection: it must stay readable while the
 * node runs, and replacing it (same password) rotates the key for new connections.
 *
 * @param keyStore PKCS12 file with this node's private key and certificate chain and the
 *     trusted certificates; {@code null} in {@link #OFF} only
 * @param keyStorePassword password of the key store and of its key entry (Bolt uses the same
 *     password for both); never printed by {@link #toString}
 * @param requireClientAuth whether this node's server refuses connections whose client
 *     presents no trusted certificate (mutual TLS). Without it the traffic is encrypted and
 *     clients authenticate the server, but anyone who can reach the Raft port can still send
 *     Raft requests. This node's client always presents its certificate.
 */
public record RaftTlsOptions(Path keyStore, String keyStorePassword, boolean requireClientAuth) {

  /** Plain TCP: no encryption, no authentication (the default). */
  public static final RaftTlsOptions OFF = new RaftTlsOptions(null, "", false);

  /** Mutual TLS with this PKCS12 key store: the setting to use in production. */
  public static RaftTlsOptions mutual(Path keyStore, String keyStorePassword) {
    return new RaftTlsOptions(keyStore, keyStorePassword, true);
  }

  public boolean enabled() {
    return keyStore != null;
  }

  /**
   * Throws {@link IllegalArgumentException} naming the first invalid field: the key store must
   * be a readable PKCS12 file that opens with the password and holds a private key entry.
   * Fields are named by their {@code raftkv server} options (raft-tls-keystore, ...).
   */
  public RaftTlsOptions validate() {
    if (!enabled()) {
      if (requireClientAuth) {
        throw new IllegalArgumentException(
            "raft-tls-client-auth require needs raft-tls-keystore to be set");
      }
      return this;
    }
    if (!Files.isRegularFile(keyStore) || !Files.isReadable(keyStore)) {
      throw new IllegalArgumentException(
          "raft-tls-keystore: '" + keyStore + "' is not a readable file");
    }
    if (keyStorePassword == null) {
      throw new IllegalArgumentException(
          "raft-tls-password-file (the key store password) must be set (may be empty)");
    }
    KeyStore ks;
    try (InputStream in = Files.newInputStream(keyStore)) {
      ks = KeyStore.getInstance(RaftTls.KEY_STORE_TYPE);
      ks.load(in, keyStorePassword.toCharArray());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("raft-tls-keystore: '" + keyStore
          + "' does not open as " + RaftTls.KEY_STORE_TYPE
          + " with raft-tls-password-file (the key store password): "
          + e.getMessage(), e);
    }
    try {
      boolean hasKey = false;
      for (String alias : Collections.list(ks.aliases())) {
        hasKey |= ks.isKeyEntry(alias);
      }
      if (!hasKey) {
        throw new IllegalArgumentException("raft-tls-keystore: '" + keyStore
            + "' holds no private key entry; it needs this node's key and certificate chain");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "raft-tls-keystore: '" + keyStore + "' cannot be read: " + e.getMessage(), e);
    }
    return this;
  }

  @Override
  public String toString() {
    return enabled()
        ? "RaftTlsOptions[keyStore=" + keyStore + ", keyStorePassword=***, requireClientAuth="
            + requireClientAuth + "]"
        : "RaftTlsOptions.OFF";
  }
}
