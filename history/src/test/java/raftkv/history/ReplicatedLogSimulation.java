package raftkv.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;

/**
 * Generates histories of a correct replicated log store. One global log: every write and CAS
 * that takes effect is appended at its point (a random instant inside its interval), in the order
 * of those points, and gets the next index. Replica n0 (the leader) applies an entry when it is
 * appended; each follower applies entries in order, each after its own random delay (mostly
 * small, sometimes tens of ms), so its applied index only grows. A read is served at its point by
 * a replica chosen as its level allows:
 * <ul>
 *   <li>LINEARIZABLE: a replica that has applied the whole log at that point;</li>
 *   <li>SESSION: one whose applied index is at least the session's token, the greatest index the
 *       session has learned (from its acknowledged writes and its reads' served indexes);</li>
 *   <li>BOUNDED: one that has applied every entry of every acknowledged write that completed
 *       more than the bound before the read was invoked;</li>
 *   <li>EVENTUAL: any replica.</li>
 * </ul>
 * Some ops end UNKNOWN (a write applied or not, at random), some writes FAILED (not applied), some
 * OK ops are recorded without served information (the store still behaved, the record lost it).
 * Times are in nanoseconds on a millisecond scale. Deterministic for a given seed.
 */
final class ReplicatedLogSimulation {

  static final long MS = 1_000_000;
  private static final long[] BOUNDS_MS = {2, 5, 20};

  private ReplicatedLogSimulation() {}

  /** Knobs; rates are per op. */
  record Config(int sessions, int ops, int keys, int replicas, double unknownRate,
      double failRate, double noInfoRate) {}

  /** One log entry: {@code value} is null for a CAS whose comparison failed (nothing set). */
  record Entry(long index, String key, String value) {}

  /**
   * A generated run: the history, the log, the final (leader) state read at the end and every
   * replica's final state (all caught up).
   */
  record Run(History history, List<Entry> log, Map<String, FinalValue> finalState,
      List<ReplicaState> replicas) {

    /** The entry that holds {@code key}'s value in the prefix up to {@code index}, or null. */
    Entry valueAt(String key, long index) {
      Entry found = null;
      for (Entry e : log) {
        if (e.index() > index) break;
        if (e.key().equals(key) && e.value() != null) found = e;
      }
      return found;
    }

    /** {@code read} re-served at {@code servedIndex}, returning that prefix's value of its key. */
    Op reservedAt(Op read, long servedIndex) {
      Entry e = valueAt(read.key(), servedIndex);
      Served s = read.served();
      return new Op(read.id(), read.process(), read.kind(), read.key(), null, null,
          read.invokeNanos(), read.completeNanos(), read.outcome(), e == null ? null : e.value(),
          null, Served.read(s.level(), s.node().isEmpty() ? "n0" : s.node(), servedIndex,
              e == null ? 0 : e.index(), s.tokenIndex(), s.boundMs()));
    }
  }

  private static final class Plan {
    int session;
    Command command;
    ReadLevel level = ReadLevel.LINEARIZABLE;
    long boundMs;
    long invoke;
    long point;
    long complete;
    Op.Outcome outcome = Op.Outcome.OK;
    boolean applied = true;
    boolean noInfo;
    String result;
    Boolean succeeded;
    Served served = Served.NONE;
    long index; // log index of an applied write or CAS
  }

