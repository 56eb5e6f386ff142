package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.client.Session;
import raftkv.testkit.MiniCluster;
import raftkv.token.SessionToken;
import raftkv.v1.GetResponse;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutResponse;

/** Session guarantees through the Java client on 3 voters + 2 learners. */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SessionScenariosTest {
  @TempDir static Path dir;
  static MiniCluster cluster;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, 2, dir, UnaryOperator.identity());
    cluster.awaitLeader();
  }

  @AfterEach
  void release() {
    cluster.learners().forEach(l -> cluster.node(l).node().resumeApply());
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void aTokenHandedToAnotherClientInstanceGivesItReadYourWrites() {
    try (KvClient writer = client(cluster.endpoints());
         KvClient reader = client(cluster.grpcAddress("l1"))) {
      Session writing = writer.newSession();
      cluster.node("l1").node().holdApply();
      writing.blocking().put("profile", "updated");

      // Another process would get the token as text, e.g. in a request header.
      Session reading = reader.session(writing.token());
      java.util.concurrent.CompletableFuture<GetResponse> read = reading.async().get("profile");
      assertThat(read).as("waits while l1 is behind the token").isNotDone();
      cluster.node("l1").node().resumeApply();
      GetResponse got = read.join();

      assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("updated");
      assertThat(got.getMeta().getServedBy()).isEqualTo("l1");
      assertThat(SessionToken.parse(reading.token()).index())
          .isGreaterThanOrEqualTo(SessionToken.parse(writing.token()).index());
    }
  }

  @Test
  void aSessionReadingFromTwoLearnersAtDifferentLagsNeverSeesItsIndexGoBackwards() {
    try (KvClient writer = client(cluster.endpoints());
         KvClient onL1 = client(cluster.grpcAddress("l1"));
         KvClient onL2 = client(cluster.grpcAddress("l2"))) {
      writer.blocking().put("m", "0");
      awaitLearnersAt(writer.blocking().put("m", "1").getIndex());
      cluster.node("l2").node().holdApply();
      String token = "";
      long lastSeen = 0;
      for (int i = 2; i < 12; i++) {
        PutResponse put = writer.blocking().put("m", Integer.toString(i));
        await().atMost(Duration.ofSeconds(10))
            .until(() -> cluster.node("l1").node().appliedIndex() >= put.getIndex());
        // Alternate between the fresh learner and the held one, carrying the token.
        KvClient replica = i % 2 == 0 ? onL1 : onL2;
        Session session = token.isEmpty() ? replica.newSession() : replica.session(token);
        java.util.concurrent.CompletableFuture<GetResponse> read = session.async().get("m");
        if (i == 3) {
          assertThat(read).as("held l2 must wait for the session's index").isNotDone();
          cluster.node("l2").node().resumeApply();
        }
        GetResponse got = read.join();
        assertThat(got.getMeta().getAppliedIndex()).as("read %d", i).isGreaterThanOrEqualTo(lastSeen);
        assertThat(Long.parseLong(got.getKv().getValue().toStringUtf8())).isGreaterThanOrEqualTo(
            i % 2 == 0 ? i : 0);
        lastSeen = got.getMeta().getAppliedIndex();
        token = session.token();
      }
    }
  }

  @Test
  void fallbackMovesALaggingReadToAnotherReplicaOrTheLeaderAndFailSaysWhy() {
    try (KvClient writer = client(cluster.endpoints());
         KvClient fallback = KvClient.builder().endpoints(cluster.endpoints())
             .lagPolicy(LagPolicy.FALLBACK).waitBudget(Duration.ofMillis(100)).build();
         KvClient failing = KvClient.builder().endpoints(List.of(cluster.grpcAddress("l1")))
             .lagPolicy(LagPolicy.FAIL).build()) {
      awaitLearnersAt(writer.blocking().put("f", "0").getIndex());
      cluster.learners().forEach(l -> cluster.node(l).node().holdApply());
      Session session = writer.newSession();
      session.blocking().put("f", "1");

      GetResponse got = fallback.session(session.token()).blocking().get("f");
      assertThat(got.getKv().getValue().toStringUtf8()).isEqualTo("1");
      assertThat(got.getMeta().getServedBy()).isNotIn("l1", "l2");

      raftkv.client.KvException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
          raftkv.client.KvException.class,
          () -> failing.session(session.token()).blocking().get("f"));
      assertThat(refused.code()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION);
      assertThat(refused.replicaLagging()).hasValueSatisfying(lag -> {
        assertThat(lag.getNodeId()).isEqualTo("l1");
        assertThat(lag.getNeededIndex()).isEqualTo(SessionToken.parse(session.token()).index());
        assertThat(lag.getAppliedIndex()).isLessThan(lag.getNeededIndex());
      });
    }
  }

  static KvClient client(String endpoints) {
    return KvClient.builder().endpoints(endpoints).waitBudget(Duration.ofSeconds(10))
        .lagPolicy(LagPolicy.WAIT).defaultDeadline(Duration.ofSeconds(30)).build();
  }

  static void awaitLearnersAt(long index) {
    await("learners at " + index).atMost(Duration.ofSeconds(20)).until(() -> cluster.learners()
        .stream().allMatch(l -> cluster.node(l).node().appliedIndex() >= index));
  }
}
