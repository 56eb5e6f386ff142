package raftkv.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Histories of the size a chaos run produces per key: 5,000 ops from 8 processes. Checking time
 * is printed (target/surefire-reports/*-output.txt), not asserted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LargeHistoryTest {

  private static final int OPS = 5_000;
  private static final int PROCESSES = 8;

  @Test
  void fiveThousandOpsOfACorrectRegisterAreLinearizable() {
    for (long seed = 1; seed <= 3; seed++) {
      History h = RegisterSimulation.generate(seed, PROCESSES, OPS, 1, 0.05, 0.05);
      Verdict v = timed("ok seed " + seed, h);
      assertThat(v.status()).as(v.explanation()).isEqualTo(Verdict.Status.OK);
      assertThat(v.opsChecked()).isGreaterThan(OPS * 8 / 10);
    }
  }

  @Test
  void fiveThousandOpsWithAStaleReadNearTheEndAreNotLinearizable() {
    // No UNKNOWN ops: refuting a history means exhausting its configurations, and every pending
    // UNKNOWN op that can still take effect multiplies them (see fiveThousandOpsWithUnknowns...).
    Verdict v = timed("stale read", withStaleLastRead(
        RegisterSimulation.generate(42, PROCESSES, OPS, 1, 0.0, 0.05)));
    assertThat(v.status()).isEqualTo(Verdict.Status.NOT_LINEARIZABLE);
  }

  /** Known limit: with 5% UNKNOWN ops the refutation may exceed the budget; it is never OK. */
  @Test
  void fiveThousandOpsWithUnknownsAndAStaleReadAreNeverOk() {
    Verdict v = timed("stale read, 5% unknown", withStaleLastRead(
        RegisterSimulation.generate(42, PROCESSES, OPS, 1, 0.05, 0.05)));
    assertThat(v.status()).isIn(Verdict.Status.NOT_LINEARIZABLE, Verdict.Status.UNKNOWN);
  }

  private static History withStaleLastRead(History h) {
    List<Op> ops = new ArrayList<>(h.ops());
    // The last OK read returns the first acknowledged write's value, long overwritten.
    Op first = ops.stream().filter(o -> o.kind() == Op.Kind.WRITE && o.outcome() == Op.Outcome.OK)
        .findFirst().orElseThrow();
    for (int i = ops.size() - 1; i >= 0; i--) {
      Op r = ops.get(i);
      if (r.kind() == Op.Kind.READ && r.outcome() == Op.Outcome.OK) {
        ops.set(i, new Op(r.id(), r.process(), r.kind(), r.key(), null, null, r.invokeNanos(),
            r.completeNanos(), r.outcome(), first.value(), null));
        break;
      }
    }
    return History.of(ops);
  }

  private static Verdict timed(String what, History h) {
    long start = System.nanoTime();
    Verdict v = new LinearizabilityChecker().check(h).get("k0");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("%s: %d ops checked, %d states, %s in %d ms%n", what, v.opsChecked(),
        v.statesExplored(), v.status(), ms);
    return v;
  }
}
