/**
 * The Java client of raftkv.
 *
 * <p>{@link raftkv.client.KvClient} owns the connections to a cluster. Its facets carry the
 * calls: {@link raftkv.client.KvClient#async()} answers with {@code CompletableFuture}s,
 * {@link raftkv.client.KvClient#blocking()} with plain results, and
 * {@link raftkv.client.KvClient#admin()} asks single nodes about themselves. Every failure a
 * caller sees is a {@link raftkv.client.KvException} naming the gRPC status code.
 *
 * <p>Behind the facets, one retry loop serves every call: writes and linearizable reads go to
 * the node believed to be the leader and follow the server's {@code NotLeader} hints; eventual
 * reads rotate over the configured endpoints; unavailable nodes are skipped with exponential
 * backoff; everything stays within the call's deadline. Writes carry a write id that the
 * state machine uses to apply each write at most once however often it is retried.
 */
package raftkv.client;
