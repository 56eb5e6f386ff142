package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The table {@code raftkv bench} prints for people: errors and where reads were served in
 * words ("served by learners 1735"), never Java's map formatting ({@code {} {learners=1735}}).
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class BenchReportTableTest {
  private static final BenchReport.Latency LATENCY =
      new BenchReport.Latency(1.0, 2.0, 3.0, 4.0, 5.0, 1.5);

  @Test
  void readsWithoutErrorsSayWhereTheyWereServedAndTheTotalSaysNoErrors() {
    String table = report(Map.of(), Map.of("learners", 1735L), Map.of()).table();

    assertThat(line(table, "read session")).endsWith("  served by learners 1735");
    assertThat(line(table, "writes")).endsWith("  -");
    assertThat(line(table, "total")).endsWith("; no errors");
    assertThat(table).doesNotContain("{").doesNotContain("}");
  }

  @Test
  void errorsAreCountedByCodeBeforeWhereTheReadsWereServed() {
    Map<String, Long> servedBy = new LinkedHashMap<>();
    servedBy.put("leader", 10L);
    servedBy.put("followers", 0L);
    servedBy.put("learners", 1735L);

    String table = report(Map.of("UNAVAILABLE", 3L), servedBy,
        Map.of("DEADLINE_EXCEEDED", 2L)).table();

    assertThat(line(table, "read session"))
        .endsWith("  errors UNAVAILABLE 3; served by leader 10, learners 1735");
    assertThat(line(table, "writes")).endsWith("  errors DEADLINE_EXCEEDED 2");
    assertThat(line(table, "total")).endsWith("; errors DEADLINE_EXCEEDED 2, UNAVAILABLE 3");
  }

  private static BenchReport report(Map<String, Long> readErrors, Map<String, Long> servedBy,
      Map<String, Long> writeErrors) {
    BenchReport.Ops reads = new BenchReport.Ops(2000, 200, LATENCY, LATENCY,
        new BenchReport.Violations(0L, 0L, null), 0L, servedBy, Map.of("l1", 1735L), readErrors);
    BenchReport.Ops writes = new BenchReport.Ops(1000, 100, LATENCY, null,
        new BenchReport.Violations(null, null, 0L), null, null, null, writeErrors);
    Map<String, Long> errors = new TreeMap<>(readErrors);
    writeErrors.forEach((code, n) -> errors.merge(code, n, Long::sum));
    return new BenchReport(Map.of(), 10.0, Map.of("session", reads), writes, errors,
        new BenchReport.Total(3000, 300, errors.values().stream().mapToLong(n -> n).sum()), new BenchReport.Tool(1.0, 0.1, 333),
        null, new BenchReport.LearnerLag(0, 0, 0, 0, 0, 0, 0), null);
  }

  private static String line(String table, String name) {
    List<String> lines = table.lines().filter(l -> l.startsWith(name + " ")).toList();
    assertThat(lines).as("the %s line of%n%s", name, table).hasSize(1);
    return lines.get(0);
  }
}
