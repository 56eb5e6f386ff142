package raftkv.cli;

import raftkv.v1.Consistency;
import raftkv.v1.ReadOptions;

/** {@code --consistency} values. */
final class Consistencies {
  private Consistencies() {}

  static ReadOptions parse(String level) {
    switch (level.toLowerCase()) {
      case "linearizable":
        return ReadOptions.newBuilder().setConsistency(Consistency.LINEARIZABLE).build();
      case "eventual":
        return ReadOptions.newBuilder().setConsistency(Consistency.EVENTUAL).build();
      default:
        throw new IllegalArgumentException("--consistency must be linearizable or eventual, got '"
            + level + "'");
    }
  }
}
