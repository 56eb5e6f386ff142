package raftkv.chaos;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a chaos run does. Immutable; the constructor names the first invalid field.
 *
 * @param voters 3 or 5
 * @param learners 0..4
 * @param duration the floor of the fault window: faults are injected at least this long while
 *     the workload runs, and longer until each kind has run once
 * @param faults the fault kinds to cycle through, at least one; each is injected at least once
 * @param seed seeds the workload and the fault schedule
 * @param sessions concurrent client sessions of the workload (each one operation at a time)
 * @param faultHold how long each fault lasts before it is healed
 * @param quiet how long the cluster runs without a fault between two faults
 * @param electionTimeoutMs the nodes' election timeout
 * @param snapshotIntervalSecs the nodes' snapshot interval: small, so that snapshots are taken
 *     and installed under load
 * @param keysPerEpoch keys in use at a time; the key set changes every {@code epoch}, which
 *     keeps each key's history small enough for the linearizability search
 * @param epoch how long one key set is used
 * @param boundMs the staleness bound of BOUNDED reads
 * @param broken test-only switches passed to every node ({@code raftkv.broken}); empty in
 *     normal runs
 * @param cpuLoad busy threads of CPU contention the run adds beside the nodes ({@link
 *     CpuLoad}), 0..{@link #MAX_CPU_LOAD}; 0 adds none
 * @param maxDuration the ceiling of the fault window: faults go on past {@code duration} until
 *     every kind in {@code faults} has been injected once, but no fault starts after this
 *     (measured from the start of the workload, like {@code duration}); at least {@code
 *     duration}
 */
public record ChaosOptions(int voters, int learners, Duration duration, Set<Fault> faults,
    long seed, int sessions, Duration faultHold, Duration quiet, int electionTimeoutMs,
    int snapshotIntervalSecs, int keysPerEpoch, Duration epoch, long boundMs,
    List<String> broken, int cpuLoad, Duration maxDuration) {

  /** The most busy threads {@code cpuLoad} takes: a typo must not start hundreds of them. */
  public static final int MAX_CPU_LOAD = 16;

  /** The longest fault window {@code maxDuration} allows. */
  static final Duration MAX_CEILING = Duration.ofHours(48);

  /**
   * How far past the floor the ceiling is unless set. Generous: on a loaded 2-core machine
   * only 4 of the 8 kinds fitted in 60 s (snapshot took 27 s, restart 23 s; issue 12).
   */
  static final Duration DEFAULT_CEILING_MARGIN = Duration.ofMinutes(10);

  public ChaosOptions {
    if (faults.isEmpty()) {
      throw new IllegalArgumentException("at least one fault kind is needed");
    }
    faults = EnumSet.copyOf(faults);
    broken = List.copyOf(broken);
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(maxDuration, "maxDuration");
    if (voters != 3 && voters != 5) {
      throw new IllegalArgumentException("voters must be 3 or 5, got " + voters);
    }
    if (learners < 0 || learners > 4) {
      throw new IllegalArgumentException("learners must be 0..4, got " + learners);
    }
    if (duration.toSeconds() < 5 || duration.toHours() > 24) {
      throw new IllegalArgumentException("duration must be 5s..24h, got " + duration);
    }
    if (sessions < 1 || sessions > 256) {
      throw new IllegalArgumentException("sessions must be 1..256, got " + sessions);
    }
    if (electionTimeoutMs < 1000) {
      throw new IllegalArgumentException("election timeout must be >= 1000 ms (lower splits"
          + " votes on a loaded machine), got " + electionTimeoutMs);
    }
    if (faultHold.compareTo(Duration.ofMillis(2L * electionTimeoutMs)) < 0) {
      throw new IllegalArgumentException("fault hold must be at least two election timeouts ("
          + 2 * electionTimeoutMs + " ms), got " + faultHold.toMillis() + " ms");
    }
    if (keysPerEpoch < 1 || keysPerEpoch > 1000) {
      throw new IllegalArgumentException("keys per epoch must be 1..1000, got " + keysPerEpoch);
    }
    if (cpuLoad < 0 || cpuLoad > MAX_CPU_LOAD) {
      throw new IllegalArgumentException("cpu load must be 0.." + MAX_CPU_LOAD
          + " busy threads, got " + cpuLoad);
    }
    if (maxDuration.compareTo(duration) < 0 || maxDuration.compareTo(MAX_CEILING) > 0) {
      throw new IllegalArgumentException("max duration must be at least the duration ("
          + duration.toSeconds() + " s) and at most " + MAX_CEILING.toHours() + "h, got "
          + maxDuration.toSeconds() + " s");
    }
  }

  /** The ceiling when none is given: {@code duration} + {@link #DEFAULT_CEILING_MARGIN}. */
  public static Duration defaultMaxDuration(Duration duration) {
    return duration.plus(DEFAULT_CEILING_MARGIN);
  }

  /** Defaults for everything but duration, faults and seed. */
  public static ChaosOptions of(Duration duration, Set<Fault> faults, long seed) {
    return new ChaosOptions(3, 2, duration, faults, seed, 12, Duration.ofSeconds(3),
        Duration.ofSeconds(1), 1000, 5, 8, Duration.ofSeconds(5), 1000, List.of(), 0,
        defaultMaxDuration(duration));
  }

  public ChaosOptions withBroken(List<String> switches) {
    return new ChaosOptions(voters, learners, duration, faults, seed, sessions, faultHold, quiet,
        electionTimeoutMs, snapshotIntervalSecs, keysPerEpoch, epoch, boundMs, switches, cpuLoad,
        maxDuration);
  }

  public ChaosOptions withTopology(int newVoters, int newLearners) {
    return new ChaosOptions(newVoters, newLearners, duration, faults, seed, sessions, faultHold,
        quiet, electionTimeoutMs, snapshotIntervalSecs, keysPerEpoch, epoch, boundMs, broken,
        cpuLoad, maxDuration);
  }

  public ChaosOptions withSessions(int n) {
    return new ChaosOptions(voters, learners, duration, faults, seed, n, faultHold, quiet,
        electionTimeoutMs, snapshotIntervalSecs, keysPerEpoch, epoch, boundMs, broken, cpuLoad,
        maxDuration);
  }

  public ChaosOptions withTiming(Duration hold, Duration quietTime) {
    return new ChaosOptions(voters, learners, duration, faults, seed, sessions, hold, quietTime,
        electionTimeoutMs, snapshotIntervalSecs, keysPerEpoch, epoch, boundMs, broken, cpuLoad,
        maxDuration);
  }

  public ChaosOptions withCpuLoad(int threads) {
    return new ChaosOptions(voters, learners, duration, faults, seed, sessions, faultHold, quiet,
        electionTimeoutMs, snapshotIntervalSecs, keysPerEpoch, epoch, boundMs, broken, threads,
        maxDuration);
  }

  public ChaosOptions withMaxDuration(Duration ceiling) {
    return new ChaosOptions(voters, learners, duration, faults, seed, sessions, faultHold, quiet,
        electionTimeoutMs, snapshotIntervalSecs, keysPerEpoch, epoch, boundMs, broken, cpuLoad,
        ceiling);
  }
}
