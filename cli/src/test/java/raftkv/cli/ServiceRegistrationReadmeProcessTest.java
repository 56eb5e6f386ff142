package raftkv.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's service-registration example, run as written: its shell block, taken from the
 * README, runs in bash with every {@code bin/raftkv} a separate JVM of this build's CLI and
 * {@code /tmp/reg} a temporary directory. A cluster of node processes with a learner, a lease,
 * a watcher on the learner, a keep-alive process that is killed: the watcher must print the
 * key's PUT and then its DELETE, and exit 0.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ServiceRegistrationReadmeProcessTest {
  private static final Pattern BLOCK = Pattern.compile(
      "<!-- service-registration:begin -->\\s*```sh\\n(.*?)```\\s*<!-- service-registration:end -->",
      Pattern.DOTALL);

  @TempDir Path dir;
  private Process script;

  @AfterEach
  void stopEverything() {
    if (script != null) {
      script.descendants().forEach(ProcessHandle::destroyForcibly);
      script.destroyForcibly();
    }
    Raftkv.run("cluster", "stop", "--dir", dir.resolve("reg").toString());
  }

  @Test
  void theExampleRunsAsWrittenAndTheWatcherOnTheLearnerSeesTheKeyComeAndGo() throws Exception {
    // Surefire runs in the module's directory.
    Matcher block = BLOCK.matcher(Files.readString(Path.of("../README.md")));
    assertThat(block.find()).as("the README has the service-registration block").isTrue();
    String commands = block.group(1).replace("bin/raftkv", raftkvLauncher().toString())
        .replace("/tmp/reg", dir.resolve("reg").toString());
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");

    script = new ProcessBuilder("bash", "-euo", "pipefail", "-c", commands)
        .redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    boolean finished = script.waitFor(240, TimeUnit.SECONDS);

    String printed = Files.readString(out, UTF_8);
    String report = "--- stdout ---\n" + printed + "--- stderr ---\n" + Files.readString(err, UTF_8);
    assertThat(finished).as("the example finished within 240 s\n" + report).isTrue();
    assertThat(script.exitValue()).as(report).isZero();
    List<String> lines = printed.lines().toList();
    assertThat(lines).as(report)
        .anyMatch(l -> l.startsWith("cluster of 3 voters and 1 learner running in "))
        .contains("10.0.0.1:8080")
        .anyMatch(l -> l.matches("lease [0-9]+: TTL 10 s, [0-9.]+ s left; 1 key"))
        .contains("services/web-1");
    int put = indexOfMatch(lines, "PUT services/web-1 = 10\\.0\\.0\\.1:8080 \\(index [0-9]+\\)");
    int delete = indexOfMatch(lines, "DELETE services/web-1 \\(index [0-9]+\\)");
    assertThat(put).as(report).isNotNegative();
    assertThat(delete).as("the watcher printed the DELETE after the PUT\n" + report)
        .isGreaterThan(put);
    assertThat(lines.stream().filter(l -> l.startsWith("10.0.0.1:8080")).count())
        .as("the last get finds nothing\n" + report).isEqualTo(1);
  }

  private static int indexOfMatch(List<String> lines, String regex) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).matches(regex)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A stand-in for bin/raftkv: this build's CLI on this JVM's class path, with the options
   * bin/raftkv gives a short verb (a 256 MB heap at most) and the CLI's logging set-up.
   */
  private Path raftkvLauncher() throws IOException {
    StringBuilder command = new StringBuilder("#!/usr/bin/env bash\nexec '")
        .append(LocalCluster.javaBinary()).append("' -Xmx256m -XX:+UseSerialGC")
        .append(" -XX:TieredStopAtLevel=1")
        // The CLI's own logging set-up, as in its jar: the test class path has two
        // logback-test.xml files, and logback would report that on standard output.
        .append(" -Dlogback.configurationFile=")
        .append(Path.of("target/classes/logback.xml").toAbsolutePath());
    for (String option : LocalCluster.inheritedJvmOptions()) {
      command.append(" '").append(option.replace("'", "'\\''")).append('\'');
    }
    command.append(" raftkv.cli.Raftkv \"$@\"\n");
    Path launcher = dir.resolve("raftkv");
    Files.writeString(launcher, command);
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
    return launcher;
  }
}
