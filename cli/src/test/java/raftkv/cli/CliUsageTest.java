package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.cli.CliRun.raftkv;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * What a user meets before any cluster is involved: a mistyped verb or option gets the nearest
 * name, a duration without a unit is refused naming the accepted forms, a failure prints one
 * line and the stack trace only with --verbose, and every option's help says what it does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliUsageTest {
  @TempDir Path dir;

  @Test
  void aMistypedVerbSuggestsTheNearestVerbAndExitsTwo() {
    CliRun verb = raftkv("gte", "color");
    CliRun nested = raftkv("cluster", "strat", "--dir", dir.toString());
    CliRun farOff = raftkv("xyzzy");

    assertThat(verb.exitCode()).as(verb.toString()).isEqualTo(2);
    assertThat(verb.err()).contains("'gte' is not a raftkv command. Did you mean 'raftkv get'?")
        .doesNotContain("delete").doesNotContain("Usage:");
    assertThat(nested.exitCode()).as(nested.toString()).isEqualTo(2);
    assertThat(nested.err()).contains("Did you mean 'raftkv cluster start'?");
    assertThat(farOff.exitCode()).as(farOff.toString()).isEqualTo(2);
    assertThat(farOff.err()).contains("'xyzzy' is not a raftkv command.")
        .doesNotContain("Did you mean").contains("See 'raftkv --help'.");
  }

  @Test
  void aMistypedOptionSuggestsTheNearestOption() {
    CliRun r = raftkv("get", "--endpoitns", "127.0.0.1:1", "color");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("unknown option '--endpoitns'. Did you mean '--endpoints'?")
        .contains("See 'raftkv get --help'.");
  }

  @Test
  void aVerbMissingItsSubcommandListsTheSubcommands() {
    CliRun r = raftkv("cluster");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required subcommand").contains("restart-node");
  }

  /** Bug: --timeout 10 was a 10 ms deadline; every duration option now needs a unit. */
  @Test
  void aDurationWithoutAUnitIsRefusedNamingTheAcceptedFormsOnEveryDurationOption() {
    List<CliRun> refused = List.of(
        raftkv("get", "--endpoints", "127.0.0.1:1", "--timeout", "10", "color"),
        raftkv("get", "--endpoints", "127.0.0.1:1", "--wait-budget", "500", "color"),
        raftkv("bench", "--endpoints", "127.0.0.1:1", "--duration", "5"),
        raftkv("bench", "--endpoints", "127.0.0.1:1", "--max-staleness", "500"),
        raftkv("chaos", "--fault-hold", "3"));

    for (CliRun r : refused) {
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
      assertThat(r.err()).as(r.toString()).contains("is not a duration (no unit)")
          .contains("ms, s, m or h: 500ms, 10s, 2m");
      assertThat(r.out()).as("nothing ran").isEmpty();
    }
    assertThat(refused.get(0).err())
        .contains("Invalid value for option '--timeout': '10' is not a duration");
  }

  @Test
  void aDurationIsAWholeNumberWithAUnit() {
    DurationConverter durations = new DurationConverter();

    assertThat(durations.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(durations.convert("10s")).isEqualTo(Duration.ofSeconds(10));
    assertThat(durations.convert(" 2M ")).isEqualTo(Duration.ofMinutes(2));
    assertThat(durations.convert("1h")).isEqualTo(Duration.ofHours(1));
    for (String bad : List.of("10", "-5s", "1.5s", "10 sec", "", "s")) {
      assertThatThrownBy(() -> durations.convert(bad)).as("'%s'", bad)
          .isInstanceOf(TypeConversionException.class).hasMessageContaining("500ms, 10s, 2m");
    }
  }

  /** Bug: get --cluster /missing printed a good message, then 30 lines of stack trace. */
  @Test
  void aUserErrorPrintsOneLineAndTheStackTraceOnlyWithVerbose() {
    String missing = dir.resolve("missing").toString();

    CliRun plain = raftkv("get", "--cluster", missing, "color");
    CliRun verbose = raftkv("get", "--cluster", missing, "--verbose", "color");
    CliRun verboseFirst = raftkv("--verbose", "get", "--cluster", missing, "color");

    assertThat(plain.exitCode()).as(plain.toString()).isEqualTo(1);
    assertThat(plain.err().lines().toList()).as(plain.toString()).containsExactly(
        "raftkv: no cluster in " + missing + ": " + missing + "/cluster.json does not exist "
            + "(was 'raftkv cluster start --dir " + missing + "' run?)");
    for (CliRun r : List.of(verbose, verboseFirst)) {
      assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
      assertThat(r.err()).as(r.toString()).startsWith(plain.err())
          .contains("java.io.UncheckedIOException").contains("at raftkv.cli.ClusterFile.read");
    }
  }

  @Test
  void theEnvironmentIsReadWhenNoFlagSaysWhereTheClusterIs() {
    String missing = dir.resolve("from-env").toString();

    CliRun fromEnv = CliRun.withEnv(Map.of(EnvironmentDefaults.CLUSTER, missing), "get", "color");
    CliRun nothing = raftkv("get", "color");

    assertThat(fromEnv.exitCode()).as(fromEnv.toString()).isEqualTo(1);
    assertThat(fromEnv.err()).contains("no cluster in " + missing);
    assertThat(nothing.exitCode()).as(nothing.toString()).isEqualTo(2);
    assertThat(nothing.err()).contains("--endpoints HOST:PORT,... or --cluster DIR")
        .contains("RAFTKV_ENDPOINTS").contains("RAFTKV_CLUSTER");
  }

  @Test
  void dataVerbHelpDocumentsTheEnvironmentTheDurationFormatAndExamples() {
    for (String verb : List.of("put", "get", "delete", "range", "txn")) {
      CliRun help = raftkv(verb, "--help");

      assertThat(help.exitCode()).as(help.toString()).isZero();
      String text = help.out().replaceAll("\\s+", " ");
      assertThat(text).as(verb).contains("$RAFTKV_ENDPOINTS").contains("$RAFTKV_CLUSTER")
          .contains("ms, s, m or h: 500ms, 10s, 2m").contains("Examples:")
          .contains("raftkv " + verb + " ");
    }
  }

  /** Bug: bench --help described --timeout as the whole command's deadline and as each op's. */
  @Test
  void benchHelpDescribesTimeoutOnce() {
    CliRun help = raftkv("bench", "--help");

    assertThat(help.exitCode()).as(help.toString()).isZero();
    assertThat(help.out()).contains("Deadline of each request to the cluster")
        .doesNotContain("whole command").doesNotContain("--timeout is");
  }

  @Test
  void everyOptionAndParameterOfEveryVerbSaysWhatItDoes() {
    List<String> undocumented = new ArrayList<>();
    collectUndocumented(Raftkv.commandLine(), undocumented);

    assertThat(undocumented).isEmpty();
  }

  private static void collectUndocumented(CommandLine command, List<String> undocumented) {
    for (ArgSpec arg : command.getCommandSpec().args()) {
      boolean described = !String.join("", arg.description()).isBlank();
      if (!arg.hidden() && !described) {
        undocumented.add(command.getCommandSpec().qualifiedName() + " "
            + (arg instanceof OptionSpec o ? o.longestName() : arg.paramLabel()));
      }
    }
    command.getSubcommands().values().stream().distinct()
        .forEach(sub -> collectUndocumented(sub, undocumented));
  }
}
