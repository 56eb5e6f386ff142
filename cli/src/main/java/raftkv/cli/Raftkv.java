package raftkv.cli;

import java.io.File;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code raftkv} command. Each subcommand is one class in this package. Exit status: 0 done,
 * 1 failed, 2 usage error (a verb may document more, e.g. bench's 3).
 */
@Command(name = "raftkv", mixinStandardHelpOptions = true, version = "raftkv 0.1.0",
    description = "A Raft-replicated key-value store with linearizable writes.")
public final class Raftkv {
  /** The verbs, in the order --help lists them. */
  static final List<Class<?>> VERBS = List.of(ServerCommand.class, ClusterCommand.class,
      PutCommand.class, GetCommand.class, DeleteCommand.class, RangeCommand.class,
      TxnCommand.class, WatchCommand.class, LeaseCommand.class, StatusCommand.class, BenchCommand.class, DemoCommand.class,
      ChaosCommand.class, AdminCommand.class);

  // Read by Failures through the parse result, wherever on the line it was given.
  @Option(names = Failures.VERBOSE, scope = ScopeType.INHERIT,
      description = "On a failure, also print the stack trace.")
  boolean verbose;

  public static void main(String[] args) {
    // Initialise logging before any thread logs: SLF4J otherwise queues early calls from
    // several threads and prints a warning about replaying them.
    org.slf4j.LoggerFactory.getILoggerFactory();
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (tests call this in-process). */
  public static int run(String... args) {
    return run(System.getenv(), args);
  }

  /** {@link #run(String...)} in the given environment ({@link EnvironmentDefaults}). */
  static int run(Map<String, String> environment, String... args) {
    // Handlers and defaults reach the subcommands present when they are set: verbs first.
    CommandLine cli = commandLine(args)
        .setParameterExceptionHandler(new UsageErrors())
        .setExecutionExceptionHandler(new Failures())
        .setDefaultValueProvider(new EnvironmentDefaults(environment));
    java.util.Optional<File> config = configFile(args);
    if (config.isPresent()) {
      CommandLine server = cli.getSubcommands().get("server");
      try {
        server.setDefaultValueProvider(
            ServerConfigFile.load(config.get().toPath(), server.getCommandSpec()));
      } catch (IllegalArgumentException e) {
        System.err.println("raftkv server: invalid configuration: " + e.getMessage());
        return 2;
      }
    }
    return cli.execute(args);
  }

  /**
   * The command line with only the verb {@code args} name, when they name one:
   * picocli reads every option of every verb it is given by reflection, a fifth of a second
   * or so of a short verb's start. Everything else ({@code --help}, no verb, an unknown one)
   * gets all verbs, so that usage and "did you mean" list them all.
   */
  static CommandLine commandLine(String... args) {
    CommandLine cli = new CommandLine(new Raftkv());
    String first = verb(args);
    List<Class<?>> named = VERBS.stream().filter(verb -> names(verb).contains(first)).toList();
    for (Class<?> verb : named.isEmpty() ? VERBS : named) {
      cli.addSubcommand(verb);
    }
    return cli;
  }

  /**
   * The verb {@code args} name: the first word that is not an option ({@code --verbose} may
   * come before it; no option of the root command takes a value), or "" if none.
   */
  private static String verb(String[] args) {
    return java.util.Arrays.stream(args).filter(arg -> !arg.startsWith("-")).findFirst()
        .orElse("");
  }

  private static List<String> names(Class<?> verb) {
    Command command = verb.getAnnotation(Command.class);
    List<String> names = new java.util.ArrayList<>(List.of(command.aliases()));
    names.add(command.name());
    return names;
  }

  /**
   * {@code raftkv server --config FILE}: the file's keys are the long option names without
   * dashes and act as defaults, so flags given on the command line win.
   */
  private static java.util.Optional<File> configFile(String[] args) {
    if (!verb(args).equals("server")) {
      return java.util.Optional.empty();
    }
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return java.util.Optional.of(new File(args[i + 1]));
      }
      if (args[i].startsWith("--config=")) {
        return java.util.Optional.of(new File(args[i].substring("--config=".length())));
      }
    }
    return java.util.Optional.empty();
  }
}