  static Run run(long seed, Config c) {
    Random rnd = new Random(seed);
    List<Plan> plans = new ArrayList<>(c.ops());
    long[] clock = new long[c.sessions()];
    for (int p = 0; p < c.sessions(); p++) clock[p] = rnd.nextInt(2_000) * 1_000L;
    Map<String, List<String>> written = new HashMap<>();
    int nextValue = 0;
    for (int i = 0; i < c.ops(); i++) {
      Plan pl = new Plan();
      pl.session = rnd.nextInt(c.sessions());
      String key = "k" + rnd.nextInt(c.keys());
      List<String> seen = written.computeIfAbsent(key, k -> new ArrayList<>());
      int kind = rnd.nextInt(10);
      if (kind < 3) {
        pl.command = Command.write(key, "v" + nextValue++);
      } else if (kind < 9) {
        pl.command = Command.read(key);
        pl.level = ReadLevel.values()[rnd.nextInt(4)];
        if (pl.level == ReadLevel.BOUNDED) pl.boundMs = BOUNDS_MS[rnd.nextInt(BOUNDS_MS.length)];
      } else {
        String expected = seen.isEmpty() || rnd.nextInt(5) == 0 ? null
            : seen.get(Math.max(0, seen.size() - 1 - rnd.nextInt(3)));
        pl.command = Command.cas(key, expected, "v" + nextValue++);
      }
      if (pl.command.value() != null) seen.add(pl.command.value());
      pl.invoke = clock[pl.session] + rnd.nextInt(2_000) * 1_000L;
      pl.point = pl.invoke + 50_000 + rnd.nextInt(3_000) * 1_000L;
      pl.complete = pl.point + 50_000 + rnd.nextInt(3_000) * 1_000L;
      clock[pl.session] = pl.complete;
      double r = rnd.nextDouble();
      if (r < c.unknownRate()) {
        pl.outcome = Op.Outcome.UNKNOWN;
        pl.applied = pl.command.kind() != Op.Kind.READ && rnd.nextBoolean();
      } else if (r < c.unknownRate() + c.failRate() && pl.command.kind() == Op.Kind.WRITE) {
        pl.outcome = Op.Outcome.FAILED;
        pl.applied = false;
      } else {
        pl.noInfo = rnd.nextDouble() < c.noInfoRate();
      }
      plans.add(pl);
    }
    plans.sort(Comparator.comparingLong(pl -> pl.invoke)); // op ids follow invocation order
    List<Plan> byPoint = new ArrayList<>(plans);
    byPoint.sort(Comparator.comparingLong(pl -> pl.point));

    Cluster cluster = new Cluster(c.replicas(), rnd);
    long[] token = new long[c.sessions()];
    // Greatest index among applied OK writes, by completion time: what BOUNDED reads need.
    long[] completions = plans.stream().mapToLong(pl -> pl.complete).sorted().toArray();
    long[] maxIndexUpTo = new long[completions.length + 1]; // Fenwick tree of prefix maxima
    for (Plan pl : byPoint) {
      if (!pl.applied) continue;
      Command cmd = pl.command;
      if (cmd.kind() == Op.Kind.READ) {
        if (pl.outcome != Op.Outcome.OK) continue;
        long need = switch (pl.level) {
          case LINEARIZABLE -> cluster.length();
          case SESSION -> token[pl.session];
          case BOUNDED -> {
            long n = 0;
            for (int i = lowerBound(completions, pl.invoke - pl.boundMs * MS); i > 0; i -= i & -i) {
              n = Math.max(n, maxIndexUpTo[i]);
            }
            yield n;
          }
          case EVENTUAL -> 0;
        };
        int node = cluster.pick(pl.point, need);
        long applied = cluster.applied(node, pl.point);
        Entry e = cluster.valueAt(cmd.key(), applied);
        pl.result = e == null ? null : e.value();
        pl.served = Served.read(pl.level, "n" + node, applied, e == null ? 0 : e.index(),
            pl.level == ReadLevel.SESSION ? token[pl.session] : 0, pl.boundMs);
        token[pl.session] = Math.max(token[pl.session], applied);
      } else {
        String current = cluster.current(cmd.key());
        boolean sets = cmd.kind() == Op.Kind.WRITE || Objects.equals(current, cmd.expected());
        pl.index = cluster.append(cmd.key(), sets ? cmd.value() : null, pl.point);
        if (pl.outcome == Op.Outcome.OK) {
          if (cmd.kind() == Op.Kind.CAS && rnd.nextInt(10) != 0) pl.succeeded = sets;
          pl.served = Served.write("n0", pl.index);
          token[pl.session] = Math.max(token[pl.session], pl.index);
          for (int i = lowerBound(completions, pl.complete) + 1; i < maxIndexUpTo.length;
              i += i & -i) {
            maxIndexUpTo[i] = Math.max(maxIndexUpTo[i], pl.index);
          }
        }
      }
    }

    History.Builder b = History.builder();
    for (Plan pl : plans) {
      long complete = pl.outcome == Op.Outcome.UNKNOWN ? Long.MAX_VALUE : pl.complete;
      Served served = pl.outcome != Op.Outcome.OK ? Served.NONE : pl.served;
      if (pl.noInfo) {
        served = pl.command.kind() != Op.Kind.READ ? Served.NONE
            : Served.read(pl.level, "", 0, 0, pl.served.tokenIndex(), pl.boundMs);
      }
      b.add("s" + pl.session, pl.command, pl.invoke, complete, pl.outcome, pl.result,
          pl.succeeded, served);
    }
    Map<String, FinalValue> finalState = new TreeMap<>();
    for (int k = 0; k < c.keys(); k++) {
      Entry e = cluster.valueAt("k" + k, cluster.length());
      if (e != null) finalState.put("k" + k, new FinalValue(e.value(), e.index()));
    }
    String hash = Integer.toHexString(finalState.hashCode());
    List<ReplicaState> replicas = new ArrayList<>();
    for (int n = 0; n < c.replicas(); n++) {
      replicas.add(new ReplicaState("n" + n, cluster.length(), hash));
    }
    return new Run(b.build(), cluster.log, finalState, replicas);
  }

