package raftkv.history;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The search for a linearization of one key's ops (Wing &amp; Gong 1993, with Lowe's 2017
 * memoisation of configurations). Not thread-safe; one instance per key and run.
 *
 * <p>The ops' invocations and completions form one time-ordered list of events (at equal times
 * invocations first, so ops that touch in time count as concurrent). The search walks the list:
 * at an invocation it tries to linearize that op next (the model accepts it and the configuration
 * is new), removes both its events from the list and restarts from the head; at a completion it
 * has met an op that must already have been linearized, so it undoes the last choice and tries
 * the next candidate after it. Invariant: every op whose invocation precedes the first completion
 * still in the list is a legal next choice with respect to real time.
 *
 * <p>UNKNOWN ops complete at +infinity and are optional: the search succeeds as soon as every
 * required op is linearized (an optional op left out is one that never took effect). Three sound
 * reductions keep optional ops from multiplying configurations: an optional step that leaves the
 * state unchanged is not taken; optional writes whose value no op observes share one state and
 * are used in invocation order ("spares"); optional CASes whose compared value is gone for good
 * are removed. Known limit: refuting a long history with many UNKNOWN ops can still exceed the
 * budget (verdict UNKNOWN).
 */
final class KeySearch {

  private static final int MAX_EXPLAINED = 8;
  /** Stands for every value no op observes (an invalid user value: it holds a NUL). */
  private static final String UNOBSERVED = "\0unobserved";

  private final String key;
  private final long maxStates;

  // Ops in invocation order and their encoding for the model.
  private Op[] ops;
  private Op.Kind[] kinds;
  private int[] values;
  private int[] expecteds;
  private byte[] cas;
  private boolean[] optional;
  /** Unobserved optional writes in invocation order; interchangeable, so used in this order. */
  private int[] spare;
  private boolean[] isSpare;
  private int sparesUsed;
  /** Optional CASes by the value id they compare with; once that value is gone it never returns. */
  private int[][] casWaitingFor;
  private int[] killed;
  private int killedCount;
  private final List<String> valueNames = new ArrayList<>(List.of("absent"));

  // Events: node 2k is op k's invocation, 2k+1 its completion; HEAD and TAIL are sentinels.
  private int[] next;
  private int[] prev;
  private int head;
  private int tail;

  // Longest prefix found, for the explanation.
  private int[] bestPrefix = new int[0];
  private int bestState;
  private List<Op> bestUnplaced = List.of();

  KeySearch(String key, long maxStates) {
    this.key = key;
    this.maxStates = maxStates;
  }

  Verdict run(List<Op> keyOps) {
    prepare(keyOps);
    int n = ops.length;
    int required = 0;
    for (boolean o : optional) if (!o) required++;
    if (required == 0) {
      return new Verdict(key, Verdict.Status.OK, n, 0, List.of(), List.of(), "");
    }
    buildEvents();

    long[] bits = new long[(n + 63) >>> 6];
    long[] zobrist = new SplittableRandom(0x5EEDL).longs(n).toArray();
    long bitsHash = 0;
    Configurations seen = new Configurations();
    int[] stackOp = new int[n];
    int[] stackState = new int[n];
    int[] stackKilled = new int[n];
    killed = new int[n];
    int depth = 0;
    int state = RegisterModel.ABSENT;
    int entry = next[head];

    while (true) {
      if (entry == tail) {
        throw new IllegalStateException("search ran off the event list with required ops left");
      }
      int k = entry >>> 1;
      if ((entry & 1) == 0) { // an invocation: try op k next
        int after = RegisterModel.step(state, kinds[k], values[k], expecteds[k], cas[k]);
        // An optional op that leaves the state as it is can as well be left out; of the
        // interchangeable spare writes only the first unused one is tried.
        boolean useful = after != RegisterModel.INVALID && !(optional[k] && after == state)
            && (!isSpare[k] || spare[sparesUsed] == k);
        if (useful) {
          int spares = sparesUsed;
          if (isSpare[k]) {
            spares++;
          } else {
            bits[k >>> 6] |= 1L << k;
            bitsHash ^= zobrist[k];
          }
          if (seen.add(bits, bitsHash, after, spares)) {
            if (seen.size() > maxStates) {
              return new Verdict(key, Verdict.Status.UNKNOWN, n, seen.size(), List.of(), List.of(),
                  "gave up after exploring " + seen.size() + " states (budget " + maxStates
                      + "); longest linearizable prefix so far: " + Math.max(depth, bestPrefix.length)
                      + " of " + n + " ops");
            }
            stackOp[depth] = k;
            stackState[depth] = state;
            stackKilled[depth] = killedCount;
            depth++;
            lift(k);
            if (after != state) {
              killDead(state, bits);
            }
            state = after;
            if (isSpare[k]) sparesUsed++;
            if (!optional[k] && --required == 0) {
              return new Verdict(key, Verdict.Status.OK, n, seen.size(), List.of(), List.of(), "");
            }
            entry = next[head];
            continue;
          }
          if (!isSpare[k]) {
            bits[k >>> 6] &= ~(1L << k);
            bitsHash ^= zobrist[k];
          }
        }
        entry = next[entry];
      } else { // a completion: op k had to be linearized by now
        if (depth > bestPrefix.length || bestPrefix.length == 0) {
          remember(stackOp, depth, state, entry);
        }
        if (depth == 0) {
          return violation(n, seen.size());
        }
        depth--;
        int undone = stackOp[depth];
        state = stackState[depth];
        while (killedCount > stackKilled[depth]) {
          int dead = killed[--killedCount];
          unlift(dead);
          bits[dead >>> 6] &= ~(1L << dead);
        }
        if (isSpare[undone]) {
          sparesUsed--;
        } else {
          bits[undone >>> 6] &= ~(1L << undone);
          bitsHash ^= zobrist[undone];
        }
        unlift(undone);
        if (!optional[undone]) required++;
        entry = next[2 * undone];
      }
    }
  }

