package raftkv.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.chaos.ChaosOptions;
import raftkv.chaos.ChaosReport;
import raftkv.chaos.ChaosRun;
import raftkv.chaos.Fault;
import raftkv.chaos.NodeLauncher;

/**
 * {@code raftkv chaos}: a local cluster of node processes behind fault proxies, a recorded
 * workload at every read level while faults are injected, then every history checker. The
 * run itself is {@link ChaosRun}.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Start a local cluster (3 voters + 2 learners by default) whose Raft traffic "
        + "runs through one TCP proxy per link, run client sessions that read at LINEARIZABLE, "
        + "SESSION, BOUNDED_STALENESS and EVENTUAL and write unique values while faults are "
        + "injected, beside watchers (learners first, resuming across faults) and a lease "
        + "holder whose leases are revoked or expire, then check the recorded history: "
        + "linearizability per key, the four session guarantees, consistent prefix, bounded "
        + "staleness, no acknowledged write lost, that every replica ends with the same state "
        + "at the same index, and that every watch saw each change to its keys once, in index "
        + "order, with an ended lease's keys deleted at one index.",
        "Faults: kill (SIGKILL + restart of leader, follower, learner), pause (SIGSTOP longer "
            + "than the election timeout), partition (isolated leader, isolated learner, "
            + "minority/majority split), delay, drop, snapshot (a replica must install a "
            + "snapshot), membership (add and remove a learner under load), restart (every "
            + "node killed at once and replayed).",
        "Durations (--duration, --fault-hold, ...) are " + DurationConverter.FORMS,
        "Exit status 3 if any check found a violation or a write was lost; 4 if the run "
            + "reached --max-duration before every fault kind was injected; 1 if the run could "
            + "not be completed; 2 on a usage error."})
final class ChaosCommand implements Callable<Integer> {
  @Option(names = "--duration", defaultValue = "60s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "How long faults are injected at least (default ${DEFAULT-VALUE}); the "
          + "run goes on until every requested fault kind has been injected once.")
  Duration duration;

  @Option(names = "--max-duration", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "No fault starts after this (default: --duration + 10m). A run that reaches "
          + "it before every fault kind ran is incomplete: exit status 4.")
  Duration maxDuration;

  @Option(names = "--cpu-load", defaultValue = "0", paramLabel = "N",
      description = "Busy threads of CPU contention beside the nodes, 0.."
          + ChaosOptions.MAX_CPU_LOAD + " (default ${DEFAULT-VALUE}): one process of their own, "
          + "started before the workload and stopped when it stops.")
  int cpuLoad;

  @Option(names = "--faults", defaultValue = "all",
      description = "Comma-separated fault kinds, or all (default ${DEFAULT-VALUE}): "
          + "kill,pause,partition,delay,drop,snapshot,membership,restart.")
  String faults;

  @Option(names = "--seed", description = "Seed of the workload and the fault schedule "
      + "(default: the clock; printed).")
  Long seed;

  @Option(names = "--voters", defaultValue = "3", description = "3 or 5 (default ${DEFAULT-VALUE}).")
  int voters;

  @Option(names = "--learners", defaultValue = "2", description = "0..4 (default ${DEFAULT-VALUE}).")
  int learners;

  @Option(names = "--sessions", defaultValue = "12",
      description = "Client sessions, one operation in flight each (default ${DEFAULT-VALUE}).")
  int sessions;

  @Option(names = "--fault-hold", defaultValue = "3s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "How long each fault lasts (default ${DEFAULT-VALUE}).")
  Duration faultHold;

  @Option(names = "--quiet", defaultValue = "1s", converter = DurationConverter.class,
      paramLabel = "DURATION", description = "Time without a fault between two faults (default ${DEFAULT-VALUE}).")
  Duration quiet;

  @Option(names = "--snapshot-interval-s", defaultValue = "5",
      description = "The nodes' snapshot interval: snapshots are taken and installed under load "
          + "(default ${DEFAULT-VALUE}).")
  int snapshotIntervalSecs;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Keep the nodes' data and logs here (default: a temporary directory, "
          + "deleted after a clean run, kept after a failed or interrupted one).")
  Path dir;

  @Option(names = "--heap", defaultValue = LocalCluster.DEFAULT_HEAP,
      description = "Each node's -Xmx (default ${DEFAULT-VALUE}).")
  String heap;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Also write the report as JSON to FILE ('-' = stdout; progress then goes "
          + "to stderr).")
  String json;

  @Option(names = "--broken", hidden = true, split = ",",
      description = "Test only: consistency bugs switched on in every node "
          + "(learner-ignores-token, stale-leader-reads, watch-skips-on-resume), to prove the "
          + "checkers catch them.")
  List<String> broken = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    ChaosOptions options;
    try {
      ChaosOptions defaults = ChaosOptions.of(duration, Fault.parseList(faults),
          seed != null ? seed : System.currentTimeMillis());
      options = new ChaosOptions(voters, learners, duration, defaults.faults(), defaults.seed(),
          sessions, faultHold, quiet, defaults.electionTimeoutMs(), snapshotIntervalSecs,
          defaults.keysPerEpoch(), defaults.epoch(), defaults.boundMs(), broken, cpuLoad,
          maxDuration != null ? maxDuration : ChaosOptions.defaultMaxDuration(duration));
    } catch (IllegalArgumentException e) {
      System.err.println("raftkv chaos: " + e.getMessage());
      return 2;
    }
    boolean jsonToStdout = "-".equals(json);
    PrintStream progress = jsonToStdout ? System.err : System.out;
    boolean temporary = dir == null;
    Path runDir = temporary ? Files.createTempDirectory("raftkv-chaos-") : dir;
    ChaosReport report;
    try {
      report = ChaosRun.run(options, launcher(), runDir, progress::println);
    } catch (IllegalStateException e) {
      System.err.println("raftkv chaos: " + e.getMessage() + " (data and logs kept in " + runDir
          + ")");
      return 1;
    }
    progress.print(report.text());
    if (jsonToStdout) {
      System.out.println(report.toJson());
    } else if (json != null) {
      Files.writeString(Path.of(json), report.toJson());
      progress.println("report written to " + json);
    }
    if (report.violations() > 0) {
      System.err.println("raftkv chaos: violations found; node data and logs kept in " + runDir);
      return 3;
    }
    if (!report.complete()) {
      System.err.println("raftkv chaos: incomplete: " + report.incompleteReason()
          + "; node data and logs kept in " + runDir);
      return 4;
    }
    if (temporary) {
      raftkv.chaos.ChaosRun.deleteTree(runDir);
    }
    return 0;
  }

  private NodeLauncher launcher() {
    List<String> jvm = new ArrayList<>(List.of("-Xmx" + heap));
    jvm.addAll(LocalCluster.jvmOptions(LocalCluster.DEFAULT_JVM_OPTIONS));
    jvm.add("-XX:+ExitOnOutOfMemoryError");
    jvm.addAll(LocalCluster.inheritedJvmOptions());
    return new NodeLauncher(LocalCluster.javaBinary(), jvm,
        List.of(Raftkv.class.getName(), "server"));
  }
}
