package raftkv.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.bench.Bench;
import raftkv.bench.BenchOptions;
import raftkv.bench.BenchReport;
import raftkv.bench.KeyDistribution;
import raftkv.bench.LevelMix;
import raftkv.bench.Pattern;
import raftkv.client.KvClient;
import raftkv.client.KvException;

/**
 * {@code raftkv bench}: the load tool. Options map one to one onto {@link BenchOptions}; the
 * run itself is {@link Bench}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = WatchBenchCommand.class,
    description = {"Load a cluster and measure it: throughput and latency per operation and read "
        + "level, the servers' session wait, where reads were served, errors by status code, and "
        + "read-your-writes, monotonic-read, monotonic-write and stale-read checks on every "
        + "response (every write writes a unique value).",
        "Closed loop by default (--clients operations in flight); --rate R runs an open loop "
            + "with Poisson arrivals, latency counted from each arrival.",
        "Durations (--duration, --timeout, ...) are " + DurationConverter.FORMS,
        "Exit status 3 if a SESSION or LINEARIZABLE read or a write broke a guarantee."},
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv bench --cluster /tmp/kv --clients 64 --read-ratio 0 --duration 20s",
        "  raftkv bench --cluster /tmp/kv --rate 2000 --consistency session:0.8,linearizable:0.2",
        "  raftkv bench --cluster /tmp/kv --pattern write-then-read --json report.json",
        "  raftkv bench watch --cluster /tmp/kv --watchers 1000 --rate 200   (watch delivery)"})
final class BenchCommand implements Callable<Integer> {
  @Mixin Connection connection;

  @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "Measured time (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "Unmeasured time first (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--clients", defaultValue = "16",
      description = "Most operations in flight (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--sessions", defaultValue = "0",
      description = "Client sessions the operations rotate over, each with one operation in "
          + "flight at a time; >= --clients (default: = --clients).")
  int sessions;

  @Option(names = "--rate", defaultValue = "0",
      description = "Target ops/s with Poisson arrivals (open loop); 0 = closed loop (default).")
  double rate;

  @Option(names = "--pattern", defaultValue = "mixed",
      description = "mixed: reads (--read-ratio) and writes of keys from --key-dist; "
          + "write-then-read: each session writes its own key, then reads it back at once "
          + "(default ${DEFAULT-VALUE}).")
  String pattern;

  @Option(names = "--read-ratio", defaultValue = "0.5",
      description = "Fraction of mixed operations that are reads (default ${DEFAULT-VALUE}).")
  double readRatio;

  @Option(names = "--consistency", defaultValue = "session",
      description = "Read level, or a mix: linearizable, session, bounded, eventual, e.g. "
          + "session:0.8,linearizable:0.2 (default ${DEFAULT-VALUE}).")
  String consistency;

  @Option(names = "--max-staleness", defaultValue = "500ms", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "The bound of 'bounded' reads (default ${DEFAULT-VALUE}).")
  Duration maxStaleness;

  @Option(names = "--keys", defaultValue = "10000",
      description = "Distinct keys of mixed operations (default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--key-dist", defaultValue = "uniform",
      description = "uniform or zipf (default ${DEFAULT-VALUE}).")
  String keyDist;

  @Option(names = "--zipf-exponent", defaultValue = "0.99",
      description = "Exponent of --key-dist zipf (default ${DEFAULT-VALUE}).")
  double zipfExponent;

  @Option(names = "--value-size", defaultValue = "100",
      description = "Bytes per written value (default ${DEFAULT-VALUE}).")
  int valueSize;

  @Option(names = "--preload", defaultValue = "-1",
      description = "Keys written before the run; default min(--keys, 10000) when mixed "
          + "operations read, else 0.")
  int preload;

  @Option(names = "--seed", description = "Seed of every random choice (default: the clock).")
  Long seed;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Also write the report as JSON to FILE ('-' = stdout; progress then goes "
          + "to stderr).")
  String json;

  @Override
  public Integer call() throws Exception {
    BenchOptions options;
    try {
      BenchOptions.Builder b = BenchOptions.builder().duration(duration).warmup(warmup)
          .clients(clients).sessions(sessions).rate(rate).readRatio(readRatio).keys(keys)
          .keyDistribution(KeyDistribution.parse(keyDist)).zipfExponent(zipfExponent)
          .valueSize(valueSize).consistency(LevelMix.parse(consistency))
          .pattern(Pattern.parse(pattern)).maxStaleness(maxStaleness).preloadKeys(preload);
      if (seed != null) {
        b.seed(seed);
      }
      options = b.build();
    } catch (IllegalArgumentException e) {
      System.err.println("raftkv bench: " + e.getMessage());
      return 2;
    }
    boolean jsonToStdout = "-".equals(json);
    PrintStream progress = jsonToStdout ? System.err : System.out;
    BenchReport report;
    try (KvClient client = connection.connect()) {
      report = Bench.run(client, options, progress::println);
    } catch (KvException e) {
      System.err.println("raftkv bench: " + e.getMessage());
      return 1;
    } catch (IllegalArgumentException e) {
      System.err.println("raftkv bench: " + e.getMessage());
      return 2;
    }
    progress.print(report.table());
    if (jsonToStdout) {
      System.out.println(report.toJson());
    } else if (json != null) {
      report.writeJson(Path.of(json));
      progress.println("report written to " + json);
    }
    long violations = report.guaranteeViolations();
    if (violations > 0) {
      System.err.println("raftkv bench: " + violations + " operations broke a guarantee of "
          + "their level (see the table)");
      return 3;
    }
    return 0;
  }
}
