package raftkv.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.v1.StatusResponse;

/**
 * The fault injector: injects one fault at a time, holds it, heals it and lets the cluster run
 * quietly for a while, in the order of a {@link FaultSchedule} (every requested kind once per
 * round, seeded random order; the run lasts until every kind has run once). Within a kind the
 * target rotates (leader, follower, learner; isolated leader, isolated learner, split). A cut
 * that deposes the leader also lasts until the other side has a leader that wrote ({@link
 * Succession}).
 *
 * <p>Runs on the thread that calls {@link #run}; {@link #stop} may be called from any thread.
 * The events list is safe to read at any time.
 */
final class Nemesis {
  private static final Logger LOG = LoggerFactory.getLogger(Nemesis.class);
  private static final String INSTALL_LINE = "installed snapshot at index";
  /**
   * How long a restarted replica gets to start and install the leader's snapshot. Generous:
   * on a loaded 2-core machine the whole snapshot fault took 27 s (issue 12).
   */
  private static final Duration INSTALL_WAIT = Duration.ofSeconds(60);

  private final ChaosCluster cluster;
  private final ChaosOptions options;
  private final Random random;
  private final LongSupplier elapsedMs;
  private final List<FaultEvent> events = new CopyOnWriteArrayList<>();
  private final Map<Fault, Integer> turns = new EnumMap<>(Fault.class);
  private volatile boolean stopped;

  Nemesis(ChaosCluster cluster, ChaosOptions options, Random random, LongSupplier elapsedMs) {
    this.cluster = cluster;
    this.options = options;
    this.random = random;
    this.elapsedMs = elapsedMs;
  }

  List<FaultEvent> events() {
    return List.copyOf(events);
  }

  void stop() {
    stopped = true;
  }

  /**
   * Injects faults until {@link #stop}, or until {@code floorMs} (ms since start) has passed
   * and every requested kind has been injected once ({@link FaultSchedule}), but starts none
   * after {@code ceilingMs}. A fault started before the ceiling runs to its end: cutting one
   * short could leave it half-healed (a spare learner added but not removed), and each fault's
   * own waits are bounded.
   *
   * @return the requested kinds never injected: empty unless the ceiling or a stop came first
   */
  Set<Fault> run(long floorMs, long ceilingMs) throws InterruptedException {
    FaultSchedule schedule = new FaultSchedule(options.faults(), random);
    while (!stopped && elapsedMs.getAsLong() < ceilingMs) {
      Optional<Fault> next = schedule.next(elapsedMs.getAsLong() >= floorMs);
      if (next.isEmpty()) {
        break;
      }
      Fault fault = next.get();
      long start = elapsedMs.getAsLong();
      try {
        if (!inject(fault, ceilingMs)) {
          break;
        }
        schedule.completed(fault);
      } catch (IOException | RuntimeException e) {
        LOG.warn("fault {} could not be completed: {}", fault.cliName(), e.getMessage());
        events.add(FaultEvent.failed(fault, start, elapsedMs.getAsLong(), e.getMessage()));
        try {
          cluster.healAll();
        } catch (IOException again) {
          LOG.warn("heal failed: {}", again.getMessage());
        }
      }
      if (elapsedMs.getAsLong() >= floorMs && schedule.missing().isEmpty()) {
        break;
      }
      sleepUnlessStopped(options.quiet(), ceilingMs);
    }
    return schedule.missing();
  }

