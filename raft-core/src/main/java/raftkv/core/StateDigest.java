package raftkv.core;

/**
 * A hash of a replica's replicated state and the index that state is at. Replicas at the
 * same applied index must have equal digests; see {@link KvStore#digest} for what is hashed.
 * Immutable.
 *
 * @param sha256 lowercase hex SHA-256 of the state
 * @param keys user keys in the state
 * @param appliedIndex the applied index of the state that was hashed
 */
public record StateDigest(String sha256, long keys, long appliedIndex) {}
