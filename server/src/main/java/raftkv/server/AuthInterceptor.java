package raftkv.server;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates each call to raftkv's services and checks that its role suffices for the
 * method ({@link MethodRoles}); a refused call is closed before its handler runs, so it
 * reads and writes nothing.
 *
 * <p>Who the caller is: a bearer token ({@code authorization: Bearer <token>}), if the call
 * carries one, decides alone, and an unknown token is refused even when the connection has
 * a client certificate that maps to a role. An explicit token is what the caller chose to
 * act as (an admin's machine may hold an admin certificate and still run a job with a read
 * token), and a mistyped token should fail loudly rather than fall back to the certificate.
 * Without a token, the subject of a verified client certificate (RFC 2253) grants the role
 * {@code auth-cert-roles} maps it to.
 *
 * <p>Immutable and thread-safe; runs on the transport thread (the server uses a direct
 * executor), so it does no I/O: one SHA-256 per call carrying a token.
 */
final class AuthInterceptor implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(AuthInterceptor.class);
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "bearer ";

  private final BearerTokens tokens;
  /** Normalized (RFC 2253) subject -> role. */
  private final Map<String, AccessRole> certificateRoles;

  AuthInterceptor(BearerTokens tokens, Map<String, AccessRole> certificateRoles) {
    this.tokens = tokens;
    Map<String, AccessRole> normalized = new HashMap<>();
    certificateRoles.forEach((subject, role) -> normalized.put(normalize(subject), role));
    this.certificateRoles = Map.copyOf(normalized);
  }

  /** From a validated, enabled configuration; reads the tokens file. */
  static AuthInterceptor of(AuthConfig auth) {
    BearerTokens tokens = auth.tokensFile() == null ? BearerTokens.none()
        : BearerTokens.read(auth.tokensFile());
    return new AuthInterceptor(tokens, auth.certificateRoles());
  }

  int tokenCount() {
    return tokens.size();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call,
      Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Optional<AccessRole> needed = MethodRoles.required(method);
    if (needed.isEmpty()) {
      return next.startCall(call, headers);
    }
    Status refusal = check(method, needed.get(), headers.get(AUTHORIZATION),
        call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (refusal != null) {
      LOG.debug("refused {} from {}: {}", method,
          call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), refusal.getDescription());
      call.close(refusal, new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }

  /** Null when the call may go on; otherwise the status to close it with. */
  Status check(String method, AccessRole needed, String authorization, SSLSession tls) {
    AccessRole granted;
    if (authorization != null) {
      if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
        return Status.UNAUTHENTICATED.withDescription(
            "authorization metadata must be 'Bearer <token>'");
      }
      Optional<BearerTokens.Entry> entry =
          tokens.find(authorization.substring(BEARER.length()).trim());
      if (entry.isEmpty()) {
        return Status.UNAUTHENTICATED.withDescription("unknown bearer token");
      }
      granted = entry.get().role();
    } else {
      Optional<AccessRole> byCertificate = certificateSubject(tls).map(certificateRoles::get);
      if (byCertificate.isEmpty()) {
        return Status.UNAUTHENTICATED.withDescription(
            "missing bearer token: send metadata 'authorization: Bearer <token>'");
      }
      granted = byCertificate.get();
    }
    if (!granted.allows(needed)) {
      return Status.PERMISSION_DENIED.withDescription("role " + name(granted) + " may not call "
          + method + "; it needs " + name(needed));
    }
    return null;
  }

  /** The RFC 2253 subject of the verified client certificate, if the peer presented one. */
  static Optional<String> certificateSubject(SSLSession tls) {
    if (tls == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = tls.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
        return Optional.of(leaf.getSubjectX500Principal().getName());
      }
    } catch (SSLPeerUnverifiedException noClientCertificate) {
      // Client auth is optional and this client presented none.
    }
    return Optional.empty();
  }

  /** The JDK's RFC 2253 form, so that "CN=a, O=b" in a configuration matches "CN=a,O=b". */
  static String normalize(String subject) {
    return new X500Principal(subject).getName();
  }

  static String name(AccessRole role) {
    return role.name().toLowerCase(java.util.Locale.ROOT);
  }
}
