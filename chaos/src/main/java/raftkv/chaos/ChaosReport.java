package raftkv.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Set;
import raftkv.history.CheckResult;
import raftkv.history.History;
import raftkv.history.Op;
import raftkv.history.ReadLevel;
import raftkv.history.ReplicaState;
import raftkv.history.Violation;

/**
 * What a chaos run found: operations checked per level, faults injected per kind and how long
 * each took, requested kinds never injected, every checker's result, violations per guarantee
 * with the first offending operations, acknowledged writes lost, the replicas' final state
 * hashes, and the CPU the run's own load used. Immutable.
 */
public final class ChaosReport {
  /** Violations shown in full per guarantee; the rest are counted. */
  static final int SHOWN_PER_GUARANTEE = 3;

  /** Operation counts of one row (a read level, or puts, or compare-and-sets). */
  record Row(long invoked, long ok, long failed, long unknown) {}

  private final ChaosOptions options;
  private final long workloadMs;
  private final Map<String, Row> rows;
  private final List<FaultEvent> faults;
  private final List<CheckResult> results;
  private final List<ReplicaState> replicas;
  private final Duration loadCpu;
  private final WatchActivity watches;

  private ChaosReport(ChaosOptions options, long workloadMs, Map<String, Row> rows,
      WatchActivity watches, List<FaultEvent> faults, List<CheckResult> results,
      List<ReplicaState> replicas, Duration loadCpu) {
    this.options = options;
    this.watches = watches;
    this.loadCpu = loadCpu;
    this.workloadMs = workloadMs;
    this.rows = rows;
    this.faults = List.copyOf(faults);
    this.results = List.copyOf(results);
    this.replicas = List.copyOf(replicas);
  }

  static ChaosReport of(ChaosOptions options, History history, WatchActivity watches,
      List<FaultEvent> faults, List<CheckResult> results, List<ReplicaState> replicas,
      long workloadMs, Duration loadCpu) {
    return new ChaosReport(options, workloadMs, rows(history), watches, faults, results,
        replicas, loadCpu);
  }

  private static Map<String, Row> rows(History history) {
    Map<String, long[]> counts = new LinkedHashMap<>();
    for (ReadLevel level : ReadLevel.values()) {
      counts.put(level.name(), new long[4]);
    }
    counts.put("PUT", new long[4]);
    counts.put("CAS", new long[4]);
    for (Op op : history.ops()) {
      String row = switch (op.kind()) {
        case READ -> op.served().level().name();
        case WRITE -> "PUT";
        case CAS -> "CAS";
      };
      long[] c = counts.get(row);
      c[0]++;
      c[1 + op.outcome().ordinal()]++;
    }
    Map<String, Row> out = new LinkedHashMap<>();
    counts.forEach((k, c) -> out.put(k, new Row(c[0], c[1], c[2], c[3])));
    return out;
  }

  /**
   * True when no checker proved a violation, no acknowledged write was lost and every requested
   * fault kind was injected.
   */
  public boolean passed() {
    return violations() == 0 && complete();
  }

  /** True when every requested fault kind was injected at least once. */
  public boolean complete() {
    return missingFaults().isEmpty();
  }

  /** Requested kinds with no completed injection: the ceiling came first. */
  public Set<Fault> missingFaults() {
    Set<Fault> missing = EnumSet.copyOf(options.faults());
    faults.stream().filter(FaultEvent::completed).forEach(e -> missing.remove(e.fault()));
    return missing;
  }

  /**
   * Why an incomplete run is incomplete, for a terminal: the ceiling, the kinds never injected
   * and how long each kind that ran took. Empty when complete.
   */
  public String incompleteReason() {
    if (complete()) {
      return "";
    }
    StringBuilder took = new StringBuilder();
    faultTimes().forEach((f, t) -> {
      if (t.getCount() > 0) {
        took.append(took.length() == 0 ? "" : ", ").append(f.cliName()).append(' ')
            .append(took(t));
      }
    });
    return "max duration " + options.maxDuration().toSeconds() + " s reached before every fault"
        + " kind was injected; never injected: " + Fault.names(missingFaults())
        + (took.length() == 0 ? "; none ran" : "; those that ran took " + took);
  }

  /** Durations (injection to healed) of the completed faults of each requested kind. */
  public Map<Fault, LongSummaryStatistics> faultTimes() {
    Map<Fault, LongSummaryStatistics> out = new EnumMap<>(Fault.class);
    for (Fault f : options.faults()) {
      out.put(f, new LongSummaryStatistics());
    }
    faults.stream().filter(FaultEvent::completed)
        .forEach(e -> out.computeIfAbsent(e.fault(), k -> new LongSummaryStatistics())
            .accept(e.durationMs()));
    return out;
  }

  private static String took(LongSummaryStatistics t) {
    if (t.getCount() == 1 || t.getMin() == t.getMax()) {
      return String.format("%.1f s", t.getMax() / 1000.0);
    }
    return String.format("%.1f..%.1f s", t.getMin() / 1000.0, t.getMax() / 1000.0);
  }

