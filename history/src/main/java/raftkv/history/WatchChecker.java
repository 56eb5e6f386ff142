package raftkv.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import raftkv.history.WatchStream.Event;

/**
 * Checks watch streams against the run's recorded writes, the leases that ended, and each other.
 * Stateless and thread-safe. Time and memory are O(n log n) in events plus writes, times the
 * number of streams for the gap rule.
 *
 * <p>Rules, each violation naming the watcher, the index and the key:
 * <ul>
 *   <li>watch-order: within a stream, an event's key is watched and its index lies in
 *       (start index, final position]; indexes never go back; (index, key) arrives at most
 *       once.</li>
 *   <li>watch-gap: a stream covering (index, key) delivers every change known to have happened
 *       there: a write known to have set the key at that index (see {@link LogKnowledge}), the
 *       delete of each key surely attached to a lease that ended there, and any change another
 *       stream delivered there without contradicting the log.</li>
 *   <li>watch-agreement: an event matches what holds its index (a write's PUT of its value; a
 *       lease end's DELETE of an attached key), a write known at another index is not delivered
 *       at this one, streams covering the same (index, key) deliver the same change, and a
 *       value is delivered at one index only.</li>
 *   <li>watch-phantom: a PUT's value was written to its key by a write that may have taken
 *       effect; a DELETE's key was attached to a lease that ended.</li>
 *   <li>lease-end: a lease's keys are deleted at the index it ended at (when recorded), else at
 *       one index, the same for every key and every stream; that index then counts as known
 *       for the gap rule, so every stream covering an attached key must show its delete.</li>
 * </ul>
 * An event found breaking a rule is not used to judge others. The checker cannot tell apart a
 * write of unknown outcome that no stream delivered from one never applied: both pass.
 */
public final class WatchChecker {

  public static final String NAME = "watch";

  /** One key at one log index: where a stream holds at most one change. */
  record Slot(long index, String key) {}

  private static final Comparator<Slot> INDEX_ORDER =
      Comparator.comparingLong(Slot::index).thenComparing(Slot::key);

  /** An event as one stream delivered it. */
  private record Seen(Event event, WatchStream stream) {}

  /**
   * Judges {@code streams}. {@code history} holds the run's writes (values unique, as
   * everywhere in this package); its reads only reveal indexes of writes of unknown outcome.
   *
   * @return a result whose {@code opsChecked} is the number of events received
   */
  public CheckResult check(History history, List<LeaseEnd> leaseEnds, List<WatchStream> streams) {
    Objects.requireNonNull(streams, "streams");
    WatchLog log = new WatchLog(history, leaseEnds);
    List<Violation> out = new ArrayList<>();
    Map<Slot, Seen> agreed = new HashMap<>();
    Map<String, Seen> indexOfValue = new HashMap<>();
    Map<LeaseEnd, TreeMap<Long, Seen>> leaseDeletes = new LinkedHashMap<>();
    List<Map<Slot, Event>> delivered = new ArrayList<>();
    long received = 0;
    for (WatchStream stream : streams) {
      Map<Slot, Event> got = new HashMap<>();
      delivered.add(got);
      long highest = 0;
      for (Event e : stream.events()) {
        received++;
        Violation bad = misplaced(stream, e, got);
        if (bad != null) {
          out.add(bad);
          continue;
        }
        if (e.index() < highest) {
          // Late but delivered: still judged, so one reordering is one violation.
          out.add(new Violation(Violation.WATCH_ORDER, stream.describe() + " received " + e
              + " after an event at index " + highest + ": indexes must not go back", List.of()));
        }
        highest = Math.max(highest, e.index());
        bad = log.judge(e, stream.describe());
        if (bad != null) {
          out.add(bad);
          continue;
        }
        Seen seen = new Seen(e, stream);
        if (e.type() == Event.Type.DELETE && log.leaseOf(e.key()).index() == 0) {
          leaseDeletes.computeIfAbsent(log.leaseOf(e.key()), l -> new TreeMap<>())
              .putIfAbsent(e.index(), seen);
        }
        bad = agreement(seen, agreed, indexOfValue);
        if (bad != null) out.add(bad);
      }
    }
    Map<Slot, WatchLog.Expected> expected = new TreeMap<>(INDEX_ORDER);
    log.addKnownWrites(expected);
    for (LeaseEnd lease : leaseEnds) {
      TreeMap<Long, Seen> at = leaseDeletes.getOrDefault(lease, new TreeMap<>());
      if (at.size() > 1) {
        out.add(new Violation(Violation.LEASE_END, lease.describe() + " deleted its keys at "
            + at.size() + " indexes, not one: " + at.values().stream()
            .map(s -> s.event().key() + " at index " + s.event().index() + " ("
                + "watcher " + s.stream().watcher() + ")").collect(Collectors.joining(", ")), List.of()));
      }
      long end = lease.index() > 0 ? lease.index() : at.size() == 1 ? at.firstKey() : 0;
      if (end == 0) continue;
      String why = lease.describe() + " deleted its keys at index " + end
          + (lease.index() > 0 ? "" : " (seen by watcher " + at.firstEntry().getValue().stream()
              .watcher() + ")");
      for (String key : lease.attached()) {
        expected.put(new Slot(end, key), new WatchLog.Expected(Event.delete(key, end), why,
            List.of()));
      }
    }
    agreed.forEach((slot, seen) -> expected.computeIfAbsent(slot, s -> {
      Op writer = seen.event().value() == null ? null : log.writerOf(seen.event().value());
      return new WatchLog.Expected(seen.event(), "watcher " + seen.stream().watcher()
          + " received it", writer == null ? List.of() : List.of(writer));
    }));
    for (int i = 0; i < streams.size(); i++) {
      WatchStream stream = streams.get(i);
      Map<Slot, Event> got = delivered.get(i);
      expected.forEach((slot, want) -> {
        if (stream.covers(slot.key(), slot.index()) && !got.containsKey(slot)) {
          out.add(new Violation(Violation.WATCH_GAP, stream.describe() + " missed "
              + want.event() + ": " + want.why(), want.ops()));
        }
      });
    }
    return new CheckResult(NAME, received, out);
  }

