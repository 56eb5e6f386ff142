package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftkv demo} as a user runs it: it starts five node processes, prints one table row
 * per read level and a sentence for each, and leaves nothing behind: no directory, no process.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DemoProcessTest {
  private static final java.util.regex.Pattern STARTING = java.util.regex.Pattern.compile(
      "Starting 3 voters and 2 learners, one process each, in (\\S+)");
  /**
   * A table row: level, reads/s, read p50, read p99, then "N = P %" missed own writes and
   * "N = P %" stale reads.
   */
  private static final String ROW =
      "^%s\\s+\\S+\\s+\\S+ ms\\s+\\S+ ms\\s+(\\d+) = \\s*\\S+ %%\\s+(\\d+) = \\s*\\S+ %%";

  /** Directories the demo ran in; any node process still running from one is stopped. */
  private final List<String> demoDirs = new ArrayList<>();

  @BeforeAll
  static void initLogging() {
    // Logback prints its start-up status to System.out; let it do so before CliRun captures
    // stdout, as Raftkv.main does before running a command.
    org.slf4j.LoggerFactory.getILoggerFactory();
  }

  @AfterEach
  void stopLeftoverNodes() {
    for (String dir : demoDirs) {
      nodeProcesses(dir).forEach(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void demoPrintsOneLabelledRowPerLevelSessionAndLinearizableMissNoOwnWriteAndItLeavesNothingBehind() {
    CliRun r = CliRun.raftkv("demo", "--duration", "2s", "--warmup", "1s", "--jit-warmup", "1s", "--clients", "4");
    String dir = demoDir(r);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).as(r.toString()).anySatisfy(l -> assertThat(l).startsWith("read level"));
    for (String level : List.of("EVENTUAL", "SESSION", "LINEARIZABLE")) {
      assertThat(lines).as("a %s row in %s", level, r.out())
          .filteredOn(l -> l.matches(String.format(ROW, level) + ".*")).hasSize(1);
    }
    assertThat(missedOwnWrites(r.out(), "SESSION")).isZero();
    assertThat(missedOwnWrites(r.out(), "LINEARIZABLE")).isZero();
    assertThat(staleReads(r.out(), "SESSION")).isZero();
    assertThat(staleReads(r.out(), "LINEARIZABLE")).isZero();
    assertEveryNumberIsLabelled(r);
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("EVENTUAL: "));
    assertThat(lines).anySatisfy(l ->
        assertThat(l).startsWith("SESSION: every read showed its own write"));
    assertThat(lines).anySatisfy(l ->
        assertThat(l).startsWith("LINEARIZABLE: every read showed its own write")
            .contains("all through the leader"));

    assertThat(Path.of(dir)).as("the demo's directory").doesNotExist();
    await("no node process of " + dir + " alive").atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200)).until(() -> nodeProcesses(dir).isEmpty());
  }

  @Test
  void demoJsonWritesTheThreeReportsKeyedByLevel(@TempDir Path out) throws Exception {
    Path file = out.resolve("demo.json");

    CliRun r = CliRun.raftkv("demo", "--duration", "1s", "--warmup", "0s", "--jit-warmup", "1s", "--clients", "4",
        "--json", file.toString());
    demoDir(r);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("reports written to " + file);
    JsonNode all = new ObjectMapper().readTree(file.toFile());
    List<String> keys = new ArrayList<>();
    all.fieldNames().forEachRemaining(keys::add);
    assertThat(keys).containsExactly("eventual", "session", "linearizable");
    for (String level : keys) {
      JsonNode read = all.get(level).get("levels").get(level);
      assertThat(read).as("%s.levels.%s", level, level).isNotNull();
      assertThat(read.get("ops").asLong()).as("%s reads", level).isPositive();
      assertThat(all.get(level).get("config").get("pattern").asText())
          .isEqualTo("write-then-read");
    }
  }

  /** The demo is the first thing a person sees: every number on it says what it counts. */
  private static void assertEveryNumberIsLabelled(CliRun r) {
    List<String> lines = r.out().lines().toList();
    assertThat(lines).as("what the warm-up does and for how long, before it starts: %s", r)
        .anySatisfy(l -> assertThat(l).startsWith("== Warming up for 1 s: ").contains("not measured"));
    assertThat(lines).as("each level says how long it warms up and is measured")
        .anySatisfy(l -> assertThat(l).isEqualTo(
            "== SESSION reads: 1 s warmup, then 2 s measured (a line per second)"));
    assertThat(lines).as("live lines: per-second rates of writes, reads and stale reads, and "
            + "the running total of violations, each named")
        .anySatisfy(l -> assertThat(l).contains("measured", "writes/s", "reads/s",
            "stale reads/s", "errors/s", "guarantee violations (total)"));
    assertThat(lines).as("the table's header names every column with its unit")
        .anySatisfy(l -> assertThat(l).startsWith("read level").contains("reads/s", "read p50",
            "read p99", "missed own write", "stale reads", "server wait p50/p99",
            "served by lead/fol/lrn", "writes/s", "write p99"));
    assertThat(lines).as("a legend under the table tells the two kinds of miss apart")
        .anySatisfy(l -> assertThat(l).startsWith("Every number is from the measured part of "
            + "each level's run (2 s)"))
        .anySatisfy(l -> assertThat(l).startsWith("  missed own write  the read returned an older "
            + "version of its key"))
        .anySatisfy(l -> assertThat(l).startsWith("  stale reads       the node that served the "
            + "read had applied less than the session's"))
        .anySatisfy(l -> assertThat(l).contains("Every missed"));
  }

  /** The directory named on the demo's first line; remembered for the cleanup. */
  private String demoDir(CliRun r) {
    String first = r.out().lines().findFirst().orElse("");
    Matcher m = STARTING.matcher(first);
    assertThat(m.find()).as("first line names the directory: %s", r).isTrue();
    demoDirs.add(m.group(1));
    return m.group(1);
  }

  private static long missedOwnWrites(String out, String level) {
    return rowCount(out, level, 1);
  }

  private static long staleReads(String out, String level) {
    return rowCount(out, level, 2);
  }

  private static long rowCount(String out, String level, int group) {
    Matcher m = java.util.regex.Pattern.compile(String.format(ROW, level),
        java.util.regex.Pattern.MULTILINE).matcher(out);
    assertThat(m.find()).as("a %s row in %s", level, out).isTrue();
    return Long.parseLong(m.group(group));
  }

  private static List<ProcessHandle> nodeProcesses(String dir) {
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(ProcessHandle::isAlive)
          .filter(p -> p.info().commandLine().map(c -> c.contains(dir)).orElse(false))
          .toList();
    }
  }
}
