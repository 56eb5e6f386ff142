package raftkv.bench;

/**
 * What the checker counted for writes.
 *
 * @param writes acknowledged writes checked
 * @param monotonicWrites writes acknowledged at an index not above the same session's
 *     previous write: always a bug
 */
public record WriteCounts(long writes, long monotonicWrites) {}
