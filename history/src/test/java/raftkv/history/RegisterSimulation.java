package raftkv.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generates histories of a correct linearizable store: each process issues one op at a time;
 * every op takes effect at a random point inside its interval, in the order of those points; reads
 * return the state at their point. Some ops end UNKNOWN (their effect applied or not, at random),
 * some writes FAILED and not applied. Deterministic for a given seed.
 */
final class RegisterSimulation {

  private RegisterSimulation() {}

  /** One planned op before outcomes are known. */
  private static final class Plan {
    String process;
    Command command;
    long invoke;
    long point;
    long complete;
    Op.Outcome outcome = Op.Outcome.OK;
    boolean applied = true;
    String result;
    Boolean succeeded;
  }

  /** A generated history and the ops that took effect, in the order they took effect. */
  record Run(History history, List<Op> effects) {}

  static History generate(long seed, int processes, int opCount, int keys, double unknownRate,
      double failRate) {
    return run(seed, processes, opCount, keys, unknownRate, failRate).history();
  }

  static Run run(long seed, int processes, int opCount, int keys, double unknownRate,
      double failRate) {
    Random rnd = new Random(seed);
    List<Plan> plans = new ArrayList<>(opCount);
    long[] clock = new long[processes];
    for (int p = 0; p < processes; p++) clock[p] = rnd.nextInt(50);
    Map<String, List<String>> written = new HashMap<>();
    int nextValue = 0;
    for (int i = 0; i < opCount; i++) {
      int p = rnd.nextInt(processes);
      String key = "k" + rnd.nextInt(keys);
      Plan plan = new Plan();
      plan.process = "p" + p;
      int kind = rnd.nextInt(10);
      List<String> seen = written.computeIfAbsent(key, k -> new ArrayList<>());
      if (kind < 4) {
        plan.command = Command.write(key, "v" + nextValue++);
      } else if (kind < 8) {
        plan.command = Command.read(key);
      } else {
        // Compare with a recent value (likely to succeed), an old one, or absent.
        String expected = seen.isEmpty() || rnd.nextInt(5) == 0 ? null
            : seen.get(Math.max(0, seen.size() - 1 - rnd.nextInt(3)));
        plan.command = Command.cas(key, expected, "v" + nextValue++);
      }
      if (plan.command.value() != null) seen.add(plan.command.value());
      plan.invoke = clock[p] + rnd.nextInt(20);
      plan.point = plan.invoke + 1 + rnd.nextInt(30);
      plan.complete = plan.point + 1 + rnd.nextInt(30);
      clock[p] = plan.complete;
      double r = rnd.nextDouble();
      if (r < unknownRate) {
        plan.outcome = Op.Outcome.UNKNOWN;
        plan.applied = plan.command.kind() != Op.Kind.READ && rnd.nextBoolean();
      } else if (r < unknownRate + failRate && plan.command.kind() == Op.Kind.WRITE) {
        plan.outcome = Op.Outcome.FAILED;
        plan.applied = false;
      }
      plans.add(plan);
    }
    plans.sort(Comparator.comparingLong(pl -> pl.invoke)); // op ids follow invocation order
    // Apply in order of the points at which the ops take effect.
    List<Plan> byPoint = new ArrayList<>(plans);
    byPoint.sort(Comparator.comparingLong(pl -> pl.point));
    Map<String, String> state = new HashMap<>();
    for (Plan pl : byPoint) {
      if (!pl.applied) continue;
      Command c = pl.command;
      String current = state.get(c.key());
      switch (c.kind()) {
        case WRITE -> state.put(c.key(), c.value());
        case READ -> pl.result = pl.outcome == Op.Outcome.OK ? current : null;
        case CAS -> {
          boolean holds = java.util.Objects.equals(current, c.expected());
          if (holds) state.put(c.key(), c.value());
          if (pl.outcome == Op.Outcome.OK) pl.succeeded = holds;
        }
      }
    }
    History.Builder b = History.builder();
    for (Plan pl : plans) {
      long complete = pl.outcome == Op.Outcome.UNKNOWN ? Long.MAX_VALUE : pl.complete;
      b.add(pl.process, pl.command, pl.invoke, complete, pl.outcome, pl.result, pl.succeeded);
    }
    History history = b.build();
    List<Op> effects = new ArrayList<>();
    for (Plan pl : byPoint) {
      if (pl.applied) effects.add(history.ops().get(plans.indexOf(pl)));
    }
    return new Run(history, effects);
  }
}