  /** The number of elements of sorted {@code a} that are {@code < x}. */
  private static int lowerBound(long[] a, long x) {
    int lo = 0;
    int hi = a.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** The log and the time each replica applies each entry. */
  private static final class Cluster {
    final List<Entry> log = new ArrayList<>();
    final Map<String, List<Entry>> byKey = new HashMap<>();
    final long[][] appliedAt; // [replica][index - 1]
    final Random rnd;

    Cluster(int replicas, Random rnd) {
      this.appliedAt = new long[replicas][16];
      this.rnd = rnd;
    }

    long length() {
      return log.size();
    }

    long append(String key, String value, long now) {
      Entry e = new Entry(log.size() + 1, key, value);
      int i = log.size();
      log.add(e);
      if (value != null) byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(e);
      for (int r = 0; r < appliedAt.length; r++) {
        if (i == appliedAt[r].length) appliedAt[r] = Arrays.copyOf(appliedAt[r], 2 * i);
        long lag = r == 0 ? 0
            : rnd.nextInt(20) == 0 ? rnd.nextInt(60) * MS : rnd.nextInt(2_000) * 1_000L;
        appliedAt[r][i] = Math.max(i == 0 ? 0 : appliedAt[r][i - 1], now + lag);
      }
      return e.index();
    }

    /** The number of entries replica r has applied by {@code time}. */
    long applied(int r, long time) {
      int lo = 0;
      int hi = log.size();
      while (lo < hi) { // appliedAt[r] is non-decreasing
        int mid = (lo + hi) >>> 1;
        if (appliedAt[r][mid] <= time) lo = mid + 1; else hi = mid;
      }
      return lo;
    }

    /** A random replica that has applied at least {@code need} entries by {@code time}. */
    int pick(long time, long need) {
      List<Integer> ok = new ArrayList<>();
      for (int r = 0; r < appliedAt.length; r++) {
        if (applied(r, time) >= need) ok.add(r);
      }
      return ok.get(rnd.nextInt(ok.size())); // the leader always qualifies
    }

    String current(String key) {
      Entry e = valueAt(key, log.size());
      return e == null ? null : e.value();
    }

    Entry valueAt(String key, long index) {
      List<Entry> l = byKey.getOrDefault(key, List.of());
      int lo = 0;
      int hi = l.size();
      while (lo < hi) { // entries are in index order
        int mid = (lo + hi) >>> 1;
        if (l.get(mid).index() <= index) lo = mid + 1; else hi = mid;
      }
      return lo == 0 ? null : l.get(lo - 1);
    }
  }
}
