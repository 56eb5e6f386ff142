package raftkv.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The results of one bench run, as printed ({@link #table()}) and as written for scripts
 * ({@link #toJson()}). Immutable value.
 *
 * @param config the options of the run
 * @param measuredSeconds the measured window: from the end of the warmup until the last
 *     operation in flight at the end finished
 * @param levels reads per level, keyed by the level's name ({@link LevelMix#name}); only the
 *     levels the run read at
 * @param writes the run's writes
 * @param errors failed operations by status code, all kinds together
 * @param total every operation (a write-then-read counts its write and its read)
 * @param tool the bench's own cost
 * @param cluster the nodes' cost, from their own CPU counters (null when none answered)
 * @param learnerLag the learners' lag, sampled from Admin.Status
 * @param arrivals open loop only (null otherwise): arrivals that were never sent
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BenchReport(Map<String, Object> config, double measuredSeconds,
    Map<String, Ops> levels, Ops writes, Map<String, Long> errors, Total total, Tool tool,
    Cluster cluster, LearnerLag learnerLag, Arrivals arrivals) implements Report {


  /**
   * One kind of operation.
   *
   * @param ops operations that succeeded in the measured window
   * @param latencyMs from the operation's start (its arrival, in an open loop) to its answer
   * @param serverWaitMs reads only: how long servers held the read for the replica to catch
   *     up, as they reported it
   * @param servedBy reads only: reads answered by the leader, followers and learners
   * @param servedByNode reads only: reads answered per node id
   * @param staleReads reads only: reads served at an applied index below the session's token
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Ops(long ops, double throughputOpsPerSec, Latency latencyMs,
      Latency serverWaitMs, Violations violations, Long staleReads,
      Map<String, Long> servedBy, Map<String, Long> servedByNode, Map<String, Long> errors) {}

  /** Percentiles and maximum of a histogram of microseconds, in milliseconds. */
  public record Latency(double p50, double p90, double p99, double p999, double max,
      double mean) {
    static Latency of(Histogram micros) {
      return new Latency(ms(micros.getValueAtPercentile(50)), ms(micros.getValueAtPercentile(90)),
          ms(micros.getValueAtPercentile(99)), ms(micros.getValueAtPercentile(99.9)),
          ms(micros.getMaxValue()), Math.round(micros.getMean() / 10.0) / 100.0);
    }

    private static double ms(long micros) {
      return Math.round(micros / 10.0) / 100.0;
    }
  }

  /**
   * Guarantee violations found by the {@link ConsistencyChecker}. Reads carry
   * {@code readYourWrites} and {@code monotonicReads}; writes carry {@code monotonicWrites}.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Violations(Long readYourWrites, Long monotonicReads, Long monotonicWrites) {}

  public record Total(long ops, double throughputOpsPerSec, long errors) {}

  /**
   * @param cpuSeconds CPU time the bench process used in the measured window
   * @param cpuCores that time over the window: how many of the machine's cores the tool took
   */
  public record Tool(double cpuSeconds, double cpuCores, double cpuMicrosPerOp) {}

  /**
   * What the nodes spent serving the run, from each node's {@code Admin.Status} CPU time at
   * the start and the end of the measured window.
   *
   * @param cpuSeconds all nodes together
   * @param cpuCores that time over the window
   * @param cpuMicrosPerOp that time over every operation of the run
   * @param cpuSecondsByNode each node that answered both times and was not restarted
   */
  public record Cluster(double cpuSeconds, double cpuCores, double cpuMicrosPerOp,
      Map<String, Double> cpuSecondsByNode) {

    /** From two samples of every node's CPU seconds; null when no node is in both. */
    static Cluster between(Map<String, Double> from, Map<String, Double> to, double seconds,
        long ops) {
      Map<String, Double> byNode = new java.util.TreeMap<>();
      from.forEach((node, before) -> {
        Double after = to.get(node);
        if (after != null && after >= before) { // a restarted node starts again from 0
          byNode.put(node, round2(after - before));
        }
      });
      if (byNode.isEmpty()) {
        return null;
      }
      double total = byNode.values().stream().mapToDouble(Double::doubleValue).sum();
      return new Cluster(round2(total), round2(total / seconds), perOp(total, ops), byNode);
    }
  }

  static double round2(double x) {
    return Math.round(x * 100) / 100.0;
  }

  /** CPU seconds over operations, in whole microseconds per operation (0 with no operation). */
  static double perOp(double cpuSeconds, long ops) {
    return ops == 0 ? 0 : Math.round(cpuSeconds * 1e6 / ops);
  }

  public record LearnerLag(long samples, long entriesP50, long entriesP99, long entriesMax,
      long msP50, long msP99, long msMax) {}

  /**
   * @param dropped arrivals dropped because {@link LoadDriver#MAX_BACKLOG} were waiting
   * @param unsentAtEnd arrivals still waiting for a client when the run ended
   */
  public record Arrivals(long dropped, long unsentAtEnd) {}

  /** Guarantee violations over all levels and writes (SESSION, LINEARIZABLE, writes). */
  public long guaranteeViolations() {
    long n = writes.violations().monotonicWrites();
    for (Map.Entry<String, Ops> e : levels.entrySet()) {
      if (ConsistencyChecker.guarantees(LevelMix.level(e.getKey()))) {
        n += e.getValue().violations().readYourWrites() + e.getValue().violations().monotonicReads()
            + e.getValue().staleReads();
      }
    }
    return n;
  }


  /** The final table: one row per kind of operation, then the tool's cost and learner lag. */
  @Override
  public String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-13s %9s %9s %8s %8s %8s %8s %9s %9s %9s %8s %7s  %s%n",
        "", "ops", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "wait p99",
        "ryw miss", "mono", "stale", "errors, served by"));
    row(sb, "writes", writes);
    levels.forEach((name, ops) -> row(sb, "read " + name, ops));
    sb.append(String.format("%-13s %9d %9.0f   in %.1f s; %s%n", "total", total.ops(),
        total.throughputOpsPerSec(), measuredSeconds,
        counts(errors).isEmpty() ? "no errors" : "errors " + counts(errors)));
    sb.append(String.format("bench process CPU: %.1f s = %.2f cores of the machine, %.0f µs per "
        + "operation%n", tool.cpuSeconds(), tool.cpuCores(), tool.cpuMicrosPerOp()));
    if (cluster != null) {
      StringBuilder nodes = new StringBuilder();
      cluster.cpuSecondsByNode().forEach((node, cpu) -> nodes.append(nodes.length() == 0 ? "" : ", ")
          .append(node).append(' ').append(String.format("%.0f", perOp(cpu, total.ops()))));
      sb.append(String.format("cluster CPU: %.1f s = %.2f cores, %.0f µs per operation (per node,"
          + " µs: %s)%n", cluster.cpuSeconds(), cluster.cpuCores(), cluster.cpuMicrosPerOp(),
          nodes));
    }
    if (learnerLag.samples() > 0) {
      sb.append(String.format("learner lag: entries p50 %d p99 %d max %d; ms p50 %d p99 %d max %d"
              + " (%d samples)%n", learnerLag.entriesP50(), learnerLag.entriesP99(),
          learnerLag.entriesMax(), learnerLag.msP50(), learnerLag.msP99(), learnerLag.msMax(),
          learnerLag.samples()));
    }
    if (arrivals != null) {
      sb.append(String.format("open loop: %d arrivals dropped (backlog full), %d unsent at the end%n",
          arrivals.dropped(), arrivals.unsentAtEnd()));
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, String name, Ops o) {
    Violations v = o.violations();
    boolean read = o.servedBy() != null;
    sb.append(String.format("%-13s %9d %9.0f %8.2f %8.2f %8.2f %8.2f %9.2f %9s %9s %8s %7s  %s%n",
        name, o.ops(), o.throughputOpsPerSec(), o.latencyMs().p50(), o.latencyMs().p90(),
        o.latencyMs().p99(), o.latencyMs().p999(), o.latencyMs().max(),
        read ? String.format("%.2f", o.serverWaitMs().p99()) : "-",
        read ? v.readYourWrites() : "-",
        read ? v.monotonicReads() : v.monotonicWrites(),
        read ? o.staleReads() : "-",
        outcome(o, read)));
  }

  /** The last cell: errors by code if any, then where reads were served; "-" when neither. */
  private static String outcome(Ops o, boolean read) {
    String errorCounts = counts(o.errors());
    String servedCounts = read ? counts(o.servedBy()) : "";
    String errorText = errorCounts.isEmpty() ? "" : "errors " + errorCounts;
    String served = servedCounts.isEmpty() ? "" : "served by " + servedCounts;
    String both = errorText + (errorText.isEmpty() || served.isEmpty() ? "" : "; ") + served;
    return both.isEmpty() ? "-" : both;
  }

  /** "leader 10, learners 1735": each name and its count, in the map's order, zeros left out. */
  static String counts(Map<String, Long> byName) {
    StringBuilder out = new StringBuilder();
    byName.forEach((name, n) -> {
      if (n != null && n > 0) {
        out.append(out.length() == 0 ? "" : ", ").append(name).append(' ').append(n);
      }
    });
    return out.toString();
  }
}
