package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.client.Session;
import raftkv.v1.GetResponse;
import raftkv.v1.LagPolicy;

/**
 * A learner process frozen with SIGSTOP while a session writes, then thawed with SIGCONT:
 * session reads pinned to it still return every write the session made.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProcessLearnerSessionTest {
  @TempDir Path dir;
  long stoppedPid;

  @AfterEach
  void stopCluster() throws Exception {
    if (stoppedPid != 0) {
      signal("CONT", stoppedPid);
    }
    Raftkv.run("cluster", "stop", "--dir", dir.toString());
  }

  @Test
  void sessionReadsPinnedToALearnerThatWasStoppedReturnEveryWriteOfTheSession() throws Exception {
    assertThat(Raftkv.run("cluster", "start", "--dir", dir.toString(), "--voters", "3",
        "--learners", "2")).isZero();
    ClusterFile cluster = ClusterFile.read(dir);
    ClusterFile.Node learner = cluster.node("l1");
    Map<String, String> written = new LinkedHashMap<>();

    try (KvClient writer = KvClient.builder().endpoints(cluster.grpcAddresses())
             .defaultDeadline(Duration.ofSeconds(30)).build();
         KvClient pinned = KvClient.builder().endpoints(List.of(learner.grpcAddress()))
             .lagPolicy(LagPolicy.WAIT).waitBudget(Duration.ofSeconds(30))
             .defaultDeadline(Duration.ofSeconds(60)).build()) {
      Session session = writer.newSession();
      for (int i = 0; i < 20; i++) {
        session.blocking().put("k" + i, "before-" + i);
        written.put("k" + i, "before-" + i);
      }
      stoppedPid = learner.pid();
      signal("STOP", stoppedPid);
      for (int i = 10; i < 40; i++) {
        session.blocking().put("k" + i, "during-" + i);
        written.put("k" + i, "during-" + i);
      }
      CompletableFuture<GetResponse> waiting = pinned.session(session.token()).async().get("k39");
      signal("CONT", stoppedPid);
      stoppedPid = 0;
      assertThat(waiting.join().getKv().getValue().toStringUtf8()).isEqualTo("during-39");

      Session reading = pinned.session(session.token());
      for (Map.Entry<String, String> w : written.entrySet()) {
        GetResponse got = reading.blocking().get(w.getKey());
        assertThat(got.getMeta().getServedBy()).isEqualTo("l1");
        assertThat(got.getKv().getValue().toStringUtf8()).as(w.getKey()).isEqualTo(w.getValue());
      }
    }
  }

  static void signal(String signal, long pid) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -%s %d", signal, pid).isZero();
  }
}
