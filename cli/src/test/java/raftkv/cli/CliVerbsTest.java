package raftkv.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static raftkv.cli.CliRun.raftkv;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.client.KvClient;
import raftkv.server.Limits;
import raftkv.testkit.MiniCluster;

/**
 * The data and admin verbs of {@code raftkv} as a user runs them against a 3-voter cluster:
 * what each prints (human and {@code --json}), its exit code, and that a refusal prints the
 * server's message. The nodes serve Range pages of at most {@value #PAGE} keys, so listing
 * more keys than that has to follow continuation tokens.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CliVerbsTest {
  static final int PAGE = 10;
  static final String RANGE_PREFIX = "rp/";

  @TempDir static Path dir;
  static MiniCluster cluster;
  static KvClient client;
  static List<String> rangeKeys;

  @BeforeAll
  static void start() {
    Limits smallPages = new Limits(Limits.DEFAULTS.maxKeyBytes(), Limits.DEFAULTS.maxValueBytes(),
        Limits.DEFAULTS.maxRequestBytes(), Limits.DEFAULTS.maxTxnOps(), PAGE,
        Limits.DEFAULTS.maxRangeResponseBytes());
    cluster = MiniCluster.start(3, dir, c -> c.withLimits(smallPages));
    cluster.awaitLeader();
    client = KvClient.builder().endpoints(cluster.endpoints())
        .defaultDeadline(Duration.ofSeconds(30)).build();

    // 25 keys under the prefix, written in random order; byte order differs from numeric
    // order ("rp/10" < "rp/2") and puts non-ASCII after ASCII. Neighbours outside the prefix.
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 22; i++) {
      keys.add(RANGE_PREFIX + i);
    }
    keys.addAll(List.of(RANGE_PREFIX + "Z", RANGE_PREFIX + "a", RANGE_PREFIX + "é"));
    Collections.shuffle(keys, new Random(42));
    for (String key : keys) {
      client.blocking().put(key, "value of " + key);
    }
    client.blocking().put("rp.", "outside");
    client.blocking().put("ro/1", "outside");
    rangeKeys = keys.stream().sorted((a, b) -> Arrays.compareUnsigned(a.getBytes(UTF_8),
        b.getBytes(UTF_8))).toList();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  /** {@code raftkv VERB --endpoints <all three nodes> ARGS...}. */
  static CliRun verb(String verb, String... args) {
    return raftkv(Stream.concat(Stream.of(verb, "--endpoints", cluster.endpoints()),
        Stream.of(args)).toArray(String[]::new));
  }

  // ---- put ----

  @Test
  void putPrintsOkWithTheLogIndexAndTheSessionTokenAndExitsZero() {
    CliRun r = verb("put", "color", "blue");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out().strip()).matches("OK index [1-9][0-9]* token rkv1\\.[0-9a-f]{16}\\.[0-9a-f]{16}");
  }

  @Test
  void putJsonPrintsTheIndexAsANumberAndLaterWritesGetHigherIndexes() {
    CliRun first = verb("put", "--json", "json-key", "v1");
    CliRun second = verb("put", "--json", "json-key", "v2");

    assertThat(first.exitCode()).as(first.toString()).isZero();
    JsonNode index = first.json().get("index");
    assertThat(index.isIntegralNumber()).as(first.out()).isTrue();
    assertThat(index.asLong()).isPositive();
    assertThat(second.json().get("index").asLong()).isGreaterThan(index.asLong());
  }

  @Test
  void putWithoutAValueStoresStandardInputByteForByte() {
    String doc = "{\"big\": \"json\"}\nsecond line, no newline at the end: ✓";

    CliRun put = CliRun.withStdin(doc.getBytes(UTF_8),
        "put", "--endpoints", cluster.endpoints(), "doc");

    assertThat(put.exitCode()).as(put.toString()).isZero();
    assertThat(put.out().strip()).startsWith("OK index ");
    assertThat(client.blocking().get("doc").getKv().getValue().toByteArray())
        .isEqualTo(doc.getBytes(UTF_8));
    assertThat(verb("get", "--json", "doc").json().get("value").asText()).isEqualTo(doc);
  }

  // ---- get ----

  @Test
  void getJsonReportsTheValueItsVersionTheAppliedIndexAndTheServingNode() {
    String value = "héllo wörld ✓";
    long written = verb("put", "--json", "greeting", value).json().get("index").asLong();

    CliRun r = verb("get", "--json", "greeting");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    JsonNode got = r.json();
    assertThat(got.get("found").asBoolean()).isTrue();
    assertThat(got.get("value").asText()).isEqualTo(value);
    assertThat(got.get("version").isIntegralNumber()).isTrue();
    assertThat(got.get("version").asLong()).isEqualTo(written);
    assertThat(got.get("createIndex").asLong()).isEqualTo(written);
    assertThat(got.get("appliedIndex").asLong()).isGreaterThanOrEqualTo(written);
    assertThat(got.get("servedBy").asText()).isIn(cluster.ids());
  }

  @Test
  void getPrintsJustTheValue() {
    client.blocking().put("plain", "just this");

    CliRun r = verb("get", "plain");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("just this" + System.lineSeparator());
  }

  @Test
  void getOfAMissingKeyExitsZeroPrintsNothingAndJsonSaysNotFound() {
    CliRun human = verb("get", "no-such-key");
    CliRun json = verb("get", "--json", "no-such-key");

    assertThat(human.exitCode()).as(human.toString()).isZero();
    assertThat(human.out()).isEmpty();
    assertThat(human.err()).contains("key not found");
    assertThat(json.exitCode()).as(json.toString()).isZero();
    assertThat(json.json().get("found").asBoolean()).isFalse();
    assertThat(json.json().get("value").isNull()).isTrue();
  }

  @Test
  void anEventualGetIsAnsweredByTheNodeItIsSentToOnceThatNodeHasTheWrite() {
    client.blocking().put("everywhere", "eventually");

    for (String id : cluster.ids()) {
      await("eventual read of 'everywhere' on " + id).atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            CliRun r = raftkv("get", "--endpoints", cluster.grpcAddress(id),
                "--consistency", "eventual", "--json", "everywhere");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.json().get("servedBy").asText()).isEqualTo(id);
            assertThat(r.json().get("value").asText()).isEqualTo("eventually");
          });
    }
  }

  @Test
  void anUnknownConsistencyLevelFailsNamingTheAllowedLevels() {
    CliRun get = verb("get", "--consistency", "bogus", "k");
    CliRun range = verb("range", "--consistency", "bogus", "--prefix", "k");

    for (CliRun r : List.of(get, range)) {
      assertThat(r.exitCode()).as(r.toString()).isNotZero();
      assertThat(r.err()).contains("linearizable").contains("eventual").contains("'bogus'");
    }
  }

  // ---- delete ----

  @Test
  void deleteJsonSaysWhetherTheKeyExisted() {
    client.blocking().put("doomed", "x");

    CliRun first = verb("delete", "--json", "doomed");
    CliRun second = verb("delete", "--json", "doomed");

    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.json().get("deleted").asBoolean()).isTrue();
    assertThat(first.json().get("index").asLong()).isPositive();
    assertThat(second.exitCode()).as(second.toString()).isZero();
    assertThat(second.json().get("deleted").asBoolean()).isFalse();
    assertThat(client.blocking().get("doomed").getFound()).isFalse();
  }

  // ---- range ----

  @Test
  void rangeOfAPrefixListsEveryKeyInByteOrderFollowingContinuationTokens() {
    CliRun r = verb("range", "--json", "--prefix", RANGE_PREFIX, "--limit", "0");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(rangeKeys).hasSizeGreaterThan(2 * PAGE);
    assertThat(keys(r.json())).containsExactlyElementsOf(rangeKeys);
    assertThat(r.json().get("more").asBoolean()).isFalse();
    assertThat(r.json().get("kvs").get(0).get("value").asText())
        .isEqualTo("value of " + rangeKeys.get(0));
  }

  @Test
  void rangeWithoutLimitPrintsEveryKeyAndValueAndTheCount() {
    CliRun r = verb("range", "--prefix", RANGE_PREFIX);

    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> expected = new ArrayList<>();
    rangeKeys.forEach(k -> expected.add(k + " = value of " + k));
    expected.add("(" + rangeKeys.size() + " keys)");
    assertThat(r.out().lines().toList()).containsExactlyElementsOf(expected);
  }

  @Test
  void rangeCountsASingleKeyInTheSingular() {
    client.blocking().put("single/only", "one");

    CliRun r = verb("range", "--prefix", "single/");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out().lines().toList()).containsExactly("single/only = one", "(1 key)");
  }

  @Test
  void rangeLimitPrintsExactlyThatManyKeysAndSaysThereIsMore() {
    CliRun human = verb("range", "--prefix", RANGE_PREFIX, "--limit", "3", "--keys-only");
    CliRun json = verb("range", "--json", "--prefix", RANGE_PREFIX, "--limit", "3");

    assertThat(human.exitCode()).as(human.toString()).isZero();
    assertThat(human.out().lines().toList()).containsExactly(
        rangeKeys.get(0), rangeKeys.get(1), rangeKeys.get(2), "(3 keys, more)");
    assertThat(keys(json.json())).containsExactlyElementsOf(rangeKeys.subList(0, 3));
    assertThat(json.json().get("more").asBoolean()).isTrue();
    assertThat(json.json().get("continuation").asText()).isNotEmpty();
  }

  /**
   * Bug: RangeCommand asks for min(--limit, 10,000) keys in one page, but a node configured
   * with --max-range-limit below that refuses the page with INVALID_ARGUMENT instead of the
   * command paging with continuation tokens as its help promises.
   */
  @Test
  void rangeLimitAboveTheServersPageSizeIsCollectedOverSeveralPages() {
    CliRun r = verb("range", "--json", "--prefix", RANGE_PREFIX, "--limit", "12");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(keys(r.json())).containsExactlyElementsOf(rangeKeys.subList(0, 12));
    assertThat(r.json().get("more").asBoolean()).isTrue();
  }

  // ---- txn ----

  @Test
  void txnCompareAndSetSucceedsOnceThenFailsAndRunsTheElseBranch() {
    client.blocking().put("cas", "old");
    String[] cas = {"--if", "value(cas) == old", "--then", "put cas new", "--else", "get cas"};

    CliRun first = verb("txn", concat(new String[] {"--json"}, cas));
    CliRun second = verb("txn", concat(new String[] {"--json"}, cas));
    CliRun third = verb("txn", cas);

    assertThat(first.exitCode()).as(first.toString()).isZero();
    assertThat(first.json().get("succeeded").asBoolean()).isTrue();
    assertThat(first.json().get("index").asLong()).isPositive();
    assertThat(first.json().get("responses").get(0).get("put").asText()).isEqualTo("ok");

    assertThat(second.exitCode()).as(second.toString()).isZero();
    assertThat(second.json().get("succeeded").asBoolean()).isFalse();
    JsonNode got = second.json().get("responses").get(0);
    assertThat(got.get("found").asBoolean()).isTrue();
    assertThat(got.get("value").asText()).isEqualTo("new");

    assertThat(third.exitCode()).as(third.toString()).isZero();
    assertThat(third.out().lines().toList()).as(third.toString())
        .startsWith("FAILED", "get cas = new (version " + got.get("version").asLong() + ")");
    assertThat(client.blocking().get("cas").getKv().getValue().toStringUtf8()).isEqualTo("new");
  }

  /** Bug: each op's result printed as a Java map, {put=ok}. */
  @Test
  void txnPrintsEachOpsResultInWords() {
    client.blocking().put("tx-old", "x");

    CliRun r = verb("txn", "--if", "missing(tx-new)", "--then", "put tx-new v",
        "--then", "delete tx-old", "--then", "delete tx-none", "--then", "get tx-none");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines.subList(0, 5)).as(r.out()).containsExactly("SUCCEEDED", "put tx-new ok",
        "delete tx-old: deleted", "delete tx-none: no such key", "get tx-none: not found");
    assertThat(lines.get(5)).matches("index [1-9][0-9]*");
    assertThat(r.out()).doesNotContain("{").doesNotContain("=ok");
  }

  @Test
  void aMalformedTxnExitsTwoWithAMessageAndChangesNothing() {
    client.blocking().put("cas2", "old");

    CliRun badIf = verb("txn", "--if", "value(cas2) = old", "--then", "put cas2 new");
    CliRun badVersion = verb("txn", "--if", "version(cas2) == abc", "--then", "put cas2 new");
    CliRun badOp = verb("txn", "--if", "exists(cas2)", "--then", "put cas2");

    assertThat(badIf.exitCode()).as(badIf.toString()).isEqualTo(2);
    assertThat(badIf.err()).contains("--if 'value(cas2) = old' is not one of: value(KEY) OP TEXT");
    assertThat(badVersion.exitCode()).as(badVersion.toString()).isEqualTo(2);
    assertThat(badVersion.err()).contains("a version is a number");
    assertThat(badOp.exitCode()).as(badOp.toString()).isEqualTo(2);
    assertThat(badOp.err()).contains("put takes KEY VALUE");
    assertThat(client.blocking().get("cas2").getKv().getValue().toStringUtf8()).isEqualTo("old");
  }

  // ---- status ----

  @Test
  void statusJsonListsEveryNodeWithExactlyOneLeaderThatEveryNodeAgreesOn() {
    await("every node agreeing on one leader").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
          CliRun r = verb("status", "--json");
          assertThat(r.exitCode()).as(r.toString()).isZero();
          List<JsonNode> nodes = elements(r.json().get("nodes"));
          assertThat(nodes).hasSize(3);
          assertThat(nodes).allSatisfy(n -> {
            assertThat(n.get("id").asText()).isIn(cluster.ids());
            assertThat(n.get("role").asText()).isIn("LEADER", "FOLLOWER");
            assertThat(n.get("term").asLong()).isPositive();
            assertThat(n.get("appliedIndex").asLong()).isPositive();
            assertThat(n.get("commitIndex").asLong()).isPositive();
          });
          assertThat(nodes.stream().map(n -> n.get("id").asText()))
              .containsExactlyInAnyOrderElementsOf(cluster.ids());
          List<String> leaders = nodes.stream().filter(n -> n.get("role").asText().equals("LEADER"))
              .map(n -> n.get("id").asText()).toList();
          assertThat(leaders).hasSize(1);
          assertThat(nodes).allSatisfy(n ->
              assertThat(n.get("leaderId").asText()).isEqualTo(leaders.get(0)));
          JsonNode replication = r.json().get("replication");
          assertThat(replication).as("the leader's replication").isNotNull();
          assertThat(replication.get("leaderId").asText()).isEqualTo(leaders.get(0));
          assertThat(replication.get("degraded").asBoolean()).isFalse();
          assertThat(elements(replication.get("replicas")))
              .extracting(n -> n.get("peer").asText())
              .containsExactlyInAnyOrderElementsOf(cluster.ids().stream()
                  .filter(id -> !id.equals(leaders.get(0))).toList());
        });
  }

  @Test
  void statusPrintsATableWithAHeaderAndOneRowPerNodeThenTheLeadersReplication() {
    // The leader samples its replicators every 500 ms; right after start it may not have.
    await("a status with the leader's replication").atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> {
          CliRun r = verb("status");
          assertThat(r.exitCode()).as(r.toString()).isZero();
          List<String> lines = r.out().lines().toList();
          assertThat(lines).as(r.out()).hasSize(9);
          assertThat(lines.get(0)).contains("id", "endpoint", "role", "term", "leaderId",
              "appliedIndex", "commitIndex");
          for (String id : cluster.ids()) {
            assertThat(lines.subList(1, 4)).anySatisfy(l -> assertThat(l).startsWith(id + " ")
                .contains(cluster.grpcAddress(id)));
          }
          String leader = cluster.awaitLeader();
          assertThat(lines.get(4)).isEmpty();
          assertThat(lines.get(5)).isEqualTo("replication from leader " + leader + ": ok");
          assertThat(lines.get(6)).contains("peer", "role", "replicating", "state", "msSinceAck",
              "lagEntries");
          for (String id : cluster.ids().stream().filter(i -> !i.equals(leader)).toList()) {
            assertThat(lines.subList(7, 9)).anySatisfy(l -> assertThat(l).startsWith(id + " ")
                .contains("voter", "true", "REPLICATING"));
          }
        });
  }

  /**
   * Bug: StatusCommand gives each node min(5, timeout.toSeconds()) seconds, which is 0 for
   * any --timeout under one second, so every node is reported UNREACHABLE and it exits 1.
   */
  @Test
  void statusWithASubSecondTimeoutStillReachesHealthyNodes() {
    CliRun r = verb("status", "--json", "--timeout", "900ms");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(elements(r.json().get("nodes")))
        .noneSatisfy(n -> assertThat(n.get("role").asText()).isEqualTo("UNREACHABLE"));
  }

  /** Bug: a node that does not answer was shown as '?' though cluster.json knows its id. */
  @Test
  void statusNamesAnUnreachableNodeByTheIdClusterJsonRecords(@TempDir Path local)
      throws Exception {
    String dead = "127.0.0.1:" + closedPort();
    Path clusterDir = clusterFile(local, Map.of("n9", dead));

    CliRun json = raftkv("status", "--cluster", clusterDir.toString(), "--json",
        "--timeout", "2s");
    CliRun human = raftkv("status", "--cluster", clusterDir.toString(), "--timeout", "2s");

    assertThat(json.exitCode()).as(json.toString()).isZero();
    JsonNode row = elements(json.json().get("nodes")).stream()
        .filter(n -> n.get("endpoint").asText().equals(dead)).findFirst().orElseThrow();
    assertThat(row.get("id").asText()).isEqualTo("n9");
    assertThat(row.get("role").asText()).isEqualTo("UNREACHABLE");
    assertThat(human.out().lines()).anySatisfy(l ->
        assertThat(l).startsWith("n9 ").contains(dead, "UNREACHABLE"));
  }

  // ---- where the cluster is: flags, then the environment ----

  @Test
  void raftkvEndpointsOrRaftkvClusterNameTheClusterWhenNoFlagDoes(@TempDir Path local)
      throws Exception {
    client.blocking().put("env-key", "from env");
    Path clusterDir = clusterFile(local, Map.of());

    CliRun byEndpoints = CliRun.withEnv(Map.of(EnvironmentDefaults.ENDPOINTS,
        cluster.endpoints()), "get", "env-key");
    CliRun byCluster = CliRun.withEnv(Map.of(EnvironmentDefaults.CLUSTER,
        clusterDir.toString()), "get", "env-key");

    for (CliRun r : List.of(byEndpoints, byCluster)) {
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(r.out()).isEqualTo("from env" + System.lineSeparator());
    }
  }

  @Test
  void aFlagWinsOverBothEnvironmentVariables(@TempDir Path local) throws Exception {
    client.blocking().put("flag-key", "from the flag");
    Path clusterDir = clusterFile(local, Map.of());
    Map<String, String> wrong = Map.of(
        EnvironmentDefaults.ENDPOINTS, "127.0.0.1:" + closedPort(),
        EnvironmentDefaults.CLUSTER, local.resolve("no-cluster-here").toString());

    CliRun endpointsFlag = CliRun.withEnv(wrong, "get", "--timeout", "5s",
        "--endpoints", cluster.endpoints(), "flag-key");
    CliRun clusterFlag = CliRun.withEnv(wrong, "get", "--timeout", "5s",
        "--cluster", clusterDir.toString(), "flag-key");

    for (CliRun r : List.of(endpointsFlag, clusterFlag)) {
      assertThat(r.exitCode()).as(r.toString()).isZero();
      assertThat(r.out()).isEqualTo("from the flag" + System.lineSeparator());
    }
  }

  // ---- failures ----

  @Test
  void aRefusedCommandExitsNonZeroAndPrintsTheServersMessageNamingTheLimit() {
    CliRun r = verb("put", "k".repeat(5000), "v");

    assertThat(r.exitCode()).as(r.toString()).isNotZero();
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("INVALID_ARGUMENT")
        .contains("key is 5000 bytes; the limit is 4096 bytes");
  }

  @Test
  void aDataVerbWithoutEndpointsOrClusterExitsTwoSayingWhatIsMissing() {
    CliRun r = raftkv("get", "k");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("--endpoints HOST:PORT,... or --cluster DIR");
  }

  // ---- bench ----

  @Test
  void benchJsonToStdoutReportsEachReadLevelOfTheMixWithNoViolations() {
    CliRun r = verb("bench", "--pattern", "write-then-read", "--consistency",
        "session:1,linearizable:1", "--clients", "4", "--duration", "2s", "--warmup", "1s",
        "--json", "-");

    assertThat(r.exitCode()).as(r.toString()).isZero();
    // Progress and the table go to stderr, so stdout is the report alone.
    JsonNode report = r.json();
    assertThat(r.err()).contains("ops/s");
    JsonNode levels = report.get("levels");
    assertThat(levels).as(r.toString()).isNotNull();
    for (String level : List.of("session", "linearizable")) {
      JsonNode read = levels.get(level);
      assertThat(read).as("levels.%s in %s", level, report).isNotNull();
      assertThat(read.get("ops").asLong()).as("levels.%s.ops", level).isPositive();
      assertThat(read.get("violations").get("readYourWrites").asLong()).as(level).isZero();
      assertThat(read.get("violations").get("monotonicReads").asLong()).as(level).isZero();
      assertThat(read.get("staleReads").asLong()).as(level).isZero();
    }
    assertThat(report.get("writes").get("ops").asLong()).isPositive();
    assertThat(report.get("writes").get("violations").get("monotonicWrites").asLong()).isZero();
    assertThat(report.get("config").get("pattern").asText()).isEqualTo("write-then-read");
  }

  @Test
  void benchJsonFileWritesTheReportAndPrintsTheTable(@TempDir Path out) throws Exception {
    Path file = out.resolve("report.json");

    CliRun r = verb("bench", "--keys", "200", "--clients", "2", "--duration", "2s",
        "--warmup", "1s", "--json", file.toString());

    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("read session").contains("report written to " + file);
    JsonNode report = new ObjectMapper().readTree(file.toFile());
    assertThat(report.get("levels").get("session").get("ops").asLong()).isPositive();
    assertThat(report.get("writes").get("ops").asLong()).isPositive();
    assertThat(report.get("total").get("ops").asLong()).isPositive();
  }

  @Test
  void benchWithFewerSessionsThanClientsOrAnUnknownPatternExitsTwoNamingTheOption() {
    CliRun sessions = verb("bench", "--sessions", "2", "--clients", "4");
    CliRun pattern = verb("bench", "--pattern", "nope");

    assertThat(sessions.exitCode()).as(sessions.toString()).isEqualTo(2);
    assertThat(sessions.err()).contains("--sessions 2").contains("--clients");
    assertThat(sessions.out()).as("nothing ran").isEmpty();
    assertThat(pattern.exitCode()).as(pattern.toString()).isEqualTo(2);
    assertThat(pattern.err()).contains("--pattern 'nope'").contains("write-then-read");
    assertThat(pattern.out()).as("nothing ran").isEmpty();
  }

  /**
   * Bug: an unknown level in --consistency is refused with exit 2, but the message ("unknown
   * read level 'bogus'; levels are ...") does not say which option was wrong, unlike every
   * other bench usage error (LevelMix.level's message, printed as is by BenchCommand).
   */
  @Test
  void benchWithAnUnknownReadLevelExitsTwoNamingConsistencyAndTheLevels() {
    CliRun r = verb("bench", "--consistency", "bogus");

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.out()).as("nothing ran").isEmpty();
    assertThat(r.err()).contains("'bogus'").contains("linearizable, session, bounded, eventual");
    assertThat(r.err()).contains("--consistency");
  }

  /**
   * A directory whose cluster.json describes this test's cluster (as 'raftkv cluster start'
   * would write it) plus {@code extra} nodes, id to gRPC address. No pid in it is alive.
   */
  private static Path clusterFile(Path local, Map<String, String> extra) throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    List<ClusterFile.Node> nodes = new ArrayList<>();
    Map<String, String> grpc = new java.util.LinkedHashMap<>();
    cluster.ids().forEach(id -> grpc.put(id, cluster.grpcAddress(id)));
    grpc.putAll(extra);
    grpc.forEach((id, address) -> nodes.add(new ClusterFile.Node(id, "VOTER", "", address,
        gone.pid(), local.resolve(id).toString(), local.resolve(id + ".log").toString(),
        List.of(), null)));
    ClusterFile.plaintext(nodes).write(local);
    return local;
  }

  /** A port nothing listens on (it was free a moment ago). */
  private static int closedPort() throws java.io.IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static List<String> keys(JsonNode range) {
    return elements(range.get("kvs")).stream().map(kv -> kv.get("key").asText()).toList();
  }

  private static List<JsonNode> elements(JsonNode array) {
    assertThat(array).as("a JSON array").isNotNull();
    return StreamSupport.stream(array.spliterator(), false).toList();
  }

  private static String[] concat(String[] a, String[] b) {
    return Stream.concat(Arrays.stream(a), Arrays.stream(b)).toArray(String[]::new);
  }
}
