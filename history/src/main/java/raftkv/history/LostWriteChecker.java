package raftkv.history;

import static raftkv.history.LogKnowledge.quote;
import static raftkv.history.LogKnowledge.what;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Checks that every acknowledged write survived into the final state, read linearizably after the
 * run. Stateless and thread-safe.
 *
 * <p>Rules, per key k, with f the final value (absent if k is missing from the map or its value
 * is null) and F its value index (reported, else the known index of the write of f):
 * <ul>
 *   <li>lost-write: every OK write or CAS in W_k (known to have set k, at a known index) has
 *       index &lt;= F: its value or a later one survived. Each lost write is one violation, so
 *       the number of lost writes is {@code result.count(Violation.LOST_WRITE)}.</li>
 *   <li>consistent-prefix: a non-null f is the value of a write to k that may have taken effect,
 *       and its reported index equals that write's known index; an absent f reports no index.</li>
 * </ul>
 * A key whose final value is non-null with no index known is not judged for lost writes.
 */
public final class LostWriteChecker {

  public static final String NAME = Violation.LOST_WRITE;

  public CheckResult check(History history, Map<String, FinalValue> finalState) {
    Objects.requireNonNull(finalState, "finalState");
    LogKnowledge log = new LogKnowledge(history);
    TreeSet<String> keys = new TreeSet<>(log.keys());
    keys.addAll(finalState.keySet());
    List<Violation> out = new ArrayList<>();
    long checked = 0;
    for (String k : keys) {
      FinalValue f = finalState.get(k);
      if (f == null) f = FinalValue.ABSENT;
      long idx = finalIndex(k, f, log, out);
      if (idx == LogKnowledge.UNKNOWN) continue;
      String finalDesc = f.value() == null ? k + " is absent in the final state"
          : "the final state of " + k + " is " + quote(f.value()) + " (value index " + idx + ")";
      for (LogKnowledge.Entry e : log.writes(k)) {
        if (e.op().outcome() != Op.Outcome.OK) continue;
        checked++;
        if (e.index() > idx) {
          out.add(new Violation(Violation.LOST_WRITE, what(e.op()) + " by " + e.op().process()
              + " was " + log.at(e.op()) + ", but " + finalDesc + ": neither it nor a later write"
              + " survived", List.of(e.op())));
        }
      }
    }
    return new CheckResult(NAME, checked, out);
  }

  /** F, or UNKNOWN; reports a final value that no prefix of the log can hold. */
  private static long finalIndex(String k, FinalValue f, LogKnowledge log, List<Violation> out) {
    String desc = "the final state of " + k + " is " + quote(f.value());
    if (f.value() == null) {
      if (f.valueIndex() > 0) {
        out.add(new Violation(Violation.CONSISTENT_PREFIX, desc + " but reports value index "
            + f.valueIndex(), List.of()));
      }
      return 0;
    }
    Op w = log.writerOf(f.value());
    if (w == null || !w.key().equals(k) || !LogKnowledge.mayHaveSet(w)) {
      String why = w == null ? "a value no write wrote"
          : !w.key().equals(k) ? "a value written to " + w.key() + ", not to " + k
          : "the value of " + what(w) + " by " + w.process() + ", which did not take effect";
      out.add(new Violation(Violation.CONSISTENT_PREFIX, desc + ", " + why,
          w == null ? List.of() : List.of(w)));
      return f.valueIndex() > 0 ? f.valueIndex() : LogKnowledge.UNKNOWN;
    }
    long known = log.indexOf(w);
    if (f.valueIndex() > 0 && known > 0 && f.valueIndex() != known) {
      out.add(new Violation(Violation.CONSISTENT_PREFIX, desc + " with value index "
          + f.valueIndex() + ", but " + what(w) + " by " + w.process() + " was " + log.at(w),
          List.of(w)));
    }
    long idx = f.valueIndex() > 0 ? f.valueIndex() : known;
    return idx > 0 ? idx : LogKnowledge.UNKNOWN;
  }
}
