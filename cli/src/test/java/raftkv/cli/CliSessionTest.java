package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.MiniCluster;

/**
 * Sessions across separate CLI invocations (each its own client): the token one command
 * prints gives the next, pinned to a learner, read-your-writes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliSessionTest {
  @TempDir static Path dir;
  static MiniCluster cluster;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, 1, dir, UnaryOperator.identity());
    cluster.awaitLeader();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void aSessionWriteThenASessionReadPinnedToALearnerReturnsTheWrite() {
    String learner = cluster.grpcAddress(cluster.learners().get(0));
    for (int i = 0; i < 20; i++) {
      CliRun put = CliRun.raftkv("put", "--endpoints", cluster.endpoints(), "--json", "post", "hello-" + i);
      assertThat(put.exitCode()).as(put.toString()).isZero();
      String token = put.json().get("token").asText();
      assertThat(token).startsWith("rkv1.");

      CliRun get = CliRun.raftkv("get", "--endpoints", learner, "--consistency", "session",
          "--token", token, "--lag-policy", "wait", "--wait-budget", "5s", "--json", "post");
      assertThat(get.exitCode()).as(get.toString()).isZero();
      assertThat(get.json().get("value").asText()).isEqualTo("hello-" + i);
      assertThat(get.json().get("servedBy").asText()).isEqualTo("l1");
      assertThat(get.json().get("appliedIndex").asLong())
          .isGreaterThanOrEqualTo(put.json().get("index").asLong());
      assertThat(get.json().get("token").asText()).isGreaterThanOrEqualTo(token);
    }
  }

  @Test
  void putWithATokenContinuesThatSessionAndTheTokenNeverGoesBackwards() {
    CliRun first = CliRun.raftkv("put", "--endpoints", cluster.endpoints(), "--json", "a", "1");
    String token = first.json().get("token").asText();
    CliRun second = CliRun.raftkv("put", "--endpoints", cluster.endpoints(), "--json",
        "--token", token, "b", "2");
    assertThat(second.json().get("token").asText()).isGreaterThan(token);
  }

  @Test
  void aMalformedTokenOrUnknownLevelIsRefusedNamingTheProblem() {
    CliRun badToken = CliRun.raftkv("get", "--endpoints", cluster.endpoints(), "--token", "nope",
        "--consistency", "session", "k");
    assertThat(badToken.exitCode()).isNotZero();
    assertThat(badToken.err()).contains("malformed session token");
    CliRun badLevel = CliRun.raftkv("get", "--endpoints", cluster.endpoints(), "--consistency",
        "bounded:soon", "k");
    assertThat(badLevel.exitCode()).isEqualTo(2);
    assertThat(badLevel.err()).contains("bounded:<ms>");
  }
}
