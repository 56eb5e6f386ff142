package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A history of the size a long load run produces: 300,000 ops from 16 sessions over 1,000 keys,
 * at every read level. The index-based checkers are O(n log n); times are printed
 * (target/surefire-reports/*-output.txt), not asserted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LargeConsistencyHistoryTest {

  @Test
  void threeHundredThousandOpsOfACorrectStorePassEveryChecker() {
    ReplicatedLogSimulation.Run run = ReplicatedLogSimulation.run(11,
        new ReplicatedLogSimulation.Config(16, 300_000, 1_000, 3, 0.01, 0.01, 0.05));
    History h = run.history();
    List<CheckResult> results = List.of(
        timed(() -> new ConsistentPrefixChecker().check(h)),
        timed(() -> new SessionGuaranteesChecker().check(h)),
        timed(() -> new BoundedStalenessChecker().check(h)),
        timed(() -> new LostWriteChecker().check(h, run.finalState())),
        timed(() -> new ConvergenceChecker().check(run.replicas())),
        timed(() -> new LinearizabilityChecker().checkResult(h)));
    assertThat(results).allSatisfy(r -> {
      assertThat(r.violations()).as(r.checker()).isEmpty();
      assertThat(r.ok()).isTrue();
    });
    assertThat(results.get(0).opsChecked()).isGreaterThan(100_000);
  }

  private static CheckResult timed(Supplier<CheckResult> check) {
    long start = System.nanoTime();
    CheckResult r = check.get();
    System.out.printf("%s: %d checked, %d violations in %d ms%n", r.checker(), r.opsChecked(),
        r.violations().size(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    return r;
  }
}
