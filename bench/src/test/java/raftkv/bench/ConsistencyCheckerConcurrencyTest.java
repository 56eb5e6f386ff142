package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.v1.Consistency.EVENTUAL;
import static raftkv.v1.Consistency.SESSION;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many sessions reporting at once: per-session state stays separate and counts are exact. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConsistencyCheckerConcurrencyTest {

  private static final int THREADS = 8;
  private static final int SESSIONS_PER_THREAD = 4;
  private static final int ROUNDS = 5_000;

  @Test
  void countsAreExactUnderConcurrentSessions() throws Exception {
    ConsistencyChecker checker = new ConsistencyChecker();
    AtomicLong log = new AtomicLong(); // the cluster's log: unique, growing indexes
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<long[]>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        results.add(pool.submit(() -> {
          start.await();
          return run(checker, log, thread);
        }));
      }
      start.countDown();
      long[] expected = new long[4]; // as run() returns them, summed
      for (Future<long[]> f : results) {
        long[] r = f.get(20, TimeUnit.SECONDS);
        for (int i = 0; i < expected.length; i++) {
          expected[i] += r[i];
        }
      }

      int sessions = THREADS * SESSIONS_PER_THREAD;
      assertThat(expected[0]).isEqualTo(2L * sessions * ROUNDS); // two SESSION reads a round
      assertThat(checker.counts(SESSION)).isEqualTo(new Counts(expected[0], 0, 0, 0, 0));
      // Each session plants one read-your-writes violation every 7th round at EVENTUAL.
      long planted = (long) sessions * ((ROUNDS + 6) / 7);
      assertThat(expected[3]).isEqualTo(planted);
      assertThat(checker.counts(EVENTUAL))
          .isEqualTo(new Counts(expected[2], planted, 0, 0, planted));
      assertThat(checker.guaranteeViolations()).isZero();
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  /**
   * Each session of this thread, round by round: writes its own key (acknowledged at a fresh
   * index of the shared log) and reads it back at SESSION (clean); a writer session writes a
   * shared key and this session reads that at SESSION (another session's newer writes: never
   * flagged). Every 7th round, between the two, the session plants an EVENTUAL read of its own
   * key that claims to be served at the token (so neither stale nor behind earlier reads) but
   * returns the previous own version: read-your-writes only.
   *
   * @return reads at SESSION, their violations, reads at EVENTUAL, their read-your-writes
   */
  private static long[] run(ConsistencyChecker checker, AtomicLong log, int thread) {
    long[] counted = new long[4];
    String[] names = new String[SESSIONS_PER_THREAD];
    long[] token = new long[SESSIONS_PER_THREAD];
    long[] lastOwn = new long[SESSIONS_PER_THREAD];
    for (int s = 0; s < SESSIONS_PER_THREAD; s++) {
      names[s] = "t" + thread + "-s" + s;
    }
    ByteString shared = ByteString.copyFromUtf8("shared");
    long[] sharedSeen = new long[SESSIONS_PER_THREAD];
    for (int round = 0; round < ROUNDS; round++) {
      for (int s = 0; s < SESSIONS_PER_THREAD; s++) {
        String session = names[s];
        ByteString own = ByteString.copyFromUtf8("own/" + session);
        long previous = lastOwn[s];
        long w = log.incrementAndGet();
        checker.writeAcked(session, own, value(w), w);
        lastOwn[s] = w;
        token[s] = Math.max(token[s], w);

        if (round % 7 == 0) {
          // Planted: claims the token's index yet returns the previous own version.
          ReadVerdict v = previous == 0
              ? checker.readReturned(session, EVENTUAL, own, false, null, 0, token[s], token[s])
              : checker.readReturned(session, EVENTUAL, own, true, value(previous), previous,
                  token[s], token[s]);
          assertThat(v.readYourWrites()).isTrue();
          assertThat(v.monotonicRead() || v.staleRead()).isFalse();
          counted[2]++;
          counted[3]++;
        }

        long served = Math.max(token[s], log.get());
        ReadVerdict ownRead = checker.readReturned(session, SESSION, own, true, value(w), w,
            served, token[s]);
        assertThat(ownRead.ok()).as(ownRead.detail()).isTrue();
        token[s] = served;
        counted[0]++;

        long sw = log.incrementAndGet();
        checker.writeAcked("writer-" + thread, shared, value(sw), sw);
        // The shared key's newest version this session may see: at least what it saw before.
        sharedSeen[s] = Math.max(sharedSeen[s], sw);
        long servedShared = Math.max(token[s], sw);
        ReadVerdict sharedRead = checker.readReturned(session, SESSION, shared, true,
            value(sharedSeen[s]), sharedSeen[s], servedShared, token[s]);
        assertThat(sharedRead.ok()).as(sharedRead.detail()).isTrue();
        token[s] = servedShared;
        counted[0]++;
      }
    }
    return counted;
  }

  private static ByteString value(long index) {
    return ByteString.copyFromUtf8("value@" + index);
  }
}
