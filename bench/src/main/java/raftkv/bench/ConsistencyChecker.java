package raftkv.bench;

import com.google.protobuf.ByteString;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import raftkv.token.SessionToken;
import raftkv.v1.Consistency;

/**
 * Checks, online, that each session's reads keep the session guarantees, from nothing but
 * what the responses say: a write's acknowledged index, and a read's value, version and the
 * applied index it was served at.
 *
 * <h2>Model</h2>
 *
 * <p>A key's version is the log index of its last modification, so versions only grow, over
 * the whole keyspace, and a node that has applied index {@code a} returns for every key the
 * version it had at {@code a}. Every write writes a value no other write writes. A read that
 * found nothing has version 0. The workload is assumed to modify keys with puts only: a
 * delete would make "absent" a legitimate newer state, which an absent read cannot be told
 * apart from (it carries no version), so deletes are not modelled.
 *
 * <p>A session is a sequence of operations. Its calls must reach the checker in the
 * session's real-time order: a write is reported with {@link #writeAcked} when its
 * acknowledgement arrived, before the session starts a read that is to see it, and reads are
 * reported when they return. (A session with several operations in flight at once has no
 * such order, and the rules below would then flag legitimate histories.) Calls for one
 * session are serialised on that session's state; different sessions proceed in parallel.
 *
 * <h2>The rules</h2>
 *
 * <p>Let a read by session {@code s} at level {@code L} of key {@code k} return version
 * {@code v} (0 when not found) and value {@code val}, served at applied index {@code a},
 * and let {@code t} be the index of {@code s}'s token when the read was sent. Per session the
 * checker keeps: {@code W(k)}, the highest index at which one of {@code s}'s writes to
 * {@code k} was acknowledged, with its value {@code V(k)}; {@code R(k)}, the highest version
 * of {@code k} that an earlier read of {@code s} returned; and {@code A}, the highest applied
 * index an earlier read of {@code s} was served at.
 *
 * <ul>
 *   <li><b>Read-your-writes</b> is broken when {@code v < W(k)} (the read returned an older
 *       version than the session's own write, or nothing), or when {@code v == W(k)} but
 *       {@code val != V(k)} (the version of the session's own write with another value). A
 *       version above {@code W(k)} is fine whoever wrote it: a later write by another session
 *       (or a write of this one whose acknowledgement was lost) replaced it. This holds
 *       whatever {@code a} is: a read served below the session's own write is a
 *       read-your-writes violation as well as a stale one.
 *   <li><b>Monotonic reads</b> is broken when {@code a < A} (the session's observed applied
 *       index went backwards: invariant 3 of the design), or when {@code v < R(k)} (the key
 *       went back to an older version than this session already read). Equal is fine; newer
 *       is fine. Own writes do not raise {@code R(k)} or {@code A}: going behind an own write
 *       is read-your-writes (same key) or stale (any key), not this.
 *   <li><b>Stale read</b>: {@code a < t}, the read was served below the session's token.
 *       {@code t} is what the caller says the token was (see {@link #tokenIndex}), so this
 *       checks the servers and routing against the token the client really sent.
 * </ul>
 *
 * <p>Every read updates {@code R(k)} and {@code A} to the maximum seen, violating or not;
 * every write raises {@code W(k)}. Each read counts under its level ({@link #counts()}): once
 * in {@code reads}, and once under each rule it broke. SESSION and LINEARIZABLE promise all
 * three rules, so for them every count but {@code reads} must stay zero
 * ({@link #guarantees}); for EVENTUAL and BOUNDED_STALENESS the counts are the measurement.
 *
 * <p>What the checker does not see: writes of other sessions, and so linearizability across
 * sessions (a LINEARIZABLE read seeing another session's earlier acknowledged write), is not
 * checked here; nor is a version above the serving node's applied index.
 *
 * <p>Thread-safe. Counters are {@link LongAdder}s, so a {@link #counts()} taken while reports
 * are still arriving is not one atomic cut; once reporting threads are done it is exact.
 */
public final class ConsistencyChecker {

  /** The levels a read can be checked at, in the order reports list them. */
  public static final List<Consistency> LEVELS = List.of(Consistency.LINEARIZABLE,
      Consistency.SESSION, Consistency.BOUNDED_STALENESS, Consistency.EVENTUAL);

  private static final int MAX_KEY_SHOWN = 48;

  private final ConcurrentHashMap<String, SessionState> sessions = new ConcurrentHashMap<>();
  private final Map<Consistency, LevelCounters> counters;
  private final LongAdder writes = new LongAdder();
  private final LongAdder monotonicWrites = new LongAdder();

  public ConsistencyChecker() {
    EnumMap<Consistency, LevelCounters> m = new EnumMap<>(Consistency.class);
    for (Consistency level : LEVELS) {
      m.put(level, new LevelCounters());
    }
    counters = Collections.unmodifiableMap(m);
  }

