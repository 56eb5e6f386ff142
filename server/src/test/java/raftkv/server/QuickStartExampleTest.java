package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.client.example.QuickStartExample;
import raftkv.testkit.MiniCluster;

/**
 * The quick start of docs/java-client.md (client/src/test/.../example/QuickStartExample.java)
 * works as a user would run it: its own JVM, against a three-node cluster, without any logging
 * library, as an application that just added raftkv-client; it prints its lines and nothing
 * else (no SLF4J warnings).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class QuickStartExampleTest extends ClusterPerTest {
  /**
   * Logging libraries: a program that added only the client has none. (With slf4j-api and no
   * provider, Netty inside grpc-netty-shaded would print SLF4J's "No providers" warning
   * whatever the client does; the client must not be what brings slf4j-api.)
   */
  private static final List<String> LOGGING = List.of("logback-", "slf4j-", "log4j-");

  @Test
  void theQuickStartRunsAndPrintsNothingButItsOwnLines() throws Exception {
    cluster = MiniCluster.start(3, dir);
    cluster.awaitLeader();
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");

    Process example = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", classPathWithoutLogging(),
        QuickStartExample.class.getName(), cluster.endpoints())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      assertThat(example.waitFor(60, TimeUnit.SECONDS)).as("example finished").isTrue();
    } finally {
      example.destroyForcibly();
    }

    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertThat(stderr).as("stderr (no SLF4J warnings, no failures)").isEmpty();
    assertThat(example.exitValue()).isZero();
    assertThat(Files.readAllLines(out, StandardCharsets.UTF_8)).containsExactly(
        "greeting = hello",
        "in the session: hello",
        "async: hello",
        "after delete: (not found)");
  }

  /**
   * This JVM's test class path less every logging library: were the client to need one, the
   * example would fail with NoClassDefFoundError on stderr.
   */
  private static String classPathWithoutLogging() {
    String full = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    return Arrays.stream(full.split(File.pathSeparator))
        .filter(entry -> LOGGING.stream().noneMatch(p -> Path.of(entry).getFileName()
            .toString().startsWith(p)))
        .collect(Collectors.joining(File.pathSeparator));
  }
}
