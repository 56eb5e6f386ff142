package raftkv.history;

import static raftkv.history.LogKnowledge.what;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import raftkv.history.WatchStream.Event;

/**
 * What the recorded writes and lease ends say about watch events, for {@link WatchChecker}:
 * which write or lease end holds each log index known, which lease may delete each key, and the
 * changes known to have happened. Immutable once built; one per check call.
 *
 * <p>A change is known to have happened when {@link LogKnowledge} knows the write set its key at
 * a known index (acknowledged, or revealed by a read), or when a lease with that key attached
 * ended at a known index.
 */
final class WatchLog {

  /** One change a stream covering its key and index must deliver, and why. */
  record Expected(Event event, String why, List<Op> ops) {}

  private final LogKnowledge log;
  private final Map<Long, Op> opAt = new HashMap<>();
  private final Map<Long, LeaseEnd> leaseAt = new HashMap<>();
  private final Map<String, LeaseEnd> leaseOf = new HashMap<>();

  WatchLog(History history, List<LeaseEnd> leaseEnds) {
    log = new LogKnowledge(history);
    for (Op op : history.ops()) {
      long index = op.kind() == Op.Kind.READ ? 0 : log.indexOf(op);
      // Two writes at one index are ConsistentPrefixChecker's to report; the first one stands.
      if (index > 0) opAt.putIfAbsent(index, op);
    }
    for (LeaseEnd lease : leaseEnds) {
      if (lease.index() > 0) leaseAt.putIfAbsent(lease.index(), lease);
      for (String key : lease.attached()) attach(key, lease);
      for (String key : lease.maybeAttached()) attach(key, lease);
    }
  }

  private void attach(String key, LeaseEnd lease) {
    LeaseEnd other = leaseOf.putIfAbsent(key, lease);
    if (other != null) {
      throw new IllegalArgumentException("key " + key + " is attached to lease " + other.lease()
          + " and to lease " + lease.lease() + ": the watch checker needs each lease's own keys");
    }
  }

  /** The ended lease {@code key} may have been attached to, or null. */
  LeaseEnd leaseOf(String key) {
    return leaseOf.get(key);
  }

  /**
   * Why {@code e}, as {@code who} received it, cannot be a change the log made; null if it can.
   * A lease delete at the wrong index is a {@link Violation#LEASE_END}, a change the log
   * contradicts at its index a {@link Violation#WATCH_AGREEMENT}, one nothing explains a
   * {@link Violation#WATCH_PHANTOM}.
   */
  Violation judge(Event e, String who) {
    String got = who + " received " + e;
    Op holder = opAt.get(e.index());
    LeaseEnd ended = leaseAt.get(e.index());
    if (holder != null) {
      boolean same = e.type() == Event.Type.PUT && LogKnowledge.mayHaveSet(holder)
          && holder.key().equals(e.key()) && holder.value().equals(e.value());
      return same ? null : new Violation(Violation.WATCH_AGREEMENT, got + ", but index "
          + e.index() + " holds " + what(holder) + " by " + holder.process()
          + (LogKnowledge.mayHaveSet(holder) ? "" : ", which set nothing"), List.of(holder));
    }
    if (ended != null && (e.type() == Event.Type.PUT || !ended.mayDelete(e.key()))) {
      return new Violation(Violation.WATCH_AGREEMENT, got + ", but index " + e.index()
          + " holds the end of " + ended.describe() + ", which had no " + e.key() + " attached"
          + (e.type() == Event.Type.PUT ? " and puts nothing" : ""), List.of());
    }
    return e.type() == Event.Type.PUT ? judgePut(e, got) : judgeDelete(e, got);
  }

  private Violation judgePut(Event e, String got) {
    Op w = log.writerOf(e.value());
    if (w == null) {
      return new Violation(Violation.WATCH_PHANTOM, got + ": a value no write wrote", List.of());
    }
    if (!w.key().equals(e.key())) {
      return new Violation(Violation.WATCH_PHANTOM, got + ": a value written to " + w.key()
          + " (" + what(w) + " by " + w.process() + "), not to " + e.key(), List.of(w));
    }
    if (!LogKnowledge.mayHaveSet(w)) {
      String why = w.outcome() == Op.Outcome.FAILED ? "which failed (definitely not applied)"
          : "whose comparison did not hold (nothing was set)";
      return new Violation(Violation.WATCH_PHANTOM, got + ": the value of " + what(w) + " by "
          + w.process() + " " + why, List.of(w));
    }
    long known = log.indexOf(w);
    if (known > 0 && known != e.index()) {
      return new Violation(Violation.WATCH_AGREEMENT, got + ", but " + what(w) + " by "
          + w.process() + " was " + log.at(w), List.of(w));
    }
    return null;
  }

  private Violation judgeDelete(Event e, String got) {
    LeaseEnd lease = leaseOf.get(e.key());
    if (lease == null) {
      return new Violation(Violation.WATCH_PHANTOM, got + ": no ended lease had " + e.key()
          + " attached and nothing else deletes it", List.of());
    }
    if (lease.index() > 0 && lease.index() != e.index()) {
      return new Violation(Violation.LEASE_END, got + ", but " + lease.describe()
          + " deleted its keys at index " + lease.index(), List.of());
    }
    return null;
  }

  /**
   * Adds every change the history knows happened: each write known to have set its key, at its
   * known index. Lease ends are added by the caller, which may have learnt their index from the
   * streams.
   */
  void addKnownWrites(Map<WatchChecker.Slot, Expected> out) {
    for (String key : log.keys()) {
      for (LogKnowledge.Entry entry : log.writes(key)) {
        Op w = entry.op();
        out.put(new WatchChecker.Slot(entry.index(), key), new Expected(
            Event.put(key, w.value(), entry.index()),
            what(w) + " by " + w.process() + " was " + log.at(w), List.of(w)));
      }
    }
  }

  /** The write or CAS whose value {@code value} is, or null. */
  Op writerOf(String value) {
    return log.writerOf(value);
  }
}