  /**
   * The watch-order violation that keeps {@code e} from being judged further (a key or index
   * outside the stream, or a slot already delivered), or null; records a first delivery of its
   * slot in {@code got}.
   */
  private static Violation misplaced(WatchStream stream, Event e, Map<Slot, Event> got) {
    String received = stream.describe() + " received " + e;
    if (!stream.keys().covers(e.key())) {
      return new Violation(Violation.WATCH_ORDER, received + ", a key it does not watch",
          List.of());
    }
    if (e.index() <= stream.startIndex()) {
      return new Violation(Violation.WATCH_ORDER, received + ", at or before its start index "
          + stream.startIndex(), List.of());
    }
    if (e.index() > stream.finalPosition()) {
      return new Violation(Violation.WATCH_ORDER, received + ", beyond its final position "
          + stream.finalPosition(), List.of());
    }
    Event first = got.putIfAbsent(new Slot(e.index(), e.key()), e);
    if (first != null) {
      return new Violation(Violation.WATCH_ORDER, first.sameChange(e) ? received + " twice"
          : received + " after " + first + ": two changes to one key at one index", List.of());
    }
    return null;
  }

  /**
   * The watch-agreement violation of a log-consistent event against the events other streams
   * (or this one) delivered, or null; records an agreeing event as its slot's and value's first
   * delivery.
   */
  private static Violation agreement(Seen seen, Map<Slot, Seen> agreed,
      Map<String, Seen> indexOfValue) {
    Event e = seen.event();
    String received = seen.stream().describe() + " received " + e;
    if (e.value() != null) {
      Seen other = indexOfValue.putIfAbsent(e.value(), seen);
      if (other != null && other.event().index() != e.index()) {
        return new Violation(Violation.WATCH_AGREEMENT, received + ", but watcher "
            + other.stream().watcher() + " received it at index " + other.event().index()
            + ": a write is applied at one index", List.of());
      }
    }
    Seen other = agreed.putIfAbsent(new Slot(e.index(), e.key()), seen);
    if (other != null && !other.event().sameChange(e)) {
      return new Violation(Violation.WATCH_AGREEMENT, received + ", but watcher "
          + other.stream().watcher() + " received " + other.event(), List.of());
    }
    return null;
  }
}
