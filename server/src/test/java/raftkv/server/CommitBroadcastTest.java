package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.Session;
import raftkv.testkit.MiniCluster;
import raftkv.v1.GetResponse;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutResponse;

/**
 * A replica learns that a write committed right after the leader applied it, not at the
 * next heartbeat: with heartbeats 1.5 s apart, a session read of each write on a learner,
 * allowed to wait 600 ms, is served there every time. Without the leader's commit broadcast,
 * each such read finds the learner holding the entry but not knowing it committed, and
 * succeeds only when a heartbeat happens to fall within its budget (about 2 in 5).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CommitBroadcastTest {
  private static final int WRITES = 8;

  @TempDir static Path dir;
  static MiniCluster cluster;

  @BeforeAll
  static void start() {
    // 3 s election timeout / 2 = a heartbeat every 1.5 s.
    cluster = MiniCluster.start(3, 1, dir,
        config -> config.withElectionTimeoutMs(3000).withHeartbeatFactor(2));
    cluster.awaitLeader();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyWriteIsReadableOnTheLearnerWellBeforeTheNextHeartbeat() {
    try (KvClient writer = KvClient.builder().endpoints(cluster.endpoints())
             .defaultDeadline(Duration.ofSeconds(10)).build();
         KvClient learner = KvClient.builder().endpoints(cluster.grpcAddress("l1"))
             .lagPolicy(LagPolicy.WAIT).waitBudget(Duration.ofMillis(600))
             .defaultDeadline(Duration.ofSeconds(10)).build()) {
      Session writing = writer.newSession();
      for (int i = 0; i < WRITES; i++) {
        PutResponse put = writing.blocking().put("k", "v" + i);
        Session reading = learner.session(writing.token());
        GetResponse read;
        try {
          read = reading.blocking().get("k");
        } catch (KvException lagging) {
          throw new AssertionError("write " + i + " at index " + put.getIndex()
              + " was not readable on l1 within the 600 ms wait budget", lagging);
        }
        assertThat(read.getMeta().getServedBy()).isEqualTo("l1");
        assertThat(read.getKv().getValue().toStringUtf8()).isEqualTo("v" + i);
      }
    }
  }
}
