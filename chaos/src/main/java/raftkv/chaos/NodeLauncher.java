package raftkv.chaos;

import java.util.List;

/**
 * How to start one node process: the java binary, the JVM options every node gets, and the
 * main class with the arguments that make it a server ({@code raftkv.cli.Raftkv server}). The
 * chaos run appends the per-node JVM options and server options. Immutable.
 *
 * @param java path of the java executable
 * @param jvmOptions options before the main class (heap, GC, classpath)
 * @param mainAndCommand the main class and the words that select the server command
 */
public record NodeLauncher(String java, List<String> jvmOptions, List<String> mainAndCommand) {
  public NodeLauncher {
    jvmOptions = List.copyOf(jvmOptions);
    mainAndCommand = List.copyOf(mainAndCommand);
  }
}
