package raftkv.history;

import java.util.List;
import java.util.Objects;

/**
 * What one checker found. Immutable.
 *
 * @param checker the checker's name (for the single-guarantee checkers, the guarantee's name;
 *     {@code "session-guarantees"} for {@link SessionGuaranteesChecker})
 * @param opsChecked ops (or, for convergence, replicas) the checker could judge; ops lacking the
 *     information a rule needs are not counted
 * @param undecided parts the checker could neither prove nor refute (keys whose linearizability
 *     search exceeded its budget); 0 for the other checkers
 * @param violations every violation found, in the order found
 */
public record CheckResult(String checker, long opsChecked, long undecided,
    List<Violation> violations) {

  public CheckResult {
    Objects.requireNonNull(checker, "checker");
    if (opsChecked < 0 || undecided < 0) throw new IllegalArgumentException("negative count");
    violations = List.copyOf(violations);
  }

  /** A result with nothing undecided. */
  public CheckResult(String checker, long opsChecked, List<Violation> violations) {
    this(checker, opsChecked, 0, violations);
  }

  /**
   * True only if nothing was violated and nothing was left undecided: an undecided key is never
   * to be read as a pass.
   */
  public boolean ok() {
    return violations.isEmpty() && undecided == 0;
  }

  /** The number of violations of {@code guarantee}. */
  public long count(String guarantee) {
    return violations.stream().filter(v -> v.guarantee().equals(guarantee)).count();
  }
}
