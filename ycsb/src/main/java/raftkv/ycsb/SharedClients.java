package raftkv.ycsb;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.Map;
import raftkv.client.KvClient;

/**
 * One {@link KvClient} for all YCSB threads of a run (YCSB makes a binding instance per
 * thread; the client is thread-safe and meant to be shared), and the run's read-your-writes
 * counts, printed once when the last thread lets go.
 *
 * <p>Keyed by {@link Settings}, so runs in one JVM with different settings each get their
 * own client. Thread-safe: every method locks the class.
 */
final class SharedClients {
  private static final class Entry {
    final KvClient client;
    int users;
    long checked;
    long misses;

    Entry(KvClient client) {
      this.client = client;
    }
  }

  private static final Map<Settings, Entry> ENTRIES = new HashMap<>();

  private SharedClients() {}

  /** The client for {@code settings}, built on first use; pair with {@link #release}. */
  static synchronized KvClient acquire(Settings settings) {
    Entry e = ENTRIES.computeIfAbsent(settings, s -> new Entry(s.connect()));
    e.users++;
    return e.client;
  }

  /**
   * Adds one thread's counts; the last thread of {@code settings} closes the client and prints
   * the run's counts to {@code out}, in YCSB's "[SECTION], metric, value" form.
   */
  static synchronized void release(Settings settings, OwnWrites counts, PrintStream out) {
    Entry e = ENTRIES.get(settings);
    if (e == null) {
      return;
    }
    e.checked += counts.checked();
    e.misses += counts.misses();
    if (--e.users > 0) {
      return;
    }
    ENTRIES.remove(settings);
    e.client.close();
    out.println("[RAFTKV], Consistency, " + settings.level().name());
    out.println("[RAFTKV], ReadsOfOwnWrites, " + e.checked);
    out.println("[RAFTKV], ReadYourWritesMisses, " + e.misses);
    out.flush();
  }
}
