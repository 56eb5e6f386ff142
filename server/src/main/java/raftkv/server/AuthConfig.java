package raftkv.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.security.auth.x500.X500Principal;

/**
 * Who may call the client API. Immutable. Authentication is off only when a configuration
 * says so explicitly ({@link #DISABLED}); the server then logs a warning at start.
 *
 * @param enabled whether calls must authenticate
 * @param tokensFile one {@code token role [name]} per line (roles: read, readwrite, admin;
 *     {@code #} starts a comment); callers send {@code authorization: Bearer <token>}
 * @param certificateRoles client-certificate subjects (RFC 2253, as the JDK prints them) and
 *     the role each is granted, for clients that authenticate by mutual TLS; needs TLS with
 *     client authentication optional or required. A call's bearer token, if it has one,
 *     takes precedence over its certificate.
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

  /**
   * Parses {@code auth-cert-roles}: {@code SUBJECT=ROLE} entries separated by ';'. A subject
   * in RFC 2253 contains commas and '=' itself ("CN=ops,O=Example=admin"), so entries are
   * split on ';' and each one's role is what follows its last '='. Blank: no mappings.
   *
   * @throws IllegalArgumentException naming the entry and the rule broken
   */
  public static Map<String, AccessRole> parseCertificateRoles(String text) {
    Map<String, AccessRole> roles = new LinkedHashMap<>();
    if (text == null) {
      return roles;
    }
    for (String raw : text.split(";")) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      int eq = entry.lastIndexOf('=');
      if (eq <= 0 || entry.substring(0, eq).isBlank()) {
        throw new IllegalArgumentException("auth-cert-roles entry '" + entry
            + "' is not SUBJECT=ROLE (entries are separated by ';')");
      }
      String subject = entry.substring(0, eq).trim();
      AccessRole role;
      try {
        role = AccessRole.parse(entry.substring(eq + 1));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("auth-cert-roles entry '" + entry + "': "
            + e.getMessage(), e);
      }
      if (roles.put(subject, role) != null) {
        throw new IllegalArgumentException("auth-cert-roles names subject '" + subject
            + "' twice; each subject gets one role");
      }
    }
    return roles;
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
    for (String subject : certificateRoles.keySet()) {
      try {
        new X500Principal(subject);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("auth-cert-roles subject '" + subject
            + "' is not an X.500 name such as CN=ops,O=Example (RFC 2253)", e);
      }
    }
    return this;
  }
}