  /**
   * The state leaves value {@code gone}, which no op writes again (values are unique; there are no
   * deletes), so optional CASes comparing with it can no longer take effect: they are taken out
   * as if linearized as no-ops. Without this each of them would stay pending to the end, doubling
   * the configurations after it. Their bits are not in the memo's hash: the set of dead ops is a
   * function of the other bits and the state.
   */
  private void killDead(int gone, long[] bits) {
    if (gone >= casWaitingFor.length || valueNames.get(gone).equals(UNOBSERVED)) return;
    for (int c : casWaitingFor[gone]) {
      if ((bits[c >>> 6] & (1L << c)) != 0) continue;
      bits[c >>> 6] |= 1L << c;
      lift(c);
      killed[killedCount++] = c;
    }
  }

  private void remember(int[] stackOp, int depth, int state, int blockingCompletion) {
    bestPrefix = Arrays.copyOf(stackOp, depth);
    bestState = state;
    List<Op> unplaced = new ArrayList<>();
    for (int e = next[head]; e != blockingCompletion && e != tail; e = next[e]) {
      if ((e & 1) == 0) unplaced.add(ops[e >>> 1]);
    }
    bestUnplaced = unplaced;
  }

  private Verdict violation(int n, long states) {
    List<Op> prefix = new ArrayList<>(bestPrefix.length);
    for (int k : bestPrefix) prefix.add(ops[k]);
    int shown = Math.min(3, prefix.size());
    String tailOfPrefix = prefix.subList(prefix.size() - shown, prefix.size()).stream()
        .map(Op::toString).collect(Collectors.joining(", "));
    String unplaced = bestUnplaced.stream().limit(MAX_EXPLAINED).map(Op::toString)
        .collect(Collectors.joining(", "))
        + (bestUnplaced.size() > MAX_EXPLAINED ? ", ..." : "");
    String why = "not linearizable: the longest linearizable prefix has " + prefix.size() + " of "
        + n + " ops" + (shown > 0 ? " (ending " + tailOfPrefix + ")" : "")
        + " and leaves the key " + describe(bestState)
        + "; none of these can come next: " + unplaced;
    return new Verdict(key, Verdict.Status.NOT_LINEARIZABLE, n, states, prefix, bestUnplaced, why);
  }

  private String describe(int state) {
    if (state == RegisterModel.ABSENT) return "absent";
    String v = valueNames.get(state);
    return v.equals(UNOBSERVED) ? "= a value of an unknown write that no op observes"
        : "= \"" + v + "\"";
  }

