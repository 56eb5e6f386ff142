package raftkv.reads;

/**
 * A read needed an applied index this replica did not reach within the read's wait budget.
 * Carries what a caller needs to decide where to go next. Immutable.
 */
public final class ReplicaLagging extends RuntimeException {
  private final long appliedIndex;
  private final long neededIndex;

  public ReplicaLagging(long appliedIndex, long neededIndex, long waitedMs) {
    super("replica has applied index " + appliedIndex + " but the read needs " + neededIndex
        + " (" + (neededIndex - appliedIndex) + " entries behind after waiting " + waitedMs
        + " ms)", null, false, false);
    this.appliedIndex = appliedIndex;
    this.neededIndex = neededIndex;
  }

  public long appliedIndex() {
    return appliedIndex;
  }

  public long neededIndex() {
    return neededIndex;
  }
}
