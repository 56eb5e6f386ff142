package raftkv.history;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Lowe's memo: the (linearized set, register state) configurations already visited. Two paths that
 * reach the same set of linearized ops and the same state have the same future, so the second is
 * pruned. Not thread-safe; one per search.
 *
 * <p>Sets are stored exactly (no hash-only entries: a collision would wrongly prune a path and
 * report a false violation), trimmed to the words between the leading all-ones words and the
 * trailing zero words, which for a search sweeping forward in time is usually one or two words.
 * Interchangeable spare writes (see {@code KeySearch}) are always used in order, so they are
 * stored as a count rather than as bits: bits for them would leave holes that widen every set.
 */
final class Configurations {

  private final Set<Config> seen = new HashSet<>();

  /** Adds the configuration; false if it was already there. */
  boolean add(long[] bits, long bitsHash, int state, int sparesUsed) {
    int from = 0;
    while (from < bits.length && bits[from] == -1L) from++;
    int to = bits.length;
    while (to > from && bits[to - 1] == 0L) to--;
    long hash = bitsHash ^ (state * 0x9E3779B97F4A7C15L) ^ (sparesUsed * 0xC2B2AE3D27D4EB4FL);
    return seen.add(new Config(hash, state, sparesUsed, from, Arrays.copyOfRange(bits, from, to)));
  }

  int size() {
    return seen.size();
  }

  private static final class Config {
    final long hash;
    final int state;
    final int sparesUsed;
    final int from;
    final long[] words;

    Config(long hash, int state, int sparesUsed, int from, long[] words) {
      this.hash = hash;
      this.state = state;
      this.sparesUsed = sparesUsed;
      this.from = from;
      this.words = words;
    }

    @Override
    public int hashCode() {
      return (int) (hash ^ (hash >>> 32));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Config c && c.hash == hash && c.state == state && c.sparesUsed == sparesUsed
          && c.from == from
          && Arrays.equals(c.words, words);
    }
  }
}
