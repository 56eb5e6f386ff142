package raftkv.history;

import java.util.Objects;

/**
 * One replica's state after a run, for {@link ConvergenceChecker}. Immutable.
 *
 * @param appliedIndex the last log index it applied
 * @param stateHash a digest of its whole key-value state at that index
 */
public record ReplicaState(String node, long appliedIndex, String stateHash) {

  public ReplicaState {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(stateHash, "stateHash");
    if (appliedIndex < 0) throw new IllegalArgumentException("appliedIndex must be >= 0");
  }
}
