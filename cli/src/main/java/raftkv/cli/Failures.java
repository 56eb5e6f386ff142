package raftkv.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;
import raftkv.client.KvException;

/**
 * How a verb that failed is reported: one line on stderr, {@code raftkv: <what went wrong>},
 * and exit status 2 for a bad argument ({@link IllegalArgumentException}), 1 for anything else.
 * The stack trace only with {@code --verbose}: it helps whoever debugs raftkv, not whoever
 * mistyped a directory. An exception of a kind no verb throws on purpose (a bug) adds a line
 * saying how to see the trace. Stateless.
 */
final class Failures implements IExecutionExceptionHandler {
  static final String VERBOSE = "--verbose";

  @Override
  public int handleExecutionException(Exception e, CommandLine command, ParseResult parsed) {
    Throwable failure = unwrap(e);
    PrintWriter err = command.getErr();
    err.println("raftkv: " + describe(failure));
    if (verbose(parsed)) {
      e.printStackTrace(err);
    } else if (!expected(failure)) {
      err.println("(run it again with " + VERBOSE + " for the stack trace)");
    }
    err.flush();
    return failure instanceof IllegalArgumentException ? 2 : 1;
  }

  /**
   * The message a user acts on: a verb's own failure says what went wrong in its message; a
   * bug is named by its class too.
   */
  static String describe(Throwable failure) {
    if (!expected(failure) || failure.getMessage() == null) {
      return failure.toString();
    }
    return failure.getMessage();
  }

  /** Failures the verbs raise to tell the user something, as opposed to bugs. */
  private static boolean expected(Throwable failure) {
    return failure instanceof KvException || failure instanceof IllegalArgumentException
        || failure instanceof IllegalStateException || failure instanceof UncheckedIOException
        || failure instanceof IOException;
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Whether --verbose was given, on raftkv or on any verb below it. */
  static boolean verbose(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption(VERBOSE)) {
        return true;
      }
    }
    return false;
  }
}