  /**
   * Injects one fault, holds and heals it. Returns false, injecting nothing, when the ceiling
   * passed while waiting for a leader to aim at.
   */
  private boolean inject(Fault fault, long ceilingMs) throws IOException, InterruptedException {
    Optional<ChaosNode> leaderNow = cluster.awaitLeader(Duration.ofSeconds(30));
    if (leaderNow.isEmpty()) {
      throw new IllegalStateException("no leader for 30 s before injecting " + fault.cliName());
    }
    if (elapsedMs.getAsLong() >= ceilingMs) {
      return false;
    }
    ChaosNode leader = leaderNow.get();
    int turn = turns.merge(fault, 1, Integer::sum) - 1;
    long start = elapsedMs.getAsLong();
    String target;
    String note = "";
    switch (fault) {
      case KILL -> {
        ChaosNode victim = rotate(turn, leader);
        target = roleOf(victim, leader) + " " + victim.id;
        victim.kill();
        hold();
        victim.restart();
      }
      case PAUSE -> {
        ChaosNode victim = rotate(turn, leader);
        target = roleOf(victim, leader) + " " + victim.id;
        victim.pause();
        hold();
        victim.resume();
      }
      case PARTITION -> {
        int kind = turn % 3;
        if (kind == 1 && cluster.learners().isEmpty()) {
          kind = 2;
        }
        long leaderTerm = cluster.status(leader).map(StatusResponse::getTerm).orElse(0L);
        long cutAt = System.nanoTime();
        if (kind == 0) {
          target = "isolated leader " + leader.id;
          cluster.network().isolate(leader.id);
        } else if (kind == 1) {
          ChaosNode learner = cluster.learners().get(turn % cluster.learners().size());
          target = "isolated learner " + learner.id;
          cluster.network().isolate(learner.id);
        } else {
          // The leader in the minority with one learner; the rest can elect a new leader.
          Set<String> minority = new HashSet<>();
          minority.add(leader.id);
          List<ChaosNode> followers = cluster.followers(leader);
          for (int i = 0; i < (options.voters() - 1) / 2 - 1; i++) {
            minority.add(followers.get(i).id);
          }
          if (!cluster.learners().isEmpty()) {
            minority.add(cluster.learners().get(0).id);
          }
          Set<String> majority = cluster.all().stream().map(n -> n.id)
              .filter(id -> !minority.contains(id)).collect(Collectors.toSet());
          target = "split " + sorted(minority) + " | " + sorted(majority);
          cluster.network().partition(minority, majority);
        }
        if (kind != 1) {
          // The leader is cut off: the cut lasts until the rest have a leader that wrote.
          note = Succession.awaitCommits(cluster, leader, leaderTerm);
        }
        holdFrom(cutAt);
        cluster.network().heal();
      }
      case DELAY -> {
        target = "all links +20..70 ms";
        cluster.network().delayAll(Duration.ofMillis(20), Duration.ofMillis(50));
        hold();
        cluster.network().heal();
      }
      case DROP -> {
        target = "all links, 0.5% of chunks cut their connection";
        cluster.network().dropAll(0.005);
        hold();
        cluster.network().heal();
      }
      case SNAPSHOT -> {
        ChaosNode victim = cluster.learners().isEmpty() ? cluster.followers(leader).get(0)
            : cluster.learners().get(turn % cluster.learners().size());
        target = roleOf(victim, leader) + " " + victim.id;
        long installsBefore = installs(victim);
        victim.kill();
        // The leader snapshots once per interval and truncates its log behind it: the
        // stopped replica then cannot catch up from the log.
        sleepUnlessStopped(Duration.ofSeconds(options.snapshotIntervalSecs() + 3L), Long.MAX_VALUE);
        victim.restart();
        boolean installed = awaitInstall(victim, installsBefore, INSTALL_WAIT);
        note = installed ? "snapshot installed"
            : "no snapshot install seen within " + INSTALL_WAIT.toSeconds() + " s";
      }
      case MEMBERSHIP -> {
        ChaosNode spare = cluster.spare();
        target = "add and remove learner " + spare.id;
        cluster.addSpareLearner();
        long commit = cluster.status(leader).map(StatusResponse::getCommitIndex).orElse(0L);
        hold();
        long applied = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (applied < commit && System.nanoTime() < deadline) {
          applied = cluster.status(spare).map(StatusResponse::getAppliedIndex).orElse(0L);
          Thread.sleep(100); // the learner catching up in another process
        }
        note = applied >= commit ? "learner caught up past index " + commit
            : "learner at " + applied + " of " + commit + " after 30 s";
        cluster.removeSpareLearner();
      }
      case RESTART -> {
        target = "every node killed and restarted";
        for (ChaosNode node : cluster.initialMembers()) {
          node.kill();
        }
        for (ChaosNode node : cluster.initialMembers()) {
          node.restart();
        }
        Optional<ChaosNode> elected = cluster.awaitLeader(Duration.ofSeconds(60));
        note = elected.map(n -> "new leader " + n.id).orElse("no leader within 60 s");
      }
      default -> throw new IllegalStateException("unhandled fault " + fault);
    }
    FaultEvent event = new FaultEvent(fault, target, start, elapsedMs.getAsLong(), note);
    events.add(event);
    LOG.info("fault {} on {} from {} ms to {} ms {}", fault.cliName(), target, event.startMs(),
        event.endMs(), note);
    return true;
  }

  /** Leader, follower, learner in turn (a follower when there are no learners). */
  private ChaosNode rotate(int turn, ChaosNode leader) {
    return switch (turn % 3) {
      case 0 -> leader;
      case 1 -> cluster.followers(leader).get(turn % cluster.followers(leader).size());
      default -> cluster.learners().isEmpty() ? cluster.followers(leader).get(0)
          : cluster.learners().get(turn % cluster.learners().size());
    };
  }

  private static String roleOf(ChaosNode node, ChaosNode leader) {
    return node == leader ? "leader" : node.learner ? "learner" : "follower";
  }

  private static String sorted(Set<String> ids) {
    return ids.stream().sorted().collect(Collectors.joining(",", "{", "}"));
  }

  private void hold() throws InterruptedException {
    sleepUnlessStopped(options.faultHold(), Long.MAX_VALUE);
  }

  /** Holds until {@code faultHold} has passed since {@code startNanos}. */
  private void holdFrom(long startNanos) throws InterruptedException {
    long left = startNanos + options.faultHold().toNanos() - System.nanoTime();
    if (left > 0) {
      sleepUnlessStopped(Duration.ofNanos(left), Long.MAX_VALUE);
    }
  }

  /** A fault's hold is a wall-clock duration, not a condition: there is nothing to wait on. */
  private void sleepUnlessStopped(Duration duration, long untilMs) throws InterruptedException {
    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() < end && elapsedMs.getAsLong() < untilMs) {
      if (stopped && untilMs != Long.MAX_VALUE) {
        return;
      }
      Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
    }
  }

  private static long installs(ChaosNode node) throws IOException {
    if (!Files.exists(node.log())) {
      return 0;
    }
    try (var lines = Files.lines(node.log())) {
      return lines.filter(l -> l.contains(INSTALL_LINE)).count();
    }
  }

  private static boolean awaitInstall(ChaosNode node, long before, Duration wait)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      if (installs(node) > before) {
        return true;
      }
      Thread.sleep(200); // watching another process's log file
    }
    return false;
  }
}
