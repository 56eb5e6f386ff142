package raftkv.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a history tells about the log, shared by the index-based checkers: which op wrote each
 * value, the log index of each write (acknowledged, or revealed by a read that returned its value
 * with a value index) and, per key, W_k: the writes and CASes known to have set the key, at a
 * known index, sorted by index. Immutable once built; one per check call.
 *
 * <p>A write is known to have set its key if it is an OK WRITE, a CAS reported as succeeded, or
 * any non-FAILED write whose value some OK read returned. What cannot be known is left out.
 */
final class LogKnowledge {

  /** A value index that cannot be known. */
  static final long UNKNOWN = -1;

  /** One member of W_k. */
  record Entry(long index, Op op) {}

  private final Map<String, Op> writerOf = new HashMap<>();
  private final Map<Integer, Long> revealedIndex = new HashMap<>();
  private final Map<Integer, Op> revealedBy = new HashMap<>();
  private final Set<Integer> inLog = new HashSet<>();
  private final Map<String, KeyLog> keyLogs = new HashMap<>();

  LogKnowledge(History history) {
    List<Op> ops = history.ops();
    for (Op op : ops) {
      if (op.kind() == Op.Kind.READ) continue;
      Op prev = writerOf.get(op.value());
      // Values are unique; should they not be, a write that may have taken effect explains more.
      if (prev == null || (!mayHaveSet(prev) && mayHaveSet(op))) writerOf.put(op.value(), op);
    }
    Set<Integer> observed = new HashSet<>();
    for (Op r : ops) {
      if (r.kind() != Op.Kind.READ || r.outcome() != Op.Outcome.OK || r.result() == null) continue;
      Op w = writerOf.get(r.result());
      if (w == null || !w.key().equals(r.key()) || !mayHaveSet(w)) continue;
      observed.add(w.id());
      long vi = r.served().valueIndex();
      // The first revealing read wins; ConsistentPrefixChecker reports reads that disagree.
      if (w.served().index() == 0 && vi > 0 && !revealedIndex.containsKey(w.id())) {
        revealedIndex.put(w.id(), vi);
        revealedBy.put(w.id(), r);
      }
    }
    Map<String, List<Entry>> lists = new HashMap<>();
    for (Op w : ops) {
      if (!mayHaveSet(w)) continue;
      long index = indexOf(w);
      boolean set = observed.contains(w.id()) || (w.outcome() == Op.Outcome.OK
          && (w.kind() == Op.Kind.WRITE || Boolean.TRUE.equals(w.succeeded())));
      if (index > 0 && set) {
        lists.computeIfAbsent(w.key(), k -> new ArrayList<>()).add(new Entry(index, w));
        inLog.add(w.id());
      }
    }
    lists.forEach((k, l) -> keyLogs.put(k, new KeyLog(l)));
  }

  /** A WRITE or CAS that did not definitely fail to set its value. */
  static boolean mayHaveSet(Op op) {
    return op.kind() != Op.Kind.READ && op.outcome() != Op.Outcome.FAILED
        && !(op.kind() == Op.Kind.CAS && Boolean.FALSE.equals(op.succeeded()));
  }

  /** The WRITE or CAS whose value is {@code value}, or null. */
  Op writerOf(String value) {
    return writerOf.get(value);
  }

  /** The log index of a WRITE or CAS: acknowledged, else revealed by a read; 0 if not known. */
  long indexOf(Op write) {
    if (write.kind() == Op.Kind.READ || write.outcome() == Op.Outcome.FAILED) return 0;
    long acked = write.served().index();
    return acked > 0 ? acked : revealedIndex.getOrDefault(write.id(), 0L);
  }

  /** Whether {@code write} is in W_k of its key. */
  boolean inLog(Op write) {
    return inLog.contains(write.id());
  }

  /**
   * The log index of the value an OK read returned: 0 for absent, the reported value index, else
   * the index of the write that wrote the value; {@link #UNKNOWN} if none of these is known.
   */
  long valueIndexOf(Op read) {
    if (read.result() == null) return 0;
    if (read.served().valueIndex() > 0) return read.served().valueIndex();
    Op w = writerOf.get(read.result());
    long index = w != null && w.key().equals(read.key()) ? indexOf(w) : 0;
    return index > 0 ? index : UNKNOWN;
  }

  /** The member of W_key with the greatest index {@code <= index}, or null. */
  Entry floor(String key, long index) {
    KeyLog l = keyLogs.get(key);
    return l == null ? null : l.floor(index);
  }

  /** The member of W_key with the least index {@code > index}, or null. */
  Entry higher(String key, long index) {
    KeyLog l = keyLogs.get(key);
    return l == null ? null : l.higher(index);
  }

  /** W_key in index order. */
  List<Entry> writes(String key) {
    KeyLog l = keyLogs.get(key);
    return l == null ? List.of() : l.entries;
  }

  /** Keys with a non-empty W_k. */
  Collection<String> keys() {
    return keyLogs.keySet();
  }

  // ---- Wording shared by the explanations.

  /** {@code write "v19" to k7} or {@code CAS "a"=>"v19" on k7}. */
  static String what(Op write) {
    return write.kind() == Op.Kind.CAS
        ? "CAS " + quote(write.expected()) + "=>" + quote(write.value()) + " on " + write.key()
        : "write " + quote(write.value()) + " to " + write.key();
  }

  /** {@code acknowledged at index 44} or {@code applied at index 44 (revealed by read #12)}. */
  String at(Op write) {
    long index = indexOf(write);
    if (write.served().index() > 0) return "acknowledged at index " + index;
    Op by = revealedBy.get(write.id());
    return "applied at index " + index + (by == null ? "" : " (revealed by read #" + by.id() + ")");
  }

  /** {@code read k7 -> "v12" (value index 40) served by n1 at index 41}. */
  static String read(Op read, long valueIndex) {
    StringBuilder b = new StringBuilder("read ").append(read.key()).append(" -> ")
        .append(quote(read.result()));
    if (read.result() != null) {
      b.append(valueIndex > 0 ? " (value index " + valueIndex + ")" : " (value index unknown)");
    }
    Served s = read.served();
    b.append(" served by ").append(s.node().isEmpty() ? "an unknown node" : s.node());
    if (s.index() > 0) b.append(" at index ").append(s.index());
    return b.toString();
  }

  static String quote(String v) {
    return v == null ? "absent" : '"' + v + '"';
  }

  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }

  private static final class KeyLog {
    final List<Entry> entries;
    final long[] indexes;

    KeyLog(List<Entry> list) {
      list.sort((a, b) -> Long.compare(a.index(), b.index()));
      entries = List.copyOf(list);
      indexes = list.stream().mapToLong(Entry::index).toArray();
    }

    Entry floor(long index) {
      int i = upperBound(index) - 1;
      return i < 0 ? null : entries.get(i);
    }

    Entry higher(long index) {
      int i = upperBound(index);
      return i >= indexes.length ? null : entries.get(i);
    }

    /** The first position whose index is {@code > index}. */
    private int upperBound(long index) {
      int i = Arrays.binarySearch(indexes, index);
      if (i < 0) return -i - 1;
      while (i < indexes.length && indexes[i] == index) i++; // duplicates are a violation, not a crash
      return i;
    }
  }
}
