package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;

/**
 * The node logs an operator reads, with the logback configuration nodes ship with: a voter
 * killed for a while costs the leader one line when it goes and one when it is back, with no
 * stack trace; {@code raftkv cluster stop} stops the leader last, so it never tries to hand
 * over to a node that is itself stopping (no ABORTED handover), and no node logs a stack trace.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class QuietLogsProcessTest {
  /**
   * Lines the surviving nodes may add in 10 s while the voter stays down: reminders come
   * every 5 minutes; the slack is for a leader change on a loaded machine.
   */
  private static final int MAX_LINES_WHILE_DOWN = 4;

  @TempDir Path dir;

  @AfterEach
  void stopCluster() {
    Raftkv.run("cluster", "stop", "--dir", dir.toString());
  }

  @Test
  void aVoterDownCostsTheLeaderALineEachWayAndClusterStopIsQuiet() throws Exception {
    // The test classpath carries logback-test.xml, which would win: point the nodes at the
    // configuration the product ships.
    assertThat(Raftkv.run("cluster", "start", "--dir", dir.toString(), "--voters", "3",
        "--jvm-options", LocalCluster.DEFAULT_JVM_OPTIONS + " -Dlogback.configurationFile="
            + shippedLogback())).isZero();
    ClusterFile cluster = ClusterFile.read(dir);
    ClusterFile.Node leader = leader(cluster);
    ClusterFile.Node victim = cluster.nodes().stream().filter(n -> !n.id().equals(leader.id()))
        .findFirst().orElseThrow();
    List<Path> survivors = cluster.nodes().stream().filter(n -> n != victim)
        .map(n -> Path.of(n.logFile())).toList();

    ProcessHandle.of(victim.pid()).orElseThrow().destroyForcibly();
    String unreachable = "peer " + victim.id() + " (voter at " + victim.raftAddress()
        + ") unreachable";
    // Whoever leads logs it (the leader may change on a loaded machine).
    await("the leader logs " + victim.id() + " unreachable").atMost(Duration.ofSeconds(60))
        .until(() -> count(survivors, unreachable) >= 1);
    long linesThen = lines(survivors);
    // Before quieting, ~1,100 lines a second.
    await("the others add at most " + MAX_LINES_WHILE_DOWN + " lines in all while "
        + victim.id() + " stays down").during(Duration.ofSeconds(10))
        .atMost(Duration.ofSeconds(20))
        .until(() -> lines(survivors) - linesThen <= MAX_LINES_WHILE_DOWN);

    assertThat(Raftkv.run("cluster", "restart-node", "--dir", dir.toString(), "--id",
        victim.id())).isZero();
    await("the leader logs " + victim.id() + " reachable again").atMost(Duration.ofSeconds(90))
        .until(() -> count(survivors, "peer " + victim.id() + " (voter at "
            + victim.raftAddress() + ") reachable again after") >= 1);
    assertThat(count(survivors, unreachable)).as("lines saying %s went down", victim.id())
        .isLessThanOrEqualTo(survivors.size());

    assertThat(Raftkv.run("cluster", "stop", "--dir", dir.toString())).isZero();
    for (ClusterFile.Node n : cluster.nodes()) {
      String log = read(Path.of(n.logFile()));
      assertThat(log).as(n.id() + "'s log").doesNotContain("ABORTED")
          .doesNotContain("without handing over");
      assertThat(log.lines().filter(l -> l.startsWith("\tat ") || l.startsWith("Caused by:")))
          .as("stack trace lines in %s's log", n.id()).isEmpty();
      assertThat(log).as(n.id() + "'s log").doesNotContain("Sofa-Middleware-Log");
    }
  }

  private static String shippedLogback() throws URISyntaxException {
    return Path.of(QuietNetworkFaults.class.getResource("/logback.xml").toURI()).toString();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long lines(List<Path> files) {
    return files.stream().mapToLong(f -> read(f).lines().count()).sum();
  }

  private static long count(List<Path> files, String text) {
    return files.stream().mapToLong(f -> read(f).lines().filter(l -> l.contains(text)).count())
        .sum();
  }

  private static ClusterFile.Node leader(ClusterFile cluster) {
    ClusterFile.Node[] found = new ClusterFile.Node[1];
    await("a leader").atMost(Duration.ofSeconds(30)).until(() -> {
      for (ClusterFile.Node n : cluster.nodes()) {
        Optional<StatusResponse> s = LocalCluster.status(n.grpcAddress(), Duration.ofSeconds(1));
        if (s.isPresent() && s.get().getRole() == Role.LEADER) {
          found[0] = n;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }
}
