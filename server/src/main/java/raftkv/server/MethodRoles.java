package raftkv.server;

import java.util.Map;
import java.util.Optional;

/**
 * The role each client API method needs. Methods of raftkv's own services default to
 * {@link AccessRole#ADMIN}, so that a method added later is closed until it is listed here;
 * methods of other services (grpc.health.v1.Health, grpc.reflection.*) need no credentials,
 * so that probes and grpcurl work without a token. Stateless.
 */
final class MethodRoles {
  /** Full method names ("service/method") that need less than ADMIN. */
  private static final Map<String, AccessRole> BELOW_ADMIN = Map.ofEntries(
      Map.entry("raftkv.v1.KV/Get", AccessRole.READ),
      Map.entry("raftkv.v1.KV/Range", AccessRole.READ),
      Map.entry("raftkv.v1.KV/Put", AccessRole.READWRITE),
      Map.entry("raftkv.v1.KV/Delete", AccessRole.READWRITE),
      Map.entry("raftkv.v1.KV/Txn", AccessRole.READWRITE),
      Map.entry("raftkv.v1.Watch/Watch", AccessRole.READ),
      Map.entry("raftkv.v1.Lease/LeaseGrant", AccessRole.READWRITE),
      Map.entry("raftkv.v1.Lease/LeaseRevoke", AccessRole.READWRITE),
      Map.entry("raftkv.v1.Lease/LeaseKeepAlive", AccessRole.READWRITE),
      Map.entry("raftkv.v1.Lease/LeaseInfo", AccessRole.READ),
      Map.entry("raftkv.v1.Admin/Status", AccessRole.READ),
      // Digest scans the whole store on the read executor: admin only, so that a read token
      // cannot starve waiting reads.
      Map.entry("raftkv.v1.Admin/Digest", AccessRole.ADMIN));

  private MethodRoles() {}

  /** The role {@code fullMethodName} needs; empty: anybody may call it. */
  static Optional<AccessRole> required(String fullMethodName) {
    AccessRole role = BELOW_ADMIN.get(fullMethodName);
    if (role != null) {
      return Optional.of(role);
    }
    return fullMethodName.startsWith("raftkv.") ? Optional.of(AccessRole.ADMIN) : Optional.empty();
  }
}
