package raftkv.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import raftkv.bench.BenchReport;
import raftkv.bench.LevelMix;
import raftkv.v1.Consistency;

/**
 * The demo's side-by-side table of write-then-read runs, one row per read level, and one
 * plain sentence per level saying what the numbers mean. Stateless.
 */
final class DemoTable {
  private DemoTable() {}

  /** The table, its legend and the sentences; {@code measured}: each level's --duration. */
  static String render(Map<Consistency, BenchReport> reports, Duration measured) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-13s %8s %9s %9s %18s %18s %20s %22s %9s %10s%n", "read level",
        "reads/s", "read p50", "read p99", "missed own write", "stale reads",
        "server wait p50/p99", "served by lead/fol/lrn", "writes/s", "write p99"));
    for (Map.Entry<Consistency, BenchReport> e : reports.entrySet()) {
      BenchReport r = e.getValue();
      BenchReport.Ops read = r.levels().get(LevelMix.name(e.getKey()));
      long missed = read.violations().readYourWrites();
      sb.append(String.format("%-13s %8.0f %6.2f ms %6.2f ms %18s %18s %20s %22s %9.0f %7.2f ms%n",
          LevelMix.name(e.getKey()).toUpperCase(Locale.ROOT), read.throughputOpsPerSec(),
          read.latencyMs().p50(), read.latencyMs().p99(), ofReads(missed, read.ops()),
          ofReads(read.staleReads(), read.ops()),
          String.format("%.2f/%.2f ms", read.serverWaitMs().p50(), read.serverWaitMs().p99()),
          servedBy(read), r.writes().throughputOpsPerSec(), r.writes().latencyMs().p99()));
    }
    sb.append(legend(measured));
    sb.append('\n');
    for (Map.Entry<Consistency, BenchReport> e : reports.entrySet()) {
      sb.append(sentence(e.getKey(), e.getValue())).append('\n');
    }
    return sb.toString();
  }

  /** What each column counts, under the table: the two read-miss columns look alike. */
  private static String legend(Duration measured) {
    return String.format("""
        Every number is from the measured part of each level's run (%s s); "N = P %%" is N \
        reads, P %% of that level's reads.
          missed own write  the read returned an older version of its key than the session's own
                            write just before it: read-your-writes broken.
          stale reads       the node that served the read had applied less than the session's
                            token (the highest index the session had seen, any key). Every missed
                            own write is also stale; a stale read can still show its own write when
                            the node had applied it but not a later index the session had seen.
          server wait       how long the serving node held the read until it had applied what the
                            read needed (SESSION: the session's token; LINEARIZABLE: the ReadIndex).
          served by         share of reads answered by the leader / followers / learners.
        """, measured.toMillis() % 1000 == 0 ? String.valueOf(measured.toSeconds())
            : String.valueOf(measured.toMillis() / 1000.0));
  }

  private static String sentence(Consistency level, BenchReport r) {
    BenchReport.Ops read = r.levels().get(LevelMix.name(level));
    long missed = read.violations().readYourWrites();
    long broken = r.guaranteeViolations();
    return switch (level) {
      case EVENTUAL -> missed > 0
          ? String.format("EVENTUAL: %.2f %% of reads (%d of %d) did not show the session's own "
              + "write: a replica answered before it had applied it.", percent(missed, read.ops()),
              missed, read.ops())
          : String.format("EVENTUAL: none of %d reads missed its own write in this run: the "
              + "replicas happened to apply each write before its read arrived. That was timing, "
              + "not a promise; SESSION makes it one.", read.ops());
      case SESSION -> broken == 0
          ? String.format("SESSION: every read showed its own write (%d reads), %.0f %% of them "
              + "served by learners, which waited p50 %.2f / p99 %.2f ms to catch up.", read.ops(),
              share(read, "learners"), read.serverWaitMs().p50(), read.serverWaitMs().p99())
          : String.format("SESSION: %d reads broke a session guarantee. This is a bug; please "
              + "report it with the JSON report (--json).", broken);
      case LINEARIZABLE -> broken == 0
          ? String.format("LINEARIZABLE: every read showed its own write (%d reads), all through "
              + "the leader (ReadIndex).", read.ops())
          : String.format("LINEARIZABLE: %d reads broke a guarantee. This is a bug; please "
              + "report it with the JSON report (--json).", broken);
      default -> "";
    };
  }

  private static String ofReads(long n, long reads) {
    return String.format("%d = %.2f %%", n, percent(n, reads));
  }

  private static String servedBy(BenchReport.Ops read) {
    return String.format("%.0f/%.0f/%.0f %%", share(read, "leader"), share(read, "followers"),
        share(read, "learners"));
  }

  private static double share(BenchReport.Ops read, String role) {
    long total = read.servedBy().values().stream().mapToLong(Long::longValue).sum();
    return percent(read.servedBy().getOrDefault(role, 0L), total);
  }

  private static double percent(long part, long whole) {
    return whole == 0 ? 0 : 100.0 * part / whole;
  }
}
