package raftkv.bench;

import java.time.Duration;
import java.util.Objects;

/**
 * What one bench run does. Immutable; built with {@link #builder()}, validated by
 * {@link Builder#build()} with a message that names the option, its value and the rule.
 *
 * @param duration how long operations are measured, after the warmup
 * @param warmup how long operations run before measuring starts (results discarded)
 * @param clients the most operations in flight at once
 * @param sessions how many client sessions the operations rotate over; each session has at
 *     most one operation in flight, so its order (and the checks that rely on it) is defined
 * @param rate target operations per second with Poisson arrivals (open loop), or 0 for a
 *     closed loop where each completion starts the next operation
 * @param readRatio the fraction of MIXED operations that are reads
 * @param keys how many distinct keys MIXED operations use
 * @param keyDistribution how those keys are drawn
 * @param zipfExponent the exponent of the Zipf distribution
 * @param valueSize bytes per written value (at least the unique id each value starts with)
 * @param consistency the read level of each read
 * @param pattern the shape of each operation
 * @param maxStaleness the bound of BOUNDED_STALENESS reads
 * @param preloadKeys keys written before the run so that MIXED reads find something
 * @param seed the seed of every random choice (key, level, read or write, arrival)
 */
public record BenchOptions(Duration duration, Duration warmup, int clients, int sessions,
    double rate, double readRatio, int keys, KeyDistribution keyDistribution,
    double zipfExponent, int valueSize, LevelMix consistency, Pattern pattern,
    Duration maxStaleness, int preloadKeys, long seed) {

  public static Builder builder() {
    return new Builder();
  }

  /** True for an open-loop run (a target rate). */
  public boolean openLoop() {
    return rate > 0;
  }

  /** Mutable, single-threaded builder; defaults as on the command line. */
  public static final class Builder {
    private Duration duration = Duration.ofSeconds(10);
    private Duration warmup = Duration.ofSeconds(2);
    private int clients = 16;
    private int sessions = 0;
    private double rate = 0;
    private double readRatio = 0.5;
    private int keys = 10_000;
    private KeyDistribution keyDistribution = KeyDistribution.UNIFORM;
    private double zipfExponent = 0.99;
    private int valueSize = 100;
    private LevelMix consistency = LevelMix.of(raftkv.v1.Consistency.SESSION);
    private Pattern pattern = Pattern.MIXED;
    private Duration maxStaleness = Duration.ofMillis(500);
    private int preloadKeys = -1;
    private long seed = System.nanoTime();

    private Builder() {}

    public Builder duration(Duration d) { this.duration = d; return this; }
    public Builder warmup(Duration d) { this.warmup = d; return this; }
    public Builder clients(int n) { this.clients = n; return this; }
    /** 0 = as many sessions as clients. */
    public Builder sessions(int n) { this.sessions = n; return this; }
    public Builder rate(double opsPerSecond) { this.rate = opsPerSecond; return this; }
    public Builder readRatio(double r) { this.readRatio = r; return this; }
    public Builder keys(int n) { this.keys = n; return this; }
    public Builder keyDistribution(KeyDistribution d) { this.keyDistribution = d; return this; }
    public Builder zipfExponent(double s) { this.zipfExponent = s; return this; }
    public Builder valueSize(int bytes) { this.valueSize = bytes; return this; }
    public Builder consistency(LevelMix mix) { this.consistency = mix; return this; }
    public Builder pattern(Pattern p) { this.pattern = p; return this; }
    public Builder maxStaleness(Duration d) { this.maxStaleness = d; return this; }
    /** -1 = {@code min(keys, 10000)} for MIXED runs with reads, else none. */
    public Builder preloadKeys(int n) { this.preloadKeys = n; return this; }
    public Builder seed(long s) { this.seed = s; return this; }

    /** @throws IllegalArgumentException naming the first option that breaks its rule */
    public BenchOptions build() {
      Objects.requireNonNull(consistency, "consistency");
      Objects.requireNonNull(pattern, "pattern");
      Objects.requireNonNull(keyDistribution, "keyDistribution");
      require(duration != null && duration.toMillis() > 0, "--duration", duration, "must be > 0");
      require(warmup != null && !warmup.isNegative(), "--warmup", warmup, "must be >= 0");
      require(clients >= 1 && clients <= 100_000, "--clients", clients, "must be in 1..100000");
      int s = sessions == 0 ? clients : sessions;
      require(s >= clients && s <= 1_000_000, "--sessions", sessions,
          "must be >= --clients (" + clients + ", a session has one operation in flight at a "
              + "time) and <= 1000000");
      require(rate >= 0 && rate <= 10_000_000 && !Double.isNaN(rate), "--rate", rate,
          "must be in 0..10000000 (0 = closed loop)");
      require(readRatio >= 0 && readRatio <= 1, "--read-ratio", readRatio, "must be in 0..1");
      require(keys >= 1, "--keys", keys, "must be >= 1");
      require(zipfExponent > 0 && zipfExponent <= 10, "--zipf-exponent", zipfExponent,
          "must be in (0, 10]");
      require(valueSize >= 0 && valueSize <= 1 << 20, "--value-size", valueSize,
          "must be in 0..1048576 (the server's value limit)");
      require(maxStaleness != null && maxStaleness.toMillis() >= 1, "--max-staleness",
          maxStaleness, "must be >= 1ms");
      int preload = preloadKeys >= 0 ? preloadKeys
          : pattern == Pattern.MIXED && readRatio > 0 ? Math.min(keys, 10_000) : 0;
      require(preload <= keys, "--preload", preloadKeys, "must be <= --keys (" + keys + ")");
      return new BenchOptions(duration, warmup, clients, s, rate, readRatio, keys,
          keyDistribution, zipfExponent, valueSize, consistency, pattern, maxStaleness, preload,
          seed);
    }

    private static void require(boolean ok, String option, Object value, String rule) {
      if (!ok) {
        throw new IllegalArgumentException(option + " " + value + " " + rule);
      }
    }
  }
}
