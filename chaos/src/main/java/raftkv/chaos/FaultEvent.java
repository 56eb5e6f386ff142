package raftkv.chaos;

/**
 * One fault as it happened. Immutable.
 *
 * @param fault the kind
 * @param target what it hit, e.g. {@code "leader n2"} or {@code "{n1,l1} | {n2,n3,l2}"}
 * @param startMs when it was injected, ms since the workload started
 * @param endMs when it was healed, ms since the workload started
 * @param note what was observed (e.g. whether a snapshot was installed); may be empty
 * @param completed whether it was injected and healed as planned; false when either step
 *     failed (the note says why), which does not count as the kind having run
 */
public record FaultEvent(Fault fault, String target, long startMs, long endMs, String note,
    boolean completed) {

  /** A fault injected and healed as planned. */
  public FaultEvent(Fault fault, String target, long startMs, long endMs, String note) {
    this(fault, target, startMs, endMs, note, true);
  }

  /** A fault that could not be injected or healed. */
  static FaultEvent failed(Fault fault, long startMs, long endMs, String why) {
    return new FaultEvent(fault, "?", startMs, endMs, "failed to inject or heal: " + why, false);
  }

  /** How long the fault took, from injection to healed (to the failure for a failed one). */
  public long durationMs() {
    return endMs - startMs;
  }
}