  /** CPU time the run's own load used; zero without one. */
  public Duration loadCpu() {
    return loadCpu;
  }

  public long violations() {
    return results.stream().mapToLong(r -> r.violations().size()).sum();
  }

  public long lostWrites() {
    return count(Violation.LOST_WRITE);
  }

  /** Violations of one guarantee, over every checker. */
  public long count(String guarantee) {
    return results.stream().mapToLong(r -> r.count(guarantee)).sum();
  }

  /** Operations that completed OK, per row (LINEARIZABLE ... EVENTUAL, PUT, CAS). */
  public Map<String, Long> checkedPerLevel() {
    Map<String, Long> out = new LinkedHashMap<>();
    rows.forEach((k, r) -> out.put(k, r.ok()));
    return out;
  }

  /** Completed faults per kind (failed injections are listed in the events, not counted). */
  public Map<Fault, Long> faultsByKind() {
    Map<Fault, Long> out = new EnumMap<>(Fault.class);
    faultTimes().forEach((f, t) -> out.put(f, t.getCount()));
    return out;
  }

  /** Keys whose linearizability search ran out of budget: neither proven nor refuted. */
  public long undecidedKeys() {
    return results.stream().mapToLong(CheckResult::undecided).sum();
  }

  public List<FaultEvent> faultEvents() {
    return faults;
  }

  public List<CheckResult> results() {
    return results;
  }

  /** The report for a terminal. */
  public String text() {
    StringBuilder b = new StringBuilder();
    b.append(String.format("%nchaos run: %d voters + %d learners, seed %d, %d s of workload%n",
        options.voters(), options.learners(), options.seed(), workloadMs / 1000));
    b.append(String.format("  faults for at least %d s and until every kind ran once, none started"
        + " after %d s%n", options.duration().toSeconds(), options.maxDuration().toSeconds()));
    if (options.cpuLoad() > 0) {
      b.append(String.format("  CPU load: %d busy thread%s in a process of their own, %.1f s of"
          + " CPU used%n", options.cpuLoad(), options.cpuLoad() == 1 ? "" : "s",
          loadCpu.toMillis() / 1000.0));
    }
    if (!options.broken().isEmpty()) {
      b.append("BROKEN ON PURPOSE: ").append(String.join(",", options.broken())).append('\n');
    }
    b.append(String.format("%nOperations%n  %-13s %9s %9s %9s %9s%n", "", "invoked", "ok",
        "failed", "unknown"));
    rows.forEach((k, r) -> b.append(String.format("  %-13s %9d %9d %9d %9d%n", k, r.invoked(),
        r.ok(), r.failed(), r.unknown())));
    b.append(String.format("%nWatches and leases%n  %d watchers, %d events received, %d"
        + " automatic resumes, %d restarted by hand%n", watches.streams().size(),
        watches.events(), watches.resumes(), watches.restarts()));
    if (!watches.behind().isEmpty()) {
      b.append("  short of the last write when the run ended: ")
          .append(String.join(", ", watches.behind())).append('\n');
    }
    for (String refusal : watches.ended()) {
      b.append("  refused for good: ").append(refusal).append('\n');
    }
    b.append(String.format("  leases: %d granted, %d revoked, %d expired%n",
        watches.leasesGranted(), watches.revoked(), watches.expired()));
    b.append(String.format("%nFaults injected  count  each took%n"));
    faultTimes().forEach((f, t) -> b.append(String.format("  %-13s %5d  %s%n", f.cliName(),
        t.getCount(), t.getCount() == 0 ? "NEVER INJECTED" : took(t))));
    for (FaultEvent e : faults) {
      b.append(String.format("    %6.1f-%6.1f s  %-10s %s%s%n", e.startMs() / 1000.0,
          e.endMs() / 1000.0, e.fault().cliName(), e.target(),
          e.note().isEmpty() ? "" : " (" + e.note() + ")"));
    }
    b.append(String.format("%nChecks%n"));
    for (CheckResult r : results) {
      b.append(String.format("  %-20s %9d ops checked  %s%n", r.checker(), r.opsChecked(),
          r.violations().isEmpty() ? (r.undecided() > 0 ? "no violation proven, "
              + r.undecided() + " keys undecided (search budget)" : "ok")
              : r.violations().size() + " VIOLATIONS"));
    }
    b.append(String.format("%nViolations by guarantee%n"));
    for (String g : Violation.GUARANTEES) {
      b.append(String.format("  %-20s %d%n", g, count(g)));
    }
    b.append(String.format("  acknowledged writes lost: %d%n", lostWrites()));
    if (!replicas.isEmpty()) {
      b.append(String.format("%nReplicas at the end%n"));
      for (ReplicaState s : replicas) {
        b.append(String.format("  %-4s index %-9d state %s%n", s.node(), s.appliedIndex(),
            s.stateHash().length() > 16 ? s.stateHash().substring(0, 16) : s.stateHash()));
      }
    }
    for (String g : Violation.GUARANTEES) {
      List<Violation> shown = first(g);
      if (shown.isEmpty()) {
        continue;
      }
      b.append(String.format("%nFirst %s violations%n", g));
      for (Violation v : shown) {
        b.append("  ").append(v.explanation()).append('\n');
        for (Op op : v.ops()) {
          b.append("      ").append(op).append('\n');
        }
      }
    }
    b.append('\n');
    if (violations() > 0) {
      b.append("FAILED: ").append(violations()).append(" violations.\n");
    }
    if (!complete()) {
      b.append("INCOMPLETE: ").append(incompleteReason()).append(".\n");
    }
    if (passed()) {
      b.append("PASSED: no violation, no acknowledged write lost.\n");
    }
    return b.toString();
  }

