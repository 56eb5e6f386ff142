package raftkv.chaos;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

/**
 * Which fault kind comes next. Kinds come in rounds, each round every requested kind once in
 * seeded random order, so that the first round alone sees every kind however long each takes.
 * A kind is done once one injection of it completed (a failed one does not count). Before the
 * floor (the run's {@code --duration}) rounds repeat; after it only kinds not yet done are
 * drawn, and the schedule ends once every kind is done. Whether the floor has passed, and the
 * ceiling, are the caller's clock: this class has none, so it is tested without one.
 *
 * <p>Not thread-safe: the nemesis thread only.
 */
final class FaultSchedule {
  private final Set<Fault> requested;
  private final Random random;
  private final Deque<Fault> round = new ArrayDeque<>();
  private final Set<Fault> done = EnumSet.noneOf(Fault.class);

  /** @param requested at least one kind */
  FaultSchedule(Set<Fault> requested, Random random) {
    if (requested.isEmpty()) {
      throw new IllegalArgumentException("no fault kind to schedule");
    }
    this.requested = EnumSet.copyOf(requested);
    this.random = random;
  }

  /**
   * The next kind to inject, or empty when {@code floorPassed} and every kind is done.
   *
   * @param floorPassed whether the run's duration has passed
   */
  Optional<Fault> next(boolean floorPassed) {
    if (floorPassed && missing().isEmpty()) {
      return Optional.empty();
    }
    while (true) {
      if (round.isEmpty()) {
        List<Fault> kinds = new ArrayList<>(floorPassed ? missing() : requested);
        Collections.shuffle(kinds, random);
        round.addAll(kinds);
      }
      Fault fault = round.poll();
      if (!floorPassed || !done.contains(fault)) {
        return Optional.of(fault);
      }
    }
  }

  /** Records that an injection of {@code fault} completed. */
  void completed(Fault fault) {
    done.add(fault);
  }

  /** Requested kinds with no completed injection yet. */
  Set<Fault> missing() {
    Set<Fault> out = EnumSet.copyOf(requested);
    out.removeAll(done);
    return out;
  }
}
