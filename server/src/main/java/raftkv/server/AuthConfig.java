package raftkv.server;

import java.nio.file.Path;
import java.util.Map;

/**
 * Who may call the client API. Immutable. Authentication is off only when a configuration
 * says so explicitly ({@link #DISABLED}); the server then logs a warning at start.
 *
 * @param enabled whether calls must authenticate
 * @param tokensFile one {@code token role [name]} per line (roles: read, readwrite, admin;
 *     {@code #} starts a comment); callers send {@code authorization: Bearer <token>}
 * @param certificateRoles client-certificate subjects (RFC 2253, as the JDK prints them) and
 *     the role each is granted, for clients that authenticate by mutual TLS
 */
public record AuthConfig(boolean enabled, Path tokensFile, Map<String, AccessRole> certificateRoles) {

  /** No authentication: every caller may do everything. Must be chosen explicitly. */
  public static final AuthConfig DISABLED = new AuthConfig(false, null, Map.of());

  public AuthConfig {
    certificateRoles = certificateRoles == null ? Map.of() : Map.copyOf(certificateRoles);
  }

  /** Bearer tokens from {@code tokensFile}. */
  public static AuthConfig tokens(Path tokensFile) {
    return new AuthConfig(true, tokensFile, Map.of());
  }

  public AuthConfig withCertificateRoles(Map<String, AccessRole> roles) {
    return new AuthConfig(enabled, tokensFile, roles);
  }

  /** Throws {@link IllegalArgumentException} naming the field, its value and the rule broken. */
  public AuthConfig validate() {
    if (!enabled) {
      if (tokensFile != null || !certificateRoles.isEmpty()) {
        throw new IllegalArgumentException("auth is none, but auth-tokens-file or "
            + "auth-cert-roles is set: say auth=tokens to use them");
      }
      return this;
    }
    if (tokensFile == null && certificateRoles.isEmpty()) {
      throw new IllegalArgumentException("auth is on, but neither auth-tokens-file nor "
          + "auth-cert-roles grants any role: nobody could call this node");
    }
    if (tokensFile != null) {
      TlsConfig.readable("auth-tokens-file", tokensFile);
    }
    return this;
  }
}
