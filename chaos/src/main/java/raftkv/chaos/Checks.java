package raftkv.chaos;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import raftkv.history.BoundedStalenessChecker;
import raftkv.history.CheckResult;
import raftkv.history.ConsistentPrefixChecker;
import raftkv.history.ConvergenceChecker;
import raftkv.history.FinalValue;
import raftkv.history.History;
import raftkv.history.LinearizabilityChecker;
import raftkv.history.LostWriteChecker;
import raftkv.history.ReplicaState;
import raftkv.history.SessionGuaranteesChecker;

/** Runs every checker on a finished run and assembles the report. Stateless. */
final class Checks {
  private Checks() {}

  static ChaosReport run(ChaosOptions options, History history, Map<String, FinalValue> finalState,
      List<ReplicaState> replicas, List<FaultEvent> faults, long workloadMs, Duration loadCpu) {
    List<CheckResult> results = List.of(
        new LinearizabilityChecker().checkResult(history),
        new SessionGuaranteesChecker().check(history),
        new ConsistentPrefixChecker().check(history),
        new BoundedStalenessChecker().check(history),
        new LostWriteChecker().check(history, finalState),
        new ConvergenceChecker().check(replicas));
    return ChaosReport.of(options, history, faults, results, replicas, workloadMs, loadCpu);
  }
}
