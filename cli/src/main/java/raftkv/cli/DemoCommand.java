package raftkv.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.bench.Bench;
import raftkv.bench.BenchOptions;
import raftkv.bench.BenchReport;
import raftkv.bench.LevelMix;
import raftkv.bench.Pattern;
import raftkv.client.KvClient;
import raftkv.v1.Consistency;

/**
 * {@code raftkv demo}: the one command that shows what raftkv is for. It starts 3 voters and
 * 2 learners as separate processes in a temporary directory, runs the same write-then-read
 * workload with EVENTUAL, SESSION and LINEARIZABLE reads, prints the three side by side, and
 * removes the cluster again (also on Ctrl-C).
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Starts a local cluster (3 voters, 2 learners, one process each) in a temporary "
        + "directory, runs a write-then-read workload (each session writes its own key, then reads "
        + "it back at once) with EVENTUAL, SESSION and LINEARIZABLE reads, prints one table, and "
        + "stops and deletes the cluster, also on Ctrl-C."})
final class DemoCommand implements Callable<Integer> {
  static final List<Consistency> LEVELS =
      List.of(Consistency.EVENTUAL, Consistency.SESSION, Consistency.LINEARIZABLE);
  /** How often the JIT warm-up prints the bench's live line, so that 30 s are not silent. */
  static final Duration WARMUP_PROGRESS = Duration.ofSeconds(5);

  @Option(names = "--duration", defaultValue = "15s", converter = DurationConverter.class,
      description = "Measured time per read level (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "3s", converter = DurationConverter.class,
      description = "Unmeasured time before each level (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--jit-warmup", defaultValue = "30s", converter = DurationConverter.class,
      description = "Unmeasured load with all levels before the first (default ${DEFAULT-VALUE}).")
  Duration jitWarmup;

  @Option(names = "--clients", defaultValue = "32",
      description = "Sessions, each with one write or read in flight (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Also write the three bench reports as JSON to FILE.")
  Path json;

  @Option(names = "--keep", description = "Leave the cluster running and its directory in place.")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("raftkv-demo-");
    AtomicBoolean cleaned = new AtomicBoolean();
    Runnable cleanup = () -> {
      if (!keep && cleaned.compareAndSet(false, true)) {
        stopAndDelete(dir);
      }
    };
    Thread onCtrlC = new Thread(cleanup, "raftkv-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(onCtrlC);
    try {
      System.out.println("Starting 3 voters and 2 learners, one process each, in " + dir);
      LocalCluster.Started started = LocalCluster.start(dir, 3, 2, LocalCluster.DEFAULT_HEAP,
          Integer.parseInt(LocalCluster.DEFAULT_SNAPSHOT_INTERVAL_S),
          LocalCluster.jvmOptions(LocalCluster.DEFAULT_JVM_OPTIONS), false);
      System.out.println("Leader: " + started.leader().getNodeId() + ". Each of " + clients
          + " sessions writes its own key, then reads it back at once. About "
          + jitWarmup.plus(warmup.plus(duration).multipliedBy(LEVELS.size())).toSeconds()
          + " s from here: " + jitWarmup.toSeconds() + " s warm-up, then per read level "
          + warmup.toSeconds() + " s warmup and " + duration.toSeconds() + " s measured.");
      Map<Consistency, BenchReport> reports = new LinkedHashMap<>();
      try (KvClient client = KvClient.builder().endpoints(started.cluster().grpcAddresses())
          .defaultDeadline(Duration.ofSeconds(10)).build()) {
        // Five JVMs compile their hot paths during the first seconds of load: warm every
        // level's path first, or whichever level ran first would look slowest.
        if (jitWarmup.toMillis() > 0) {
          System.out.println();
          System.out.println("== Warming up for " + jitWarmup.toSeconds() + " s: all three read "
              + "levels at once while the five JVMs compile their hot paths (not measured; a "
              + "progress line every " + WARMUP_PROGRESS.toSeconds() + " s)");
          Bench.run(client, BenchOptions.builder().pattern(Pattern.WRITE_THEN_READ)
              .consistency(LevelMix.parse("eventual,session,linearizable")).clients(clients)
              .warmup(jitWarmup).duration(Duration.ofMillis(1)).build(),
              warmupProgress(line -> System.out.println("  " + line), jitWarmup, WARMUP_PROGRESS));
        }
        for (Consistency level : LEVELS) {
          System.out.println();
          System.out.println("== " + LevelMix.name(level).toUpperCase(java.util.Locale.ROOT)
              + " reads: " + warmup.toSeconds() + " s warmup, then " + duration.toSeconds()
              + " s measured (a line per second)");
          BenchOptions options = BenchOptions.builder().pattern(Pattern.WRITE_THEN_READ)
              .consistency(LevelMix.of(level)).clients(clients).sessions(clients)
              .duration(duration).warmup(warmup).build();
          reports.put(level, Bench.run(client, options, line -> System.out.println("  " + line)));
        }
      }
      System.out.println();
      System.out.print(DemoTable.render(reports, duration));
      if (json != null) {
        Map<String, Object> all = new LinkedHashMap<>();
        reports.forEach((level, r) -> all.put(LevelMix.name(level), r));
        Output.writeJson(json, all);
        System.out.println("reports written to " + json);
      }
      if (keep) {
        System.out.println("The cluster is still running: raftkv status --cluster " + dir
            + "; stop it with raftkv cluster stop --dir " + dir);
      }
      long violations = reports.values().stream().mapToLong(BenchReport::guaranteeViolations).sum();
      return violations == 0 ? 0 : 3;
    } catch (IllegalStateException e) {
      System.err.println("raftkv demo: " + e.getMessage());
      return 1;
    } finally {
      cleanup.run();
      try {
        Runtime.getRuntime().removeShutdownHook(onCtrlC);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or has run: cleanup is under way already.
      }
    }
  }

  /**
   * The JIT warm-up's progress: the bench's first live line, then one every {@code every},
   * and none after {@code length}, when the bench is only draining. The bench ticks once a
   * second, a little late at times, so both bounds allow a tenth of {@code every}.
   * Thread-safe: the bench calls it from its ticker thread and, for phase lines, from the
   * caller's.
   */
  static Consumer<String> warmupProgress(Consumer<String> out, Duration length, Duration every) {
    long start = System.nanoTime();
    long slack = every.toNanos() / 10;
    AtomicLong next = new AtomicLong(start);
    return line -> {
      long now = System.nanoTime();
      long due = next.get();
      if (now - start <= length.toNanos() + slack && now - due >= 0
          && next.compareAndSet(due, now + every.toNanos() - slack)) {
        out.accept(line);
      }
    };
  }

  /** Stops the cluster's processes (if cluster.json was written) and deletes its directory. */
  static void stopAndDelete(Path dir) {
    if (Files.exists(dir.resolve(ClusterFile.NAME))) {
      LocalCluster.stopAll(ClusterFile.read(dir));
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + dir, e);
    }
  }
}
