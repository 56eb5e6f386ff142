package raftkv.reads;

/**
 * A read result and how it was served. Immutable.
 *
 * @param appliedIndex the index the state that was read is at (the store snapshot's index,
 *     or the index the read was admitted at if higher: entries between are configuration
 *     entries, which do not change data)
 * @param waitedMicros how long admission took
 * @param lag this node's lag when it served
 */
public record ServedRead<T>(T result, long appliedIndex, long waitedMicros, ReplicaProgress.Lag lag) {}
