package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConvergenceCheckerTest {

  private final ConvergenceChecker checker = new ConvergenceChecker();

  @Test
  void identicalReplicasConverge() {
    CheckResult r = checker.check(List.of(new ReplicaState("n1", 10, "ab"),
        new ReplicaState("n2", 10, "ab"), new ReplicaState("n3", 10, "ab")));
    assertThat(r.ok()).isTrue();
    assertThat(r.opsChecked()).isEqualTo(3);
    assertThat(checker.check(List.of()).ok()).isTrue();
  }

  @Test
  void aDifferentHashAtTheSameIndexFails() {
    CheckResult r = checker.check(List.of(new ReplicaState("n1", 10, "ab"),
        new ReplicaState("n2", 10, "cd")));
    assertThat(r.violations()).singleElement().satisfies(v -> {
      assertThat(v.guarantee()).isEqualTo("convergence");
      assertThat(v.explanation()).isEqualTo("replicas at applied index 10 have 2 different state"
          + " hashes: n1 (index 10, hash ab), n2 (index 10, hash cd)");
    });
  }

  @Test
  void differentAppliedIndexesFailAndListEveryReplica() {
    CheckResult r = checker.check(List.of(new ReplicaState("n1", 10, "ab"),
        new ReplicaState("n2", 10, "cd"), new ReplicaState("n3", 9, "ab")));
    assertThat(r.violations()).extracting(Violation::explanation).containsExactly(
        "replicas stopped at 2 different applied indexes [9, 10]: n1 (index 10, hash ab),"
            + " n2 (index 10, hash cd), n3 (index 9, hash ab)",
        "replicas at applied index 10 have 2 different state hashes: n1 (index 10, hash ab),"
            + " n2 (index 10, hash cd), n3 (index 9, hash ab)");
  }
}