  private List<Violation> first(String guarantee) {
    List<Violation> out = new ArrayList<>();
    for (CheckResult r : results) {
      for (Violation v : r.violations()) {
        if (v.guarantee().equals(guarantee) && out.size() < SHOWN_PER_GUARANTEE) {
          out.add(v);
        }
      }
    }
    return out;
  }

  /** The report as JSON, for scripts. */
  public String toJson() {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = mapper.createObjectNode();
    root.put("passed", passed());
    root.put("complete", complete());
    ArrayNode missing = root.putArray("missingFaults");
    missingFaults().forEach(f -> missing.add(f.cliName()));
    ObjectNode config = root.putObject("config");
    config.put("voters", options.voters());
    config.put("learners", options.learners());
    config.put("durationSeconds", options.duration().toSeconds());
    config.put("maxDurationSeconds", options.maxDuration().toSeconds());
    config.put("cpuLoad", options.cpuLoad());
    config.put("seed", options.seed());
    config.put("sessions", options.sessions());
    config.put("faults", Fault.names(options.faults()));
    config.put("broken", String.join(",", options.broken()));
    root.put("workloadMs", workloadMs);
    ObjectNode load = root.putObject("cpuLoad");
    load.put("threads", options.cpuLoad());
    load.put("cpuMs", loadCpu.toMillis());
    ObjectNode ops = root.putObject("operations");
    rows.forEach((k, r) -> {
      ObjectNode row = ops.putObject(k);
      row.put("invoked", r.invoked());
      row.put("ok", r.ok());
      row.put("failed", r.failed());
      row.put("unknown", r.unknown());
    });
    ObjectNode watching = root.putObject("watches");
    watching.put("watchers", watches.streams().size());
    watching.put("events", watches.events());
    watching.put("resumes", watches.resumes());
    watching.put("restarts", watches.restarts());
    ArrayNode behind = watching.putArray("behind");
    watches.behind().forEach(behind::add);
    ArrayNode ended = watching.putArray("ended");
    watches.ended().forEach(ended::add);
    ObjectNode leases = root.putObject("leases");
    leases.put("granted", watches.leasesGranted());
    leases.put("revoked", watches.revoked());
    leases.put("expired", watches.expired());
    ObjectNode byKind = root.putObject("faults");
    faultsByKind().forEach((f, n) -> byKind.put(f.cliName(), n));
    ObjectNode times = root.putObject("faultTimes");
    faultTimes().forEach((f, t) -> {
      ObjectNode kind = times.putObject(f.cliName());
      kind.put("count", t.getCount());
      kind.put("minMs", t.getCount() == 0 ? 0 : t.getMin());
      kind.put("maxMs", t.getCount() == 0 ? 0 : t.getMax());
      kind.put("totalMs", t.getSum());
    });
    ArrayNode events = root.putArray("faultEvents");
    for (FaultEvent e : faults) {
      ObjectNode ev = events.addObject();
      ev.put("fault", e.fault().cliName());
      ev.put("target", e.target());
      ev.put("startMs", e.startMs());
      ev.put("endMs", e.endMs());
      ev.put("durationMs", e.durationMs());
      ev.put("completed", e.completed());
      ev.put("note", e.note());
    }
    ArrayNode checks = root.putArray("checks");
    for (CheckResult r : results) {
      ObjectNode c = checks.addObject();
      c.put("checker", r.checker());
      c.put("opsChecked", r.opsChecked());
      c.put("undecided", r.undecided());
      c.put("violations", r.violations().size());
    }
    ObjectNode byGuarantee = root.putObject("violations");
    for (String g : Violation.GUARANTEES) {
      byGuarantee.put(g, count(g));
    }
    root.put("lostWrites", lostWrites());
    root.put("undecidedKeys", undecidedKeys());
    ArrayNode firstViolations = root.putArray("firstViolations");
    for (String g : Violation.GUARANTEES) {
      for (Violation v : first(g)) {
        ObjectNode o = firstViolations.addObject();
        o.put("guarantee", g);
        o.put("explanation", v.explanation());
        ArrayNode opList = o.putArray("ops");
        v.ops().forEach(op -> opList.add(op.toString()));
      }
    }
    ArrayNode reps = root.putArray("replicas");
    for (ReplicaState s : replicas) {
      ObjectNode o = reps.addObject();
      o.put("node", s.node());
      o.put("appliedIndex", s.appliedIndex());
      o.put("stateHash", s.stateHash());
    }
    try {
      return mapper.writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
