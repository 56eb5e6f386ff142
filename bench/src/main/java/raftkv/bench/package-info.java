/**
 * The bundled load tool of raftkv.
 *
 * <p>{@link raftkv.bench.ConsistencyChecker} checks, online and from the indexes and values in
 * responses alone, that every session's reads keep the promises of the level they were made
 * at: read-your-writes, monotonic reads, and never being served below the session's token.
 * For SESSION and LINEARIZABLE reads every violation is a bug; for EVENTUAL (and
 * BOUNDED_STALENESS) reads the counts are the measurement.
 */
package raftkv.bench;
