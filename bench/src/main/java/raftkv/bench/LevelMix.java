package raftkv.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import raftkv.v1.Consistency;

/**
 * Which read level each read of a run uses: one level, or a weighted mix such as
 * {@code session:0.8,linearizable:0.2}. Immutable and thread-safe.
 *
 * <p>Level names are {@code linearizable}, {@code session}, {@code bounded} (bounded staleness,
 * at the run's bound) and {@code eventual}, case-insensitive. Weights are relative: they need
 * not sum to 1.
 */
public final class LevelMix {
  private final Map<Consistency, Double> weights;
  private final Consistency[] levels;
  private final double[] cumulative;

  private LevelMix(Map<Consistency, Double> weights) {
    this.weights = Collections.unmodifiableMap(new EnumMap<>(weights));
    this.levels = weights.keySet().toArray(new Consistency[0]);
    this.cumulative = new double[levels.length];
    double total = weights.values().stream().mapToDouble(Double::doubleValue).sum();
    double sum = 0;
    for (int i = 0; i < levels.length; i++) {
      sum += weights.get(levels[i]) / total;
      cumulative[i] = sum;
    }
    cumulative[levels.length - 1] = 1.0;
  }

  /** Every read at {@code level}. */
  public static LevelMix of(Consistency level) {
    if (!ConsistencyChecker.LEVELS.contains(level)) {
      throw new IllegalArgumentException("a read level is one of " + ConsistencyChecker.LEVELS
          + ", got " + level);
    }
    return new LevelMix(Map.of(level, 1.0));
  }

  /**
   * Parses {@code level[:weight],...}; a level without a weight weighs 1.
   *
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static LevelMix parse(String spec) {
    try {
      return parseMix(spec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--consistency: " + e.getMessage());
    }
  }

  private static LevelMix parseMix(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("empty; give a level (linearizable, "
          + "session, bounded, eventual) or a mix such as session:0.8,linearizable:0.2");
    }
    EnumMap<Consistency, Double> weights = new EnumMap<>(Consistency.class);
    for (String part : spec.split(",")) {
      String[] nameWeight = part.trim().split(":", -1);
      if (nameWeight.length > 2) {
        throw new IllegalArgumentException("'" + part + "' is not level[:weight]");
      }
      Consistency level = level(nameWeight[0]);
      double weight = 1;
      if (nameWeight.length == 2) {
        try {
          weight = Double.parseDouble(nameWeight[1]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("the weight in '" + part + "' is not a number");
        }
      }
      if (!(weight > 0) || Double.isInfinite(weight)) {
        throw new IllegalArgumentException("the weight in '" + part + "' must be > 0");
      }
      if (weights.put(level, weight) != null) {
        throw new IllegalArgumentException("level " + nameWeight[0] + " is named twice in '"
            + spec + "'");
      }
    }
    return new LevelMix(weights);
  }

  /** The level named {@code name} (see the class comment). */
  public static Consistency level(String name) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "linearizable" -> Consistency.LINEARIZABLE;
      case "session" -> Consistency.SESSION;
      case "bounded", "bounded_staleness", "bounded-staleness" -> Consistency.BOUNDED_STALENESS;
      case "eventual" -> Consistency.EVENTUAL;
      default -> throw new IllegalArgumentException("unknown read level '" + name.trim()
          + "'; levels are linearizable, session, bounded, eventual");
    };
  }

  /** The name a level has in reports and on the command line. */
  public static String name(Consistency level) {
    return level == Consistency.BOUNDED_STALENESS ? "bounded"
        : level.name().toLowerCase(Locale.ROOT);
  }

  /** The level for a read, given a uniform draw in [0, 1). */
  Consistency pick(double uniform) {
    for (int i = 0; i < levels.length; i++) {
      if (uniform < cumulative[i]) {
        return levels[i];
      }
    }
    return levels[levels.length - 1];
  }

  /** The levels in the mix, in {@link ConsistencyChecker#LEVELS} order. */
  public List<Consistency> levels() {
    List<Consistency> out = new ArrayList<>(weights.keySet());
    out.sort(java.util.Comparator.comparingInt(ConsistencyChecker.LEVELS::indexOf));
    return out;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Consistency level : levels()) {
      sb.append(sb.length() == 0 ? "" : ",").append(name(level));
      if (weights.size() > 1) {
        sb.append(':').append(weights.get(level));
      }
    }
    return sb.toString();
  }
}
