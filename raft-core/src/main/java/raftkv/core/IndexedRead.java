package raftkv.core;

/**
 * A read result together with the applied index of the state it was read from.
 *
 * <p>The index is exact: both come from one RocksDB snapshot, so a caller may
 * use it as a session token without under- or over-stating what it saw.
 *
 * @param result what was read
 * @param appliedIndex the last log index applied to the state that was read
 */
public record IndexedRead<T>(T result, long appliedIndex) {}
