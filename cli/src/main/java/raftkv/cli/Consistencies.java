package raftkv.cli;

import java.time.Duration;
import picocli.CommandLine.Option;
import raftkv.v1.Consistency;
import raftkv.v1.LagPolicy;
import raftkv.v1.ReadOptions;

/** The read flags of get and range: level, lag policy and wait budget. */
final class Consistencies {
  @Option(names = "--consistency", defaultValue = "linearizable",
      description = "linearizable (default), session (read-your-writes with --token), "
          + "bounded:<ms> (at most <ms> behind the leader) or eventual.")
  String consistency;

  @Option(names = "--lag-policy", defaultValue = "fallback",
      description = "What a replica behind the read's needs does: wait (then fail), fallback "
          + "(then another replica, then the leader; default) or fail (at once).")
  String lagPolicy;

  @Option(names = "--wait-budget", defaultValue = "1s", paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How long a lagging replica may wait to catch up; " + DurationConverter.FORMS
          + "; default ${DEFAULT-VALUE}.")
  Duration waitBudget;

  ReadOptions readOptions() {
    if (waitBudget.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("--wait-budget " + waitBudget.toSeconds()
          + " s is longer than the limit, " + Integer.MAX_VALUE / 1000 + " s");
    }
    return parse(consistency).toBuilder().setLagPolicy(policy())
        .setWaitBudgetMs((int) waitBudget.toMillis()).build();
  }

  private LagPolicy policy() {
    return switch (lagPolicy.toLowerCase()) {
      case "wait" -> LagPolicy.WAIT;
      case "fallback" -> LagPolicy.FALLBACK;
      case "fail" -> LagPolicy.FAIL;
      default -> throw new IllegalArgumentException(
          "--lag-policy must be wait, fallback or fail, got '" + lagPolicy + "'");
    };
  }

  static ReadOptions parse(String level) {
    String l = level.toLowerCase();
    if (l.startsWith("bounded:")) {
      try {
        long ms = Long.parseLong(l.substring("bounded:".length()));
        if (ms > 0) {
          return ReadOptions.newBuilder().setConsistency(Consistency.BOUNDED_STALENESS)
              .setMaxLagMs(ms).build();
        }
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
      throw new IllegalArgumentException("--consistency bounded:<ms> needs a positive number of "
          + "milliseconds, got '" + level + "'");
    }
    Consistency c = switch (l) {
      case "linearizable" -> Consistency.LINEARIZABLE;
      case "session" -> Consistency.SESSION;
      case "eventual" -> Consistency.EVENTUAL;
      default -> throw new IllegalArgumentException("--consistency must be linearizable, session, "
          + "bounded:<ms> or eventual, got '" + level + "'");
    };
    return ReadOptions.newBuilder().setConsistency(c).build();
  }
}
