package raftkv.cli;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * "Did you mean": the known names closest to a mistyped one. picocli's own suggestion ranks by
 * shared letter pairs, so {@code gte} got "delete or cluster"; edit distance gets {@code get}.
 * Stateless.
 */
final class Suggestions {
  private Suggestions() {}

  /**
   * The names nearest to {@code typed}, best first: those it is a prefix of (at least two
   * characters typed), else those the fewest single-character edits away, at most
   * max(2, length / 4) edits; empty when nothing is that close.
   */
  static List<String> closest(String typed, Collection<String> names) {
    String t = typed.toLowerCase(Locale.ROOT);
    int allowed = Math.max(2, t.length() / 4);
    LevenshteinDistance distance = new LevenshteinDistance(allowed);
    int best = Integer.MAX_VALUE;
    for (String name : names) {
      best = Math.min(best, score(t, name, distance));
    }
    int found = best;
    return best > allowed ? List.of()
        : names.stream().distinct().sorted().filter(n -> score(t, n, distance) == found).toList();
  }

  /** 0 for a prefix, else the edit distance; above the threshold when farther. */
  private static int score(String typed, String name, LevenshteinDistance distance) {
    String n = name.toLowerCase(Locale.ROOT);
    if (typed.length() >= 2 && n.startsWith(typed)) {
      return 0;
    }
    int d = distance.apply(typed, n);
    return d < 0 ? Integer.MAX_VALUE : d;
  }
}
