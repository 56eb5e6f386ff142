package raftkv.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Checks that the replicas converged after a run. Stateless and thread-safe.
 *
 * <p>Rules: all replicas have the same applied index; replicas at the same applied index have the
 * same state hash. Each explanation lists every replica's (applied index, hash).
 */
public final class ConvergenceChecker {

  public static final String NAME = Violation.CONVERGENCE;

  public CheckResult check(List<ReplicaState> replicas) {
    Objects.requireNonNull(replicas, "replicas");
    String all = replicas.stream()
        .map(r -> r.node() + " (index " + r.appliedIndex() + ", hash " + r.stateHash() + ")")
        .collect(Collectors.joining(", "));
    Map<Long, List<ReplicaState>> byIndex = new TreeMap<>();
    for (ReplicaState r : replicas) {
      byIndex.computeIfAbsent(r.appliedIndex(), i -> new ArrayList<>()).add(r);
    }
    List<Violation> out = new ArrayList<>();
    if (byIndex.size() > 1) {
      out.add(new Violation(NAME, "replicas stopped at " + byIndex.size()
          + " different applied indexes " + byIndex.keySet() + ": " + all, List.of()));
    }
    byIndex.forEach((index, group) -> {
      long hashes = group.stream().map(ReplicaState::stateHash).distinct().count();
      if (hashes > 1) {
        out.add(new Violation(NAME, "replicas at applied index " + index + " have " + hashes
            + " different state hashes: " + all, List.of()));
      }
    });
    return new CheckResult(NAME, replicas.size(), out);
  }
}
