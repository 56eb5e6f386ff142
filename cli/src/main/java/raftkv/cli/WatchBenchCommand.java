package raftkv.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.bench.WatchBench;
import raftkv.bench.WatchBenchOptions;
import raftkv.bench.WatchBenchReport;
import raftkv.client.KvClient;
import raftkv.client.KvException;

/** {@code raftkv bench watch}: watch delivery under writes; the run is {@link WatchBench}. */
@Command(name = "watch", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Open --watchers watch streams on one prefix (routed as the client routes "
        + "watches: learners first) and put keys under it; report events delivered per second, "
        + "the delay from each put's acknowledgement to its event at every watcher, and the "
        + "CPU the nodes and this tool spent per event.",
        "Durations are " + DurationConverter.FORMS},
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv bench watch --cluster /tmp/kv --watchers 1000 --rate 200",
        "  raftkv bench watch --cluster /tmp/kv --watchers 100 --writers 16 --json watch.json"})
final class WatchBenchCommand implements Callable<Integer> {
  @Mixin Connection connection;

  @Option(names = "--watchers", defaultValue = "1000",
      description = "Watch streams on the prefix (default ${DEFAULT-VALUE}).")
  int watchers;

  @Option(names = "--writers", defaultValue = "8",
      description = "Puts in flight at once (default ${DEFAULT-VALUE}).")
  int writers;

  @Option(names = "--rate", defaultValue = "0",
      description = "Puts per second, paced; 0 = as fast as --writers allow (default).")
  int rate;

  @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "Measured time (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "Writes before measuring (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--keys", defaultValue = "1000",
      description = "Distinct keys written under the prefix (default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--value-size", defaultValue = "100",
      description = "Bytes per value (default ${DEFAULT-VALUE}).")
  int valueSize;

  @Option(names = "--prefix", defaultValue = "watchbench/",
      description = "The watched prefix (default ${DEFAULT-VALUE}).")
  String prefix;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Also write the report as JSON to FILE (- = stdout; the table then goes "
          + "to stderr).")
  String json;

  @Override
  public Integer call() throws Exception {
    WatchBenchOptions options;
    try {
      options = new WatchBenchOptions(watchers, writers, rate, duration, warmup, keys, valueSize,
          prefix);
    } catch (IllegalArgumentException e) {
      System.err.println("raftkv bench watch: " + e.getMessage());
      return 2;
    }
    boolean jsonToStdout = "-".equals(json);
    PrintStream progress = jsonToStdout ? System.err : System.out;
    WatchBenchReport report;
    try (KvClient client = connection.connect()) {
      report = WatchBench.run(client, options, progress::println);
    } catch (KvException | IllegalStateException e) {
      System.err.println("raftkv bench watch: " + e.getMessage());
      return 1;
    }
    progress.print(report.table());
    if (jsonToStdout) {
      System.out.println(report.toJson());
    } else if (json != null) {
      report.writeJson(Path.of(json));
      progress.println("report written to " + json);
    }
    return report.streamsBehind() > 0 ? 3 : 0;
  }
}
