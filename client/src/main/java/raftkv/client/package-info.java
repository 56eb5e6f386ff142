/**
 * The Java client of raftkv.
 *
 * <p>{@link raftkv.client.KvClient} owns the connections to a cluster. Its facets carry the
 * calls: {@link raftkv.client.KvClient#async()} answers with {@code CompletableFuture}s,
 * {@link raftkv.client.KvClient#blocking()} with plain results, and
 * {@link raftkv.client.KvClient#admin()} asks single nodes about themselves. Every failure a
 * caller sees is a {@link raftkv.client.KvException} naming the gRPC status code.
 *
 * <p>{@link raftkv.client.Session}s carry a session token, the highest log index they have
 * seen, and read at SESSION with it by default: read-your-writes and monotonic reads while
 * replicas serve the reads. A token is a printable string, so another process can continue
 * the session with {@link raftkv.client.KvClient#session(String)}.
 *
 * <p>Behind the facets, one retry loop serves every call, and one router decides where each
 * attempt goes: writes and linearizable reads go to the node believed to be the leader and
 * follow the server's {@code NotLeader} hints; SESSION, BOUNDED_STALENESS and EVENTUAL reads
 * go to replicas in {@link raftkv.client.ReadPreference} order (roles learned from background
 * status polls), a SESSION read preferably to one already known to hold its token, and a
 * lagging refusal moves on to the next node and finally the leader; unavailable nodes are
 * skipped with exponential backoff; everything stays within the call's deadline. A node that
 * refuses the connection or was removed from the cluster is not tried again by the call, and
 * when no other node is left the call fails at once, saying which and why. Writes carry a
 * write id that the state machine uses to apply each write at most once however often it is
 * retried.
 *
 * <p>{@link raftkv.client.KvClient#watch} streams every change to a key, prefix or range after
 * a start, from a replica, resuming on another node after the last change delivered when its
 * stream breaks ({@link raftkv.client.Watcher}). {@link raftkv.client.KvClient#leases()}
 * grants leases, to which puts may attach keys, and keeps them alive from the background
 * ({@link raftkv.client.LeaseKeepAlive}).
 *
 * <p>{@link raftkv.client.Responses} reads string values and the session token from any
 * response. The client logs through {@link java.lang.System.Logger} (DEBUG for retries,
 * WARNING for misconfiguration) and depends on no logging library; docs/java-client.md says
 * how to route it to SLF4J.
 */
package raftkv.client;
