package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static raftkv.cli.CliRun.raftkv;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.testkit.MiniCluster;
import raftkv.v1.Role;

/** {@code raftkv admin transfer-leader|promote|snapshot} against a 3-voter, 1-learner cluster. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliAdminVerbsTest {
  @TempDir Path dir;
  MiniCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void transferLeaderMovesLeadershipRefusesALearnerAndPromoteMakesTheLearnerAVoter() {
    cluster = MiniCluster.start(3, 1, dir, c -> c);
    String leader = cluster.awaitLeader();
    String target = cluster.followers().get(0);
    String learner = cluster.learners().get(0);

    CliRun refused = admin("transfer-leader", "--to", learner);
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(1);
    assertThat(refused.err()).contains("INVALID_ARGUMENT").contains(learner + " is a learner");

    CliRun moved = admin("transfer-leader", "--to", target, "--json");
    assertThat(moved.exitCode()).as(moved.toString()).isZero();
    assertThat(moved.json().get("leader").asText()).isEqualTo(target);
    assertThat(cluster.node(target).node().isLeader()).isTrue();
    assertThat(cluster.node(leader).node().isLeader()).isFalse();

    await("learner caught up").atMost(Duration.ofSeconds(30)).until(() ->
        cluster.node(learner).node().appliedIndex() >= cluster.node(target).node().appliedIndex());
    CliRun promoted = admin("promote", "--id", learner, "--json");
    assertThat(promoted.exitCode()).as(promoted.toString()).isZero();
    JsonNode voters = promoted.json().get("voters");
    assertThat(voters.findValuesAsText("id")).contains(learner).hasSize(4);
    assertThat(promoted.json().get("learners")).isEmpty();
    await("promoted node follows").atMost(Duration.ofSeconds(30)).until(() ->
        LocalCluster.status(cluster.grpcAddress(learner), Duration.ofSeconds(1))
            .map(s -> s.getRole() == Role.FOLLOWER).orElse(false));
  }

  @Test
  void learnersAndVotersAreAddedAndRemovedThroughTheLeaderWhicheverNodeIsNamedFirst() {
    cluster = MiniCluster.start(3, dir);
    cluster.awaitLeader();
    raftkv.server.PeerSpec learner = cluster.startNewLearner("l9", dir);
    raftkv.server.PeerSpec voter = cluster.startNewVoter("n9", dir);

    CliRun addedLearner = admin("add-learner", "--id", "l9", "--raft-address",
        learner.raftAddress(), "--grpc-address", learner.grpcAddress(), "--json");
    CliRun addedVoter = admin("add-voter", "--id", "n9", "--raft-address", voter.raftAddress(),
        "--grpc-address", voter.grpcAddress(), "--json");
    CliRun removedLearner = admin("remove-learner", "--id", "l9", "--json");
    CliRun removedVoter = admin("remove-voter", "--id", "n9");

    assertThat(addedLearner.exitCode()).as(addedLearner.toString()).isZero();
    assertThat(addedLearner.json().get("learners").findValuesAsText("id")).containsExactly("l9");
    assertThat(addedVoter.exitCode()).as(addedVoter.toString()).isZero();
    assertThat(addedVoter.json().get("voters").findValuesAsText("id")).contains("n9").hasSize(4);
    assertThat(removedLearner.exitCode()).as(removedLearner.toString()).isZero();
    assertThat(removedLearner.json().get("learners")).isEmpty();
    assertThat(removedVoter.exitCode()).as(removedVoter.toString()).isZero();
    assertThat(removedVoter.out()).startsWith("voters ").doesNotContain("n9");
  }

  @Test
  void snapshotTakesOneOnEveryNamedNode() {
    cluster = MiniCluster.start(3, dir);
    cluster.awaitLeader();
    // jraft takes no snapshot of a node that has applied nothing since the last one: wait
    // until every node applied the first leader's first entry (index 1).
    await("every node applied index 1").atMost(Duration.ofSeconds(10))
        .until(() -> cluster.ids().stream()
            .allMatch(id -> cluster.node(id).node().appliedIndex() >= 1));

    CliRun r = admin("snapshot", "--json");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.json().get("snapshots").findValuesAsText("node"))
        .containsExactlyInAnyOrderElementsOf(cluster.ids());
    for (String id : cluster.ids()) {
      assertThat(dir.resolve(id).resolve("raft").resolve("snapshot").toFile().list())
          .as("snapshot directory of %s", id).anyMatch(name -> name.startsWith("snapshot_"));
    }
  }

  private CliRun admin(String verb, String... args) {
    String[] all = new String[args.length + 4];
    all[0] = "admin";
    all[1] = verb;
    all[2] = "--endpoints";
    all[3] = cluster.endpoints();
    System.arraycopy(args, 0, all, 4, args.length);
    return raftkv(all);
  }
}
