package raftkv.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code raftkv server --config FILE}: a properties file whose keys are the server's long
 * option names without the leading dashes. Its values act as defaults, so flags on the
 * command line win. Every key must name an option: a misspelt key would otherwise be
 * ignored and the node would start with the default the operator meant to change.
 *
 * <p>Immutable once loaded; not thread-safe to load.
 */
final class ServerConfigFile {
  private ServerConfigFile() {}

  /**
   * Reads {@code file} and checks its keys against {@code server}'s options.
   *
   * @throws IllegalArgumentException naming the file and the problem: unreadable, or a key
   *     that is not an option (with the keys that are)
   */
  static CommandLine.IDefaultValueProvider load(Path file, CommandSpec server) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file)) {
      properties.load(reader);
    } catch (IOException e) {
      throw new IllegalArgumentException("config file " + file + " cannot be read ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    }
    Set<String> keys = new TreeSet<>();
    for (OptionSpec option : server.options()) {
      String name = option.longestName();
      if (name.startsWith("--") && !option.usageHelp() && !option.versionHelp()
          && !name.equals("--config")) {
        keys.add(name.substring(2));
      }
    }
    for (String key : new TreeSet<>(properties.stringPropertyNames())) {
      if (!keys.contains(key)) {
        throw new IllegalArgumentException("config file " + file + ": unknown key '" + key
            + "'; keys are the server's long option names without dashes: " + keys);
      }
    }
    return new CommandLine.PropertiesDefaultProvider(properties);
  }
}
