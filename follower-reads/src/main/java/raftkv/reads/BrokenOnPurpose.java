package raftkv.reads;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Consistency bugs a node can be started with on purpose, so that tests can prove the
 * checkers catch them. Each breaks exactly one rule: an admission rule of {@link ReadPath},
 * or the Watch service's no-gap rule; with none on, the node is the normal one. Never for
 * production.
 */
public enum BrokenOnPurpose {
  /**
   * On a learner, SESSION reads are admitted at once from local state, whatever index the
   * session token needs. Responses still report the index actually served.
   */
  LEARNER_IGNORES_TOKEN("learner-ignores-token"),
  /**
   * LINEARIZABLE reads are served from local state with no ReadIndex round whenever this node
   * believes it leads ({@link raftkv.core.RaftNode#believesLeader}), as an old leader that
   * was paused or cut off and never heard of its successor would.
   */
  STALE_LEADER_READS("stale-leader-reads"),
  /**
   * A Watch started from an explicit start (an index or a token: a resume) silently drops
   * the first change set it would have sent; the stream's positions still advance past it.
   * Enforced by the server's Watch service, not by {@link ReadPath}.
   */
  WATCH_SKIPS_ON_RESUME("watch-skips-on-resume");

  /** The system property a node reads its switches from at start: comma-separated names. */
  public static final String SYSTEM_PROPERTY = "raftkv.broken";

  private final String switchName;

  BrokenOnPurpose(String switchName) {
    this.switchName = switchName;
  }

  /** The name used in {@link #SYSTEM_PROPERTY} and in logs. */
  public String switchName() {
    return switchName;
  }

  /**
   * Parses comma-separated switch names (blank or null: none).
   *
   * @throws IllegalArgumentException naming the unknown switch and listing the valid ones
   */
  public static Set<BrokenOnPurpose> parse(String names) {
    Set<BrokenOnPurpose> result = EnumSet.noneOf(BrokenOnPurpose.class);
    if (names == null || names.isBlank()) {
      return result;
    }
    for (String name : names.split(",")) {
      String trimmed = name.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      result.add(Arrays.stream(values()).filter(b -> b.switchName.equals(trimmed)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException(SYSTEM_PROPERTY + ": unknown switch '"
              + trimmed + "'; valid: " + names(EnumSet.allOf(BrokenOnPurpose.class)))));
    }
    return result;
  }

  /** The switches named in {@link #SYSTEM_PROPERTY}; see {@link #parse}. */
  public static Set<BrokenOnPurpose> fromSystemProperty() {
    return parse(System.getProperty(SYSTEM_PROPERTY));
  }

  /** "a, b" in declaration order. */
  public static String names(Set<BrokenOnPurpose> switches) {
    return switches.stream().sorted().map(BrokenOnPurpose::switchName)
        .collect(Collectors.joining(", "));
  }
}