  /** Whether {@code level} promises all the checked rules (so any violation is a bug). */
  public static boolean guarantees(Consistency level) {
    return level == Consistency.SESSION || level == Consistency.LINEARIZABLE;
  }

  /**
   * The index of a session token as {@link raftkv.client.Session#token()} prints it, or 0 for
   * the empty token of a session that has seen nothing yet.
   *
   * @throws IllegalArgumentException if the token is malformed
   */
  public static long tokenIndex(String token) {
    if (token == null || token.isEmpty()) {
      return 0;
    }
    return SessionToken.parse(token).index();
  }

  /**
   * A write by {@code session}, acknowledged at log {@code index} (so {@code key}'s version
   * became {@code index}). Values are unique per write.
   *
   * <p><b>Monotonic writes</b> is broken when the write's index is not above the index of the
   * session's previous acknowledged write: the log applied the session's writes out of the
   * order the session made them. Counted in {@link #writeCounts()}.
   *
   * @return true if this write broke monotonic writes
   * @throws IllegalArgumentException if an argument is null or {@code index < 1}
   */
  public boolean writeAcked(String session, ByteString key, ByteString value, long index) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    if (index < 1) {
      throw new IllegalArgumentException("a write's index is >= 1, got " + index);
    }
    boolean outOfOrder = state(session).writeAcked(key, value, index);
    writes.increment();
    if (outOfOrder) {
      monotonicWrites.increment();
    }
    return outOfOrder;
  }

  /** Writes checked so far, and how many broke monotonic writes (must be 0). */
  public WriteCounts writeCounts() {
    return new WriteCounts(writes.sum(), monotonicWrites.sum());
  }

  /**
   * Zeroes every count, keeping what each session wrote and read: a run's warmup feeds the
   * sessions' state, and only what follows is counted.
   */
  public void resetCounts() {
    for (LevelCounters c : counters.values()) {
      c.reset();
    }
    writes.reset();
    monotonicWrites.reset();
  }

  /**
   * A read by {@code session} at {@code level} returned: checks it against the rules in the
   * class comment, counts it, and says which rules it broke.
   *
   * @param found whether the key existed; when false, {@code value} and {@code version} are
   *     ignored (version 0)
   * @param version the key's version (log index of its last modification)
   * @param servedAppliedIndex the serving node's applied index ({@code ReadMeta.applied_index})
   * @param sessionTokenIndexBeforeRead the index of the session's token when the read was
   *     sent (0 if it had none); see {@link #tokenIndex}
   * @throws IllegalArgumentException for a null session or key, a level other than the four
   *     of {@link #LEVELS}, a found read without a value, or a negative index
   */
  public ReadVerdict readReturned(String session, Consistency level, ByteString key,
      boolean found, ByteString value, long version, long servedAppliedIndex,
      long sessionTokenIndexBeforeRead) {
    Objects.requireNonNull(session, "session");
    Objects.requireNonNull(key, "key");
    LevelCounters c = level == null ? null : counters.get(level);
    if (c == null) {
      throw new IllegalArgumentException("a read is checked at one of " + LEVELS + ", got "
          + level);
    }
    if (found && value == null) {
      throw new IllegalArgumentException("a read that found the key has a value");
    }
    if ((found && version < 0) || servedAppliedIndex < 0 || sessionTokenIndexBeforeRead < 0) {
      throw new IllegalArgumentException("indexes are >= 0, got version " + version
          + ", served at " + servedAppliedIndex + ", token " + sessionTokenIndexBeforeRead);
    }
    ReadVerdict verdict = state(session).readReturned(key, found, found ? value : null,
        found ? version : 0, servedAppliedIndex, sessionTokenIndexBeforeRead);
    c.reads.increment();
    if (!verdict.ok()) {
      c.violating.increment();
      if (verdict.readYourWrites()) {
        c.readYourWrites.increment();
      }
      if (verdict.monotonicRead()) {
        c.monotonicReads.increment();
      }
      if (verdict.staleRead()) {
        c.staleReads.increment();
      }
    }
    return verdict;
  }

  /**
   * Forgets a session that will report nothing more (its state is kept per key it touched).
   * Its reads stay counted.
   */
  public void sessionEnded(String session) {
    sessions.remove(Objects.requireNonNull(session, "session"));
  }

  /** The counts per level, every level of {@link #LEVELS} present (zero if never read at). */
  public Map<Consistency, Counts> counts() {
    EnumMap<Consistency, Counts> m = new EnumMap<>(Consistency.class);
    for (Consistency level : LEVELS) {
      m.put(level, counters.get(level).snapshot());
    }
    return Collections.unmodifiableMap(m);
  }

  /** The counts of one level; {@link Counts#ZERO} for a level that is never checked. */
  public Counts counts(Consistency level) {
    LevelCounters c = level == null ? null : counters.get(level);
    return c == null ? Counts.ZERO : c.snapshot();
  }

  /**
   * Reads at a level that {@link #guarantees} the rules which broke one anyway, plus writes
   * that broke monotonic writes: must be 0.
   */
  public long guaranteeViolations() {
    long n = monotonicWrites.sum();
    for (Consistency level : LEVELS) {
      if (guarantees(level)) {
        n += counters.get(level).violating.sum();
      }
    }
    return n;
  }

  private SessionState state(String session) {
    return sessions.computeIfAbsent(session, s -> new SessionState());
  }

  private static final class LevelCounters {
    final LongAdder reads = new LongAdder();
    final LongAdder readYourWrites = new LongAdder();
    final LongAdder monotonicReads = new LongAdder();
    final LongAdder staleReads = new LongAdder();
    final LongAdder violating = new LongAdder();

    void reset() {
      reads.reset();
      readYourWrites.reset();
      monotonicReads.reset();
      staleReads.reset();
      violating.reset();
    }

    Counts snapshot() {
      return new Counts(reads.sum(), readYourWrites.sum(), monotonicReads.sum(),
          staleReads.sum(), violating.sum());
    }
  }

  /** What one key looks like to one session. */
  private static final class KeyState {
    /** W(k): highest index of an acknowledged own write to the key; 0 = none. */
    long ownIndex;
    /** V(k): the value of that write. */
    ByteString ownValue;
    /** R(k): highest version an earlier read of the session returned; 0 = none. */
    long maxVersionRead;
  }

  /** One session's state; every access holds its monitor. */
  private static final class SessionState {
    private final Map<ByteString, KeyState> keys = new HashMap<>();
    /** A: highest applied index an earlier read was served at. */
    private long maxServedRead;
    /** Highest index of an acknowledged write of the session. */
    private long lastWrite;

    /** @return true if {@code index} is not above the session's previous write */
    synchronized boolean writeAcked(ByteString key, ByteString value, long index) {
      KeyState k = keys.computeIfAbsent(key, x -> new KeyState());
      if (index > k.ownIndex) {
        k.ownIndex = index;
        k.ownValue = value;
      }
      boolean outOfOrder = index <= lastWrite;
      lastWrite = Math.max(lastWrite, index);
      return outOfOrder;
    }

    synchronized ReadVerdict readReturned(ByteString key, boolean found, ByteString value,
        long version, long served, long token) {
      KeyState k = keys.get(key);
      boolean ryw = false;
      boolean mono = false;
      StringBuilder why = null;
      if (k != null && k.ownIndex > 0) {
        if (version < k.ownIndex) {
          ryw = true;
          why = append(why, "read-your-writes: key " + show(key) + " read "
              + (found ? "at version " + version : "as absent") + " (served at " + served
              + ") after the session's write to it was acknowledged at " + k.ownIndex);
        } else if (version == k.ownIndex && !value.equals(k.ownValue)) {
          ryw = true;
          why = append(why, "read-your-writes: key " + show(key) + " read at version "
              + version + ", the session's own write, but with another value");
        }
      }
      if (k != null && version < k.maxVersionRead) {
        mono = true;
        why = append(why, "monotonic read: key " + show(key) + " read "
            + (found ? "at version " + version : "as absent") + " after the session read it at "
            + "version " + k.maxVersionRead);
      }
      if (served < maxServedRead) {
        mono = true;
        why = append(why, "monotonic read: served at applied index " + served
            + " after an earlier read of the session was served at " + maxServedRead);
      }
      boolean stale = served < token;
      if (stale) {
        why = append(why, "stale read: served at applied index " + served
            + " below the session's token " + token);
      }
      maxServedRead = Math.max(maxServedRead, served);
      if (version > 0) {
        if (k == null) {
          k = new KeyState();
          keys.put(key, k);
        }
        k.maxVersionRead = Math.max(k.maxVersionRead, version);
      }
      return why == null ? ReadVerdict.OK : new ReadVerdict(ryw, mono, stale, why.toString());
    }

    private static StringBuilder append(StringBuilder sb, String s) {
      if (sb == null) {
        return new StringBuilder(s);
      }
      return sb.append("; ").append(s);
    }
  }

  /** A key for a message: as text if it is printable ASCII, else as hex; abbreviated. */
  static String show(ByteString key) {
    boolean printable = true;
    for (int i = 0; i < key.size() && printable; i++) {
      int b = key.byteAt(i) & 0xff;
      printable = b >= 0x20 && b < 0x7f;
    }
    String s;
    if (printable) {
      s = "'" + key.toStringUtf8() + "'";
    } else {
      StringBuilder hex = new StringBuilder("0x");
      for (int i = 0; i < key.size(); i++) {
        hex.append(String.format("%02x", key.byteAt(i) & 0xff));
      }
      s = hex.toString();
    }
    return s.length() <= MAX_KEY_SHOWN ? s : s.substring(0, MAX_KEY_SHOWN - 3) + "...";
  }
}
