package raftkv.history;

import static raftkv.history.LogKnowledge.what;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Checks the four session guarantees, a process being a session. Stateless and thread-safe.
 *
 * <p>An op p of a session comes "before" op q of the same session if p completed OK before q was
 * invoked ({@code p.completeNanos < q.invokeNanos}). The state s(r) of a read is its served index
 * (reads without one contribute nothing); index(w) is a write's or CAS's known log index (see
 * {@code LogKnowledge}); v(r) a read's value index (0 = absent); W_k the writes known to have set
 * key k at a known index. Rules:
 * <ul>
 *   <li>read-your-writes: a SESSION read r on k with known v(r) has v(r) &gt;= index(w) for every
 *       write w in W_k by the session before r;</li>
 *   <li>monotonic-reads: a SESSION read r on k with known v(r) has v(r) &gt;= max{i in W_k :
 *       i &lt;= s(r1)} for every OK read r1 (any level, any key) by the session before r;</li>
 *   <li>monotonic-writes: an OK write or CAS w2 with a known index has index(w2) &gt; index(w1)
 *       for every OK write or CAS w1 with a known index by the session before w2;</li>
 *   <li>writes-follow-reads: such a w has index(w) &gt; s(r) for every OK read r (any level) by
 *       the session before w.</li>
 * </ul>
 * Each rule keeps a running maximum per session, so a check costs O(n log n).
 */
public final class SessionGuaranteesChecker {

  public static final String NAME = "session-guarantees";

  public CheckResult check(History history) {
    LogKnowledge log = new LogKnowledge(history);
    Map<String, List<Op>> sessions = new LinkedHashMap<>();
    for (Op op : history.ops()) {
      sessions.computeIfAbsent(op.process(), p -> new ArrayList<>()).add(op);
    }
    List<Violation> out = new ArrayList<>();
    long checked = 0;
    for (List<Op> ops : sessions.values()) {
      checked += new Session(log, out).run(ops);
    }
    return new CheckResult(NAME, checked, out);
  }

  /** One session's running maxima over the ops that completed so far. */
  private static final class Session {
    private final LogKnowledge log;
    private final List<Violation> out;
    private final Map<String, Op> ownWrite = new HashMap<>(); // key -> its W_k write with max index
    private Op maxRead; // greatest served index
    private Op maxWrite; // greatest log index

    Session(LogKnowledge log, List<Violation> out) {
      this.log = log;
      this.out = out;
    }

    long run(List<Op> ops) {
      ops = new ArrayList<>(ops);
      ops.sort(Comparator.comparingLong(Op::invokeNanos).thenComparingInt(Op::id));
      // Not relying on "one op in flight": ops completed before an invocation are found by time.
      PriorityQueue<Op> running = new PriorityQueue<>(Comparator.comparingLong(Op::completeNanos));
      long checked = 0;
      for (Op op : ops) {
        while (!running.isEmpty() && running.peek().completeNanos() < op.invokeNanos()) {
          completed(running.poll());
        }
        if (op.outcome() != Op.Outcome.OK) continue;
        if (judge(op)) checked++;
        running.add(op);
      }
      return checked;
    }

    private void completed(Op op) {
      if (op.kind() == Op.Kind.READ) {
        long s = op.served().index();
        if (s > 0 && (maxRead == null || s > maxRead.served().index())) {
          maxRead = op;
        }
        return;
      }
      long index = log.indexOf(op);
      if (index == 0) return;
      if (maxWrite == null || index > log.indexOf(maxWrite)) maxWrite = op;
      Op own = ownWrite.get(op.key());
      if (log.inLog(op) && (own == null || index > log.indexOf(own))) ownWrite.put(op.key(), op);
    }

    /** Judges an OK op against what completed before it; false if no rule applies. */
    private boolean judge(Op op) {
      if (op.kind() == Op.Kind.READ) {
        if (op.served().level() != ReadLevel.SESSION) return false;
        long v = log.valueIndexOf(op);
        if (v == LogKnowledge.UNKNOWN) return false;
        String read = "session " + op.process() + " " + LogKnowledge.read(op, v);
        Op own = ownWrite.get(op.key());
        if (own != null && v < log.indexOf(own)) {
          out.add(new Violation(Violation.READ_YOUR_WRITES, read + ", but its own "
              + what(own) + " was " + log.at(own) + " before the read began", List.of(op, own)));
        }
        if (maxRead != null) {
          long seen = maxRead.served().index();
          LogKnowledge.Entry e = log.floor(op.key(), seen);
          if (e != null && v < e.index()) {
            out.add(new Violation(Violation.MONOTONIC_READS, read + ", but its earlier "
                + LogKnowledge.read(maxRead, log.valueIndexOf(maxRead)) + " had already seen the"
                + " state at index " + seen + ", which contains " + what(e.op()) + " "
                + log.at(e.op()), List.of(op, maxRead, e.op())));
          }
        }
        return true;
      }
      long index = log.indexOf(op);
      if (index == 0) return false;
      String write = "session " + op.process() + " " + what(op) + " was " + log.at(op);
      if (maxWrite != null && index <= log.indexOf(maxWrite)) {
        out.add(new Violation(Violation.MONOTONIC_WRITES, write + ", but its earlier "
            + what(maxWrite) + " was " + log.at(maxWrite) + ": a session's later write must come"
            + " later in the log", List.of(op, maxWrite)));
      }
      if (maxRead != null && index <= maxRead.served().index()) {
        out.add(new Violation(Violation.WRITES_FOLLOW_READS, write + ", but before it began the"
            + " session had " + LogKnowledge.read(maxRead, log.valueIndexOf(maxRead))
            + ": the write must follow the state at index " + maxRead.served().index(),
            List.of(op, maxRead)));
      }
      return true;
    }
  }
}
