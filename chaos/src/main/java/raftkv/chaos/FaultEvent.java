package raftkv.chaos;

/**
 * One fault as it happened. Immutable.
 *
 * @param fault the kind
 * @param target what it hit, e.g. {@code "leader n2"} or {@code "{n1,l1} | {n2,n3,l2}"}
 * @param startMs when it was injected, ms since the workload started
 * @param endMs when it was healed, ms since the workload started
 * @param note what was observed (e.g. whether a snapshot was installed); may be empty
 */
public record FaultEvent(Fault fault, String target, long startMs, long endMs, String note) {}
