package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.v1.Consistency.BOUNDED_STALENESS;
import static raftkv.v1.Consistency.EVENTUAL;
import static raftkv.v1.Consistency.LINEARIZABLE;
import static raftkv.v1.Consistency.SESSION;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.client.KvClient;
import raftkv.v1.Consistency;

/**
 * What a user may type for a run, and what is refused with a message naming the option: the
 * read-level mix ({@link LevelMix}), the run's options ({@link BenchOptions.Builder#build}),
 * patterns and key distributions, and how Zipf keys are drawn.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BenchOptionsTest {

  private KvClient client;

  @AfterEach
  void closeClient() {
    if (client != null) {
      client.close();
    }
  }

  // ---- LevelMix ----

  @Test
  void aSingleLevelSendsEveryReadAtThatLevel() {
    Map<String, Consistency> names = Map.of("linearizable", LINEARIZABLE, "Session", SESSION,
        "bounded", BOUNDED_STALENESS, "bounded-staleness", BOUNDED_STALENESS,
        " EVENTUAL ", EVENTUAL);
    names.forEach((name, level) -> {
      LevelMix mix = LevelMix.parse(name);
      assertThat(mix.levels()).as(name).containsExactly(level);
      for (int i = 0; i < 100; i++) {
        assertThat(mix.pick(i / 100.0)).as("%s at draw %d", name, i).isEqualTo(level);
      }
    });
    assertThat(LevelMix.of(SESSION).levels()).containsExactly(SESSION);
    assertThat(LevelMix.name(BOUNDED_STALENESS)).isEqualTo("bounded");
    assertThat(LevelMix.name(LINEARIZABLE)).isEqualTo("linearizable");
  }

  @Test
  void aWeightedMixPicksEachLevelInProportionToItsWeight() {
    LevelMix mix = LevelMix.parse("session:3,eventual:1");
    Map<Consistency, Integer> picks = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      picks.merge(mix.pick(i / 100.0), 1, Integer::sum);
    }

    assertThat(picks).containsOnly(Map.entry(SESSION, 75), Map.entry(EVENTUAL, 25));
    // Reports list the levels in a fixed order, whatever order the user gave.
    assertThat(mix.levels()).containsExactly(SESSION, EVENTUAL);
  }

  @Test
  void weightsAreRelativeAndALevelWithoutAWeightWeighsOne() {
    LevelMix mix = LevelMix.parse("linearizable, session:0.5 ,bounded:0.5,eventual:2");
    Map<Consistency, Integer> picks = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      picks.merge(mix.pick(i / 100.0), 1, Integer::sum);
    }

    assertThat(picks).containsOnly(Map.entry(LINEARIZABLE, 25), Map.entry(SESSION, 13),
        Map.entry(BOUNDED_STALENESS, 12), Map.entry(EVENTUAL, 50));
    assertThat(mix.levels()).containsExactly(LINEARIZABLE, SESSION, BOUNDED_STALENESS, EVENTUAL);
  }

  @Test
  void anUnknownLevelIsRefusedNamingItAndTheLevels() {
    assertThatThrownBy(() -> LevelMix.parse("session:1,bogus:2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'bogus'")
        .hasMessageContaining("linearizable, session, bounded, eventual");
    assertThatThrownBy(() -> LevelMix.parse(""))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--consistency");
  }

  @Test
  void aWeightThatIsNotAPositiveNumberIsRefusedNamingThePart() {
    assertThatThrownBy(() -> LevelMix.parse("session:-1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'session:-1'").hasMessageContaining("must be > 0");
    assertThatThrownBy(() -> LevelMix.parse("eventual:1,session:0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'session:0'").hasMessageContaining("must be > 0");
    assertThatThrownBy(() -> LevelMix.parse("session:lots"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'session:lots'").hasMessageContaining("not a number");
    assertThatThrownBy(() -> LevelMix.parse("session:NaN"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'session:NaN'");
    assertThatThrownBy(() -> LevelMix.parse("session:Infinity"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'session:Infinity'");
    assertThatThrownBy(() -> LevelMix.parse("session:1:2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'session:1:2'").hasMessageContaining("level[:weight]");
  }

  @Test
  void aLevelNamedTwiceIsRefusedNamingIt() {
    assertThatThrownBy(() -> LevelMix.parse("session:1,eventual:1,session:2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("session is named twice")
        .hasMessageContaining("'session:1,eventual:1,session:2'");
    // Two spellings of one level are one level.
    assertThatThrownBy(() -> LevelMix.parse("bounded,bounded-staleness"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("named twice");
  }

  @Test
  void onlyTheFourReadLevelsCanBeMixed() {
    assertThatThrownBy(() -> LevelMix.of(Consistency.CONSISTENCY_UNSPECIFIED))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CONSISTENCY_UNSPECIFIED");
  }

  // ---- BenchOptions ----

  @Test
  void defaultsGiveAClosedLoopWithOneSessionPerClientAndAPreloadForMixedReads() {
    BenchOptions o = BenchOptions.builder().clients(8).keys(500).build();

    assertThat(o.sessions()).isEqualTo(8);
    assertThat(o.openLoop()).isFalse();
    assertThat(o.pattern()).isEqualTo(Pattern.MIXED);
    assertThat(o.consistency().levels()).containsExactly(SESSION);
    assertThat(o.preloadKeys()).isEqualTo(500);
    assertThat(BenchOptions.builder().keys(50_000).build().preloadKeys()).isEqualTo(10_000);
    // Nothing to preload when nothing reads a random key.
    assertThat(BenchOptions.builder().pattern(Pattern.WRITE_THEN_READ).build().preloadKeys())
        .isZero();
    assertThat(BenchOptions.builder().readRatio(0).build().preloadKeys()).isZero();
    assertThat(BenchOptions.builder().rate(100).build().openLoop()).isTrue();
  }

  @Test
  void fewerSessionsThanClientsIsRefusedNamingBothOptions() {
    assertRefused(b -> b.clients(4).sessions(2), "--sessions 2", "--clients (4");
  }

  @Test
  void eachOutOfRangeOptionIsRefusedNamingIt() {
    assertRefused(b -> b.readRatio(1.5), "--read-ratio 1.5", "0..1");
    assertRefused(b -> b.readRatio(-0.1), "--read-ratio -0.1", "0..1");
    assertRefused(b -> b.clients(0), "--clients 0", "1..100000");
    assertRefused(b -> b.duration(Duration.ZERO), "--duration", "> 0");
    assertRefused(b -> b.warmup(Duration.ofSeconds(-1)), "--warmup", ">= 0");
    assertRefused(b -> b.rate(-5), "--rate -5", "0 = closed loop");
    assertRefused(b -> b.rate(Double.NaN), "--rate NaN", "0 = closed loop");
    assertRefused(b -> b.keys(0), "--keys 0", ">= 1");
    assertRefused(b -> b.zipfExponent(0), "--zipf-exponent 0", "(0, 10]");
    assertRefused(b -> b.valueSize(-1), "--value-size -1", "0..1048576");
    assertRefused(b -> b.valueSize((1 << 20) + 1), "--value-size 1048577", "0..1048576");
    assertRefused(b -> b.maxStaleness(Duration.ZERO), "--max-staleness", ">= 1ms");
    assertRefused(b -> b.keys(10).preloadKeys(11), "--preload 11", "<= --keys (10)");
  }

  private static void assertRefused(UnaryOperator<BenchOptions.Builder> options,
      String... messageParts) {
    assertThatThrownBy(() -> options.apply(BenchOptions.builder()).build())
        .isInstanceOf(IllegalArgumentException.class)
        .message().contains(messageParts);
  }

  // ---- Pattern, KeyDistribution ----

  @Test
  void patternsParseByTheirCommandLineNames() {
    assertThat(Pattern.parse("mixed")).isEqualTo(Pattern.MIXED);
    assertThat(Pattern.parse(" Write-Then-Read ")).isEqualTo(Pattern.WRITE_THEN_READ);
    for (Pattern p : Pattern.values()) {
      assertThat(Pattern.parse(p.cliName())).isEqualTo(p);
    }
    assertThatThrownBy(() -> Pattern.parse("nope"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--pattern 'nope'").hasMessageContaining("mixed, write-then-read");
  }

  @Test
  void keyDistributionsParseByName() {
    assertThat(KeyDistribution.parse("uniform")).isEqualTo(KeyDistribution.UNIFORM);
    assertThat(KeyDistribution.parse("ZIPF")).isEqualTo(KeyDistribution.ZIPF);
    assertThatThrownBy(() -> KeyDistribution.parse("gauss"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--key-dist 'gauss'").hasMessageContaining("uniform, zipf");
  }

  // ---- keys and values of a session ----

  @Test
  void zipfKeysFavourTheFirstKeyAndStayWithinTheKeyRange() {
    BenchOptions options = BenchOptions.builder().keys(1000)
        .keyDistribution(KeyDistribution.ZIPF).seed(7).build();
    SessionSlot slot = new SessionSlot(0, newSession(), options);
    Map<ByteString, Integer> counts = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      counts.merge(slot.nextKey(), 1, Integer::sum);
    }

    ByteString first = ByteString.copyFromUtf8("bench-00000000");
    ByteString last = ByteString.copyFromUtf8("bench-00000999");
    assertThat(SessionSlot.key(0)).isEqualTo(first);
    assertThat(SessionSlot.key(999)).isEqualTo(last);
    assertThat(counts.keySet()).allSatisfy(k ->
        assertThat(k.toStringUtf8()).matches("bench-00000\\d{3}"));
    assertThat(counts.getOrDefault(first, 0))
        .isGreaterThan(10 * counts.getOrDefault(last, 0))
        .isGreaterThan(0);
  }

  @Test
  void uniformKeysStayWithinTheKeyRange() {
    BenchOptions options = BenchOptions.builder().keys(10).seed(7).build();
    SessionSlot slot = new SessionSlot(3, newSession(), options);
    Map<ByteString, Integer> counts = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      counts.merge(slot.nextKey(), 1, Integer::sum);
    }

    assertThat(counts.keySet()).allSatisfy(k ->
        assertThat(k.toStringUtf8()).matches("bench-0000000\\d"));
    assertThat(counts).hasSize(10);
  }

  @Test
  void everyValueASessionWritesIsUniqueAndHasTheRequestedSize() {
    BenchOptions options = BenchOptions.builder().seed(1).build();
    SessionSlot a = new SessionSlot(1, newSession(), options);
    SessionSlot b = new SessionSlot(11, newSession(), options);
    java.util.Set<ByteString> seen = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) {
      ByteString va = a.nextValue(100);
      ByteString vb = b.nextValue(100);
      assertThat(va.size()).isEqualTo(100);
      assertThat(seen.add(va)).as("value %s is new", va.toStringUtf8()).isTrue();
      assertThat(seen.add(vb)).as("value %s is new", vb.toStringUtf8()).isTrue();
    }
    // A size below the unique id still gets the whole id.
    ByteString tiny = a.nextValue(0);
    assertThat(tiny.toStringUtf8()).isEqualTo("s1-51-");
    assertThat(a.ownKey).isNotEqualTo(b.ownKey);
  }

  /**
   * A session of a client pointed at a port nothing listens on: building a client does not
   * connect, and these tests make no calls.
   */
  private raftkv.client.Session newSession() {
    if (client == null) {
      client = KvClient.builder().endpoints("127.0.0.1:1").build();
    }
    return client.newSession();
  }
}
