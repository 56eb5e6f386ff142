package raftkv.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * How a command line that does not parse is reported: what is wrong, the closest verb or option
 * when a name was mistyped ({@link Suggestions}), and where the help is, on stderr; exit status
 * 2. The full usage only when a verb is missing, where the list of verbs is the answer; else it
 * would bury the one line that matters. Stateless.
 */
final class UsageErrors implements IParameterExceptionHandler {
  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    CommandSpec spec = command.getCommandSpec();
    PrintWriter err = command.getErr();
    String name = spec.qualifiedName();
    if (e instanceof UnmatchedArgumentException u && isUnknownVerb(u, spec)) {
      String typed = u.getUnmatched().get(0);
      List<String> verbs = command.getSubcommands().values().stream()
          .filter(c -> !c.getCommandSpec().usageMessage().hidden())
          .map(CommandLine::getCommandName).toList();
      err.println(name + ": '" + typed + "' is not a " + name + " command." + didYouMean(
          Suggestions.closest(typed, verbs), name + " "));
    } else if (e instanceof UnmatchedArgumentException u && u.isUnknownOption()) {
      String typed = u.getUnmatched().get(0);
      String option = typed.contains("=") ? typed.substring(0, typed.indexOf('=')) : typed;
      List<String> options = spec.options().stream().filter(o -> !o.hidden())
          .flatMap(o -> Arrays.stream(o.names())).filter(n -> n.startsWith("--"))
          .toList();
      err.println(name + ": unknown option '" + option + "'."
          + didYouMean(Suggestions.closest(option, options), ""));
    } else {
      err.println(name + ": " + e.getMessage());
    }
    if (e.getMessage() != null && e.getMessage().startsWith("Missing required subcommand")) {
      command.usage(err);
    } else {
      err.println("See '" + name + " --help'.");
    }
    err.flush();
    return spec.exitCodeOnInvalidInput();
  }

  /** An argument where a command with verbs and no positional parameters expects a verb. */
  private static boolean isUnknownVerb(UnmatchedArgumentException e, CommandSpec spec) {
    return !e.isUnknownOption() && !spec.subcommands().isEmpty()
        && spec.positionalParameters().isEmpty() && !e.getUnmatched().isEmpty();
  }

  private static String didYouMean(List<String> names, String prefix) {
    if (names.isEmpty()) {
      return "";
    }
    return " Did you mean " + String.join(" or ", names.stream()
        .map(n -> "'" + prefix + n + "'").toList()) + "?";
  }
}
