package raftkv.core;

/** A watch asked for changes older than the history the store still keeps. */
public final class HistoryCompactedException extends Exception {
  private final long requestedAfter;
  private final long compactedThrough;

  HistoryCompactedException(long requestedAfter, long compactedThrough) {
    super("changes after index " + requestedAfter + " are no longer kept: this node's history"
        + " starts after index " + compactedThrough);
    this.requestedAfter = requestedAfter;
    this.compactedThrough = compactedThrough;
  }

  public long requestedAfter() {
    return requestedAfter;
  }

  /** The smallest index a watch may start after. */
  public long compactedThrough() {
    return compactedThrough;
  }
}
