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
import raftkv.history.WatchChecker;

/** Runs every checker on a finished run and assembles the report. Stateless. */
final class Checks {
  private Checks() {}

  /** A run without watchers or leases. */
  static ChaosReport run(ChaosOptions options, History history, Map<String, FinalValue> finalState,
      List<ReplicaState> replicas, List<FaultEvent> faults, long workloadMs, Duration loadCpu) {
    return run(options, history, history, WatchActivity.NONE, finalState, replicas, faults,
        workloadMs, loadCpu);
  }

  /**
   * @param history the workload's ops, for every checker but the watch checker
   * @param withLeaseKeys those plus the lease holder's puts, for the watch checker (lease keys
   *     vanish when their lease ends, which the register checkers do not model)
   */
  static ChaosReport run(ChaosOptions options, History history, History withLeaseKeys,
      WatchActivity watches, Map<String, FinalValue> finalState, List<ReplicaState> replicas,
      List<FaultEvent> faults, long workloadMs, Duration loadCpu) {
    List<CheckResult> results = List.of(
        new LinearizabilityChecker().checkResult(history),
        new SessionGuaranteesChecker().check(history),
        new ConsistentPrefixChecker().check(history),
        new BoundedStalenessChecker().check(history),
        new LostWriteChecker().check(history, finalState),
        new ConvergenceChecker().check(replicas),
        new WatchChecker().check(withLeaseKeys, watches.leaseEnds(), watches.streams()));
    return ChaosReport.of(options, history, watches, faults, results, replicas, workloadMs,
        loadCpu);
  }
}
