package raftkv.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;
import raftkv.bench.Report;

/**
 * The options every load run shares (how long it measures, its warm-up, where its JSON goes)
 * and how its report is printed. A picocli mixin; not thread-safe (one command's call).
 */
final class BenchRun {
  @Option(names = "--duration", defaultValue = "10s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "Measured time (default ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--warmup", defaultValue = "2s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "Unmeasured time first (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Also write the report as JSON to FILE ('-' = stdout; progress then goes "
          + "to stderr).")
  String json;

  /** Where progress and the table go: stderr when the JSON goes to stdout. */
  PrintStream progress() {
    return "-".equals(json) ? System.err : System.out;
  }

  /** Prints the table, then the JSON where {@code --json} asked for it. */
  void print(Report report) throws IOException {
    PrintStream progress = progress();
    progress.print(report.table());
    if ("-".equals(json)) {
      System.out.println(report.toJson());
    } else if (json != null) {
      report.writeJson(Path.of(json));
      progress.println("report written to " + json);
    }
  }
}