  /** Drops what cannot matter, orders by invocation and encodes values as ids. */
  private void prepare(List<Op> keyOps) {
    List<Op> kept = new ArrayList<>();
    for (Op op : keyOps) {
      if (!op.key().equals(key)) throw new IllegalArgumentException(op + " is not on key " + key);
      if (op.outcome() == Op.Outcome.FAILED) continue; // definitely did not happen
      if (op.outcome() == Op.Outcome.UNKNOWN && op.kind() == Op.Kind.READ) continue; // returned nothing
      kept.add(op);
    }
    kept = dropUnobservedOptionalWrites(kept);
    kept.sort(Comparator.comparingLong(Op::invokeNanos).thenComparingInt(Op::id));

    int n = kept.size();
    ops = kept.toArray(new Op[0]);
    kinds = new Op.Kind[n];
    values = new int[n];
    expecteds = new int[n];
    cas = new byte[n];
    optional = new boolean[n];
    isSpare = new boolean[n];
    List<Integer> spares = new ArrayList<>();
    Set<String> observed = observedValues(kept);
    Map<String, Integer> ids = new HashMap<>();
    for (int k = 0; k < n; k++) {
      Op op = ops[k];
      kinds[k] = op.kind();
      optional[k] = op.outcome() == Op.Outcome.UNKNOWN;
      String v = op.kind() == Op.Kind.READ ? op.result() : op.value();
      if (optional[k] && v != null && !observed.contains(v)) {
        // No op tells unobserved values apart, so they share one state.
        v = UNOBSERVED;
        if (op.kind() == Op.Kind.WRITE) {
          isSpare[k] = true;
          spares.add(k);
        }
      }
      values[k] = id(ids, v);
      expecteds[k] = id(ids, op.expected());
      cas[k] = op.succeeded() == null ? RegisterModel.CAS_NOT_KNOWN
          : op.succeeded() ? RegisterModel.CAS_SUCCEEDED : RegisterModel.CAS_FAILED;
    }
    List<List<Integer>> waiting = new ArrayList<>();
    for (int i = 0; i < valueNames.size(); i++) waiting.add(new ArrayList<>());
    for (int k = 0; k < n; k++) {
      if (optional[k] && kinds[k] == Op.Kind.CAS) waiting.get(expecteds[k]).add(k);
    }
    casWaitingFor = new int[valueNames.size()][];
    for (int i = 0; i < casWaitingFor.length; i++) {
      casWaitingFor[i] = waiting.get(i).stream().mapToInt(Integer::intValue).toArray();
    }
    spare = new int[spares.size() + 1];
    for (int i = 0; i < spares.size(); i++) spare[i] = spares.get(i);
    spare[spares.size()] = -1;
  }

  private static Set<String> observedValues(List<Op> ops) {
    Set<String> observed = new HashSet<>();
    for (Op op : ops) {
      if (op.kind() == Op.Kind.READ && op.result() != null) observed.add(op.result());
      if (op.kind() == Op.Kind.CAS && op.expected() != null) observed.add(op.expected());
    }
    return observed;
  }

  /**
   * An UNKNOWN write or CAS whose value no op ever observes may as well not have happened: in any
   * linearization that includes it, the ops up to the next overwrite see its value, so they are
   * reads or CASes that observe nothing of it (none do), or optional CASes that were no-ops. Taking
   * it and them out leaves a linearization. This holds only if no required CAS can observe a
   * value's absence (a failed, or not-known, CAS); otherwise the op is kept. Dropping keeps the
   * memo's sets dense: an op never linearized would otherwise widen every set after it.
   */
  private static List<Op> dropUnobservedOptionalWrites(List<Op> ops) {
    for (Op op : ops) {
      if (op.kind() == Op.Kind.CAS && op.outcome() == Op.Outcome.OK
          && !Boolean.TRUE.equals(op.succeeded())) {
        return ops;
      }
    }
    Set<String> observed = observedValues(ops);
    List<Op> kept = new ArrayList<>(ops.size());
    for (Op op : ops) {
      boolean droppable = op.outcome() == Op.Outcome.UNKNOWN && op.kind() != Op.Kind.READ
          && !observed.contains(op.value());
      if (!droppable) kept.add(op);
    }
    return kept;
  }

  private int id(Map<String, Integer> ids, String value) {
    if (value == null) return RegisterModel.ABSENT;
    return ids.computeIfAbsent(value, v -> {
      valueNames.add(v);
      return valueNames.size() - 1;
    });
  }

  private void buildEvents() {
    int n = ops.length;
    Integer[] order = new Integer[2 * n];
    for (int i = 0; i < 2 * n; i++) order[i] = i;
    Arrays.sort(order, Comparator.<Integer>comparingLong(e -> time(e)).thenComparingInt(e -> e & 1)
        .thenComparingInt(e -> e));
    head = 2 * n;
    tail = 2 * n + 1;
    next = new int[2 * n + 2];
    prev = new int[2 * n + 2];
    int last = head;
    for (int e : order) {
      next[last] = e;
      prev[e] = last;
      last = e;
    }
    next[last] = tail;
    prev[tail] = last;
  }

  private long time(int event) {
    Op op = ops[event >>> 1];
    return (event & 1) == 0 ? op.invokeNanos() : op.completeNanos();
  }

  /** Takes op k's two events out of the list. */
  private void lift(int k) {
    unlink(2 * k);
    unlink(2 * k + 1);
  }

  /** Puts op k's events back; valid only in reverse order of lifting (the search is a stack). */
  private void unlift(int k) {
    relink(2 * k + 1);
    relink(2 * k);
  }

  private void unlink(int e) {
    next[prev[e]] = next[e];
    prev[next[e]] = prev[e];
  }

  private void relink(int e) {
    next[prev[e]] = e;
    prev[next[e]] = e;
  }
}
