package raftkv.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.Executor;

/**
 * Sends {@code authorization: Bearer <token>} with every call. Over a plaintext channel the
 * token is sent too (a node with authentication but without TLS needs it), once with a
 * warning: anyone on the path can read it. Immutable and thread-safe.
 */
final class BearerToken extends CallCredentials {
  private static final Logger LOG = System.getLogger(BearerToken.class.getName());
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Metadata headers = new Metadata();
  private volatile boolean warned;

  /**
   * @throws IllegalArgumentException if {@code token} is empty or not printable ASCII
   *     without blanks (it travels as a header value)
   */
  BearerToken(String token) {
    if (token == null || token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException(
          "bearer token must be non-empty printable ASCII without blanks");
    }
    headers.put(AUTHORIZATION, "Bearer " + token);
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
    if (info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY && !warned) {
      warned = true;
      LOG.log(Level.WARNING,
          "sending a bearer token to {0} without TLS: it can be read on the network",
          info.getAuthority());
    }
    Metadata copy = new Metadata();
    copy.merge(headers);
    applier.apply(copy);
  }

  @Override
  public String toString() {
    return "BearerToken{<redacted>}";
  }
}
