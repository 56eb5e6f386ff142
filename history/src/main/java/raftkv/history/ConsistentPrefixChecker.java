package raftkv.history;

import static raftkv.history.LogKnowledge.quote;
import static raftkv.history.LogKnowledge.what;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that every read, at any level, returned the state of some prefix of the one log: the
 * prefix up to the read's served index. Stateless and thread-safe.
 *
 * <p>Rules, for every OK read r on key k with served index s &gt; 0 (reads without one are not
 * checked), with W_k the writes known to have set k at a known log index (see
 * {@code LogKnowledge}) and v the value index (reported, else the index of the write of the
 * returned value):
 * <ul>
 *   <li>a non-null result is the value of a write to k that may have taken effect (not FAILED,
 *       not a CAS reported as not applied); if that write's index is known, it equals the reported
 *       value index;</li>
 *   <li>v &lt;= s;</li>
 *   <li>no write in W_k has an index in (v, s];</li>
 *   <li>a null result (absent) has no reported value index and no write in W_k has an index
 *       &lt;= s. Deletes are not modelled: a key once written is never absent again.</li>
 * </ul>
 * Also, no two OK writes or CASes (any keys) are acknowledged at the same log index. At most one
 * violation is reported per read: the first rule it breaks, in the order above.
 */
public final class ConsistentPrefixChecker {

  public static final String NAME = Violation.CONSISTENT_PREFIX;

  public CheckResult check(History history) {
    LogKnowledge log = new LogKnowledge(history);
    List<Violation> out = new ArrayList<>();
    long checked = 0;
    Map<Long, Op> byIndex = new HashMap<>();
    for (Op w : history.ops()) {
      if (w.kind() == Op.Kind.READ || w.outcome() != Op.Outcome.OK || w.served().index() == 0) {
        continue;
      }
      checked++;
      Op other = byIndex.putIfAbsent(w.served().index(), w);
      if (other != null) {
        out.add(new Violation(NAME, what(other) + " by " + other.process() + " and " + what(w)
            + " by " + w.process() + " were both acknowledged at log index "
            + w.served().index() + ": a log index holds one entry", List.of(w, other)));
      }
    }
    for (Op r : history.ops()) {
      if (r.kind() != Op.Kind.READ || r.outcome() != Op.Outcome.OK || r.served().index() == 0) {
        continue;
      }
      checked++;
      Violation v = judge(r, log);
      if (v != null) out.add(v);
    }
    return new CheckResult(NAME, checked, out);
  }

  private static Violation judge(Op r, LogKnowledge log) {
    long s = r.served().index();
    long reported = r.served().valueIndex();
    String who = r.process() + " " + r.served().level() + " ";
    if (r.result() == null) {
      if (reported > 0) {
        return new Violation(NAME, who + LogKnowledge.read(r, 0) + " reports value index "
            + reported + " for an absent key", List.of(r));
      }
      LogKnowledge.Entry first = log.floor(r.key(), s);
      if (first != null) {
        first = log.writes(r.key()).get(0);
        return new Violation(NAME, who + LogKnowledge.read(r, 0) + ", but " + what(first.op())
            + " by " + first.op().process() + " was " + log.at(first.op()) + " <= " + s
            + ": the state at index " + s + " holds a value of " + r.key(),
            List.of(r, first.op()));
      }
      return null;
    }
    Op w = log.writerOf(r.result());
    String read = who + LogKnowledge.read(r, reported);
    if (w == null) {
      return new Violation(NAME, read + ", a value no write wrote", List.of(r));
    }
    if (!w.key().equals(r.key())) {
      return new Violation(NAME, read + ", a value written to " + w.key() + " (" + what(w)
          + " by " + w.process() + "), not to " + r.key(), List.of(r, w));
    }
    if (!LogKnowledge.mayHaveSet(w)) {
      String why = w.outcome() == Op.Outcome.FAILED ? "which failed (definitely not applied)"
          : "whose comparison did not hold (nothing was set)";
      return new Violation(NAME, read + ", the value of " + what(w) + " by " + w.process() + " "
          + why, List.of(r, w));
    }
    long known = log.indexOf(w);
    if (reported > 0 && known > 0 && reported != known) {
      return new Violation(NAME, read + ", but " + what(w) + " by " + w.process() + " was "
          + log.at(w), List.of(r, w));
    }
    long v = reported > 0 ? reported : known;
    if (v == 0) return null; // where the value sits in the log is not known
    read = who + LogKnowledge.read(r, v);
    if (v > s) {
      return new Violation(NAME, read + ": its value index is beyond its served index",
          List.of(r, w));
    }
    LogKnowledge.Entry newer = log.higher(r.key(), v);
    if (newer != null && newer.index() <= s) {
      return new Violation(NAME, read + ", but " + what(newer.op()) + " by "
          + newer.op().process() + " was " + log.at(newer.op()) + ", between " + v + " and " + s
          + ": the state at index " + s + " holds " + quote(newer.op().value()) + " or later",
          List.of(r, newer.op(), w));
    }
    return null;
  }
}
