package raftkv.bench;

/**
 * What the checker counted for one consistency level. Each violation counter counts reads
 * (a read that broke a rule in two ways, say two keys' versions, still counts once per
 * rule); a read that broke two rules counts under both, and once in
 * {@code readsWithViolations}.
 *
 * @param reads every read checked at this level
 * @param readYourWrites reads that did not reflect the session's own latest acknowledged
 *     write to the key
 * @param monotonicReads reads that went back behind what the session had already read
 * @param staleReads reads served at an applied index below the session's token
 * @param readsWithViolations reads that broke at least one rule
 */
public record Counts(long reads, long readYourWrites, long monotonicReads, long staleReads,
    long readsWithViolations) {

  public static final Counts ZERO = new Counts(0, 0, 0, 0, 0);

  /** True when no read at this level broke any rule. */
  public boolean clean() {
    return readsWithViolations == 0;
  }
}
