package raftkv.client;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import raftkv.v1.LeaseGrantRequest;
import raftkv.v1.LeaseGrantResponse;
import raftkv.v1.LeaseGrpc;
import raftkv.v1.LeaseInfoRequest;
import raftkv.v1.LeaseInfoResponse;
import raftkv.v1.LeaseRevokeRequest;
import raftkv.v1.LeaseRevokeResponse;

/**
 * Leases: keys that vanish when their owner stops renewing. Obtained from {@link
 * KvClient#leases()}.
 *
 * <pre>{@code
 * long lease = client.leases().grant(Duration.ofSeconds(10)).join().getId();
 * client.blocking().put("services/web-1", "10.0.0.1:8080", lease);
 * try (LeaseKeepAlive alive = client.leases().keepAlive(lease)) {
 *   ... serve; if this process dies, the key is deleted 10 s later ...
 * }
 * }</pre>
 *
 * <p>Every call goes to the leader, routed and retried as writes are, within the deadline
 * given to {@link #withDeadline} (the client's default otherwise). A grant carries a write id,
 * so a retried grant returns the first grant's lease; a revoke retried after its answer was
 * lost may fail with the server's answer for a lease that no longer exists. A future that
 * fails holds a {@link KvException}; futures complete on client threads (see {@link AsyncKv}).
 *
 * <p>Thread-safe and immutable; a view of its {@link KvClient}, valid until that is closed.
 */
public final class LeaseApi {
  /** The shortest TTL a lease may have. */
  public static final Duration MIN_TTL = Duration.ofSeconds(1);
  /** The longest TTL a lease may have: 30 days. */
  public static final Duration MAX_TTL = Duration.ofDays(30);

  private final Dispatcher dispatcher;
  private final Duration deadline;

  LeaseApi(Dispatcher dispatcher, Duration deadline) {
    this.dispatcher = dispatcher;
    this.deadline = deadline;
  }

  /** This facet with {@code deadline} for each call instead of the current one. */
  public LeaseApi withDeadline(Duration deadline) {
    return new LeaseApi(dispatcher, KvClient.checkDeadline(deadline));
  }

  /**
   * A new lease of {@code ttl}: it and every key attached to it end when {@code ttl} passes
   * without a keep-alive. The response's id is the lease to attach keys to.
   *
   * @throws IllegalArgumentException if {@code ttl} is not a whole number of milliseconds
   *     between {@link #MIN_TTL} and {@link #MAX_TTL}
   */
  public CompletableFuture<LeaseGrantResponse> grant(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("a lease's TTL must be between "
          + MIN_TTL.toSeconds() + " s and " + MAX_TTL.toDays() + " days, got " + human(ttl));
    }
    return dispatcher.write(Kinds.LEASE_GRANT,
        LeaseGrantRequest.newBuilder().setTtlMs(ttl.toMillis()).build(), null, deadline);
  }

  /** Ends lease {@code id} now: every key attached to it is deleted at one log index. */
  public CompletableFuture<LeaseRevokeResponse> revoke(long id) {
    return dispatcher.onLeader(LeaseGrpc.getLeaseRevokeMethod(),
        LeaseRevokeRequest.newBuilder().setId(id).build(), LeaseRevokeResponse::getIndex,
        deadline);
  }

  /** Lease {@code id}'s TTL and time left; with {@code keys}, the keys attached to it. */
  public CompletableFuture<LeaseInfoResponse> info(long id, boolean keys) {
    return dispatcher.onLeader(LeaseGrpc.getLeaseInfoMethod(),
        LeaseInfoRequest.newBuilder().setId(id).setKeys(keys).build(), r -> 0, deadline);
  }

  /**
   * Keeps lease {@code id} alive in the background until the returned handle is closed, the
   * lease is found gone, or the client is closed; see {@link LeaseKeepAlive}.
   */
  public LeaseKeepAlive keepAlive(long id) {
    LeaseKeepAlive alive = new LeaseKeepAlive(dispatcher, id);
    alive.start();
    return alive;
  }

  private static String human(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
