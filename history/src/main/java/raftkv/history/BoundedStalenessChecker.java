package raftkv.history;

import static raftkv.history.LogKnowledge.what;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Checks that BOUNDED reads were served by a replica at most their bound behind. Immutable and
 * thread-safe.
 *
 * <p>Rule: for every OK BOUNDED read r with served index s(r) &gt; 0 and bound B ms, and every OK
 * write or CAS w (any session) with a known log index that completed more than B + slack ms before
 * r was invoked ({@code w.completeNanos < r.invokeNanos - (B + slack) * 10^6}), s(r) &gt;=
 * index(w). The slack absorbs clock granularity and the time between the store's staleness clock
 * and the client's. Costs O(n log n): writes by completion time, reads by deadline, one sweep.
 */
public final class BoundedStalenessChecker {

  public static final String NAME = Violation.BOUNDED_STALENESS;
  public static final long DEFAULT_SLACK_MS = 10;

  private final long slackMs;

  public BoundedStalenessChecker() {
    this(DEFAULT_SLACK_MS);
  }

  /** @param slackMs added to every read's bound; must be &gt;= 0 */
  public BoundedStalenessChecker(long slackMs) {
    if (slackMs < 0) throw new IllegalArgumentException("slackMs must be >= 0");
    this.slackMs = slackMs;
  }

  public long slackMs() {
    return slackMs;
  }

  public CheckResult check(History history) {
    LogKnowledge log = new LogKnowledge(history);
    List<Op> writes = new ArrayList<>();
    List<Op> reads = new ArrayList<>();
    for (Op op : history.ops()) {
      if (op.outcome() != Op.Outcome.OK) continue;
      if (op.kind() != Op.Kind.READ) {
        if (log.indexOf(op) > 0) writes.add(op);
      } else if (op.served().level() == ReadLevel.BOUNDED && op.served().index() > 0) {
        reads.add(op);
      }
    }
    writes.sort(Comparator.comparingLong(Op::completeNanos));
    reads.sort(Comparator.comparingLong(this::deadline).thenComparingInt(Op::id));
    List<Violation> out = new ArrayList<>();
    Op newest = null; // greatest index among the writes passed so far
    int w = 0;
    for (Op r : reads) {
      long deadline = deadline(r);
      while (w < writes.size() && writes.get(w).completeNanos() < deadline) {
        Op cand = writes.get(w++);
        if (newest == null || log.indexOf(cand) > log.indexOf(newest)) newest = cand;
      }
      if (newest != null && r.served().index() < log.indexOf(newest)) {
        out.add(new Violation(NAME, r.process() + " BOUNDED " + LogKnowledge.read(r,
            log.valueIndexOf(r)) + " with bound " + r.served().boundMs() + " ms, but "
            + what(newest) + " by " + newest.process() + " was " + log.at(newest)
            + " and completed " + LogKnowledge.ms(r.invokeNanos() - newest.completeNanos())
            + " before the read began (more than the bound + " + slackMs + " ms slack)",
            List.of(r, newest)));
      }
    }
    return new CheckResult(NAME, reads.size(), out);
  }

  /** Writes completed before this time must be visible to the read; saturates instead of wrapping. */
  private long deadline(Op read) {
    long ms = read.served().boundMs() + slackMs;
    if (ms < 0 || ms > Long.MAX_VALUE / 1_000_000) return Long.MIN_VALUE;
    long margin = ms * 1_000_000;
    return read.invokeNanos() < Long.MIN_VALUE + margin ? Long.MIN_VALUE
        : read.invokeNanos() - margin;
  }
}
