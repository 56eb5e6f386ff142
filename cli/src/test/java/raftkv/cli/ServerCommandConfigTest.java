package raftkv.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.cli.CliRun.raftkv;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code raftkv server} refuses a bad configuration before starting anything: exit code 2 and
 * a message naming the field. A {@code --config} file supplies the options and flags on the
 * command line override it. Every configuration here is invalid on purpose: a valid one
 * would start a node that runs until the JVM shuts down.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerCommandConfigTest {
  static final String PEERS = "n1=127.0.0.1:7001/127.0.0.1:9001,n2=127.0.0.1:7002/127.0.0.1:9002,"
      + "n3=127.0.0.1:7003/127.0.0.1:9003";
  static final String INVALID = "raftkv server: invalid configuration: ";

  @TempDir Path dir;

  @Test
  void anIdThatIsNotAmongThePeersIsRefusedNamingTheIdAndThePeers() {
    CliRun r = server("--id", "n9", "--peers", PEERS);

    assertRefused(r, "nodeId 'n9' is not among the peers [n1, n2, n3]");
  }

  @Test
  void aMalformedPeerSpecIsRefusedShowingTheSpecAndTheExpectedFormat() {
    CliRun r = server("--id", "n1", "--peers", "n1=127.0.0.1:7001/127.0.0.1:9001,n2=127.0.0.1:7002");

    assertRefused(r, "peer 'n2=127.0.0.1:7002' is not id=raftHost:port/grpcHost:port[/learner]");
  }

  @Test
  void aDuplicatePeerIdIsRefused() {
    CliRun r = server("--id", "n1", "--peers", PEERS + ",n2=127.0.0.1:7004/127.0.0.1:9004");

    assertRefused(r, "peers: id 'n2' appears twice");
  }

  @Test
  void anElectionTimeoutBelow100MsIsRefusedNamingTheField() {
    CliRun r = server("--id", "n1", "--peers", PEERS, "--election-timeout-ms", "50");

    assertRefused(r, "electionTimeoutMs must be >= 100 (>= 1000 recommended), got 50");
  }

  @Test
  void inconsistentRequestLimitsAreRefusedNamingTheFields() {
    CliRun tooSmallRequest = server("--id", "n1", "--peers", PEERS, "--max-request-bytes", "1000");
    CliRun noKeys = server("--id", "n1", "--peers", PEERS, "--max-key-bytes", "0");

    assertRefused(tooSmallRequest, "maxRequestBytes (1000) must be >= maxKeyBytes + maxValueBytes");
    assertRefused(noKeys, "maxKeyBytes must be >= 1, got 0");
  }

  @Test
  void watchAndHistoryOptionsOutOfRangeAreRefusedNamingTheOption() throws IOException {
    CliRun lag = server("--id", "n1", "--peers", PEERS, "--watch-max-lag", "0");
    CliRun progress = server("--id", "n1", "--peers", PEERS, "--watch-progress-interval", "50ms");
    CliRun history = server("--id", "n1", "--peers", PEERS, "--history-entries", "0");
    CliRun fromFile = raftkv("server", "--config", configFile("history-age = 1h",
        "watch-progress-interval = 11m").toString());

    assertRefused(lag, "watch-max-lag must be >= 1 entries, got 0");
    assertRefused(progress, "watch-progress-interval must be 100 ms..600000 ms, got 50 ms");
    assertRefused(history, "history-entries must be >= 1 (log indexes of watch history to "
        + "keep), got 0");
    assertRefused(fromFile, "watch-progress-interval must be 100 ms..600000 ms, got 660000 ms");
  }

  @Test
  void aMissingRequiredOptionIsAUsageErrorNamingIt() {
    CliRun r = raftkv("server", "--id", "n1", "--peers", PEERS);

    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("Missing required option").contains("--data-dir");
  }

  @Test
  void theConfigFileIsReadWhenNoFlagsAreGiven() throws IOException {
    Path file = configFile("election-timeout-ms = 50");

    CliRun r = raftkv("server", "--config", file.toString());

    assertRefused(r, "electionTimeoutMs must be >= 100 (>= 1000 recommended), got 50");
  }

  @Test
  void theConfigFileIsAlsoAcceptedAsConfigEqualsFile() throws IOException {
    Path file = configFile("election-timeout-ms = 50");

    CliRun r = raftkv("server", "--config=" + file);

    assertRefused(r, "got 50");
  }

  @Test
  void aFlagOverridesTheSameKeyInTheConfigFile() throws IOException {
    Path file = configFile("election-timeout-ms = 50");

    CliRun id = raftkv("server", "--config", file.toString(), "--id", "n7");
    CliRun timeout = raftkv("server", "--config", file.toString(), "--election-timeout-ms", "20");

    assertRefused(id, "nodeId 'n7' is not among the peers [n1, n2, n3]");
    assertRefused(timeout, "electionTimeoutMs must be >= 100 (>= 1000 recommended), got 20");
  }

  @Test
  void aPeersFlagReplacesTheConfigFilesPeerListRatherThanAddingToIt() throws IOException {
    Path file = configFile("election-timeout-ms = 50");

    CliRun r = raftkv("server", "--config", file.toString(),
        "--peers", "n4=127.0.0.1:7004/127.0.0.1:9004");

    assertRefused(r, "nodeId 'n1' is not among the peers [n4]");
  }

  @Test
  void aPeerListInTheConfigFileMayHaveSpacesAfterTheCommas() throws IOException {
    Path file = dir.resolve("spaced.properties");
    Files.writeString(file, String.join("\n",
        "id = n2",
        "data-dir = " + dir.resolve("data"),
        "peers = " + PEERS.replace(",", ", "),
        "auth = none",
        "election-timeout-ms = 50", ""));

    CliRun r = raftkv("server", "--config", file.toString());

    // The peer list parsed (n2 found among three peers); validation went on to the timeout.
    assertRefused(r, "electionTimeoutMs must be >= 100 (>= 1000 recommended), got 50");
  }

  @Test
  void aBadValueInTheConfigFileIsRefusedLikeTheSameFlag() throws IOException {
    Path file = dir.resolve("bad-peer.properties");
    Files.writeString(file, String.join("\n",
        "id = n1",
        "data-dir = " + dir.resolve("data"),
        "peers = n1=127.0.0.1:7001/127.0.0.1:9001,n2=nowhere", "auth = none", ""));

    CliRun r = raftkv("server", "--config", file.toString());

    assertRefused(r, "peer 'n2=nowhere' is not id=raftHost:port/grpcHost:port[/learner]");
  }

  @Test
  void metricsOptionsAreValidatedFromFlagsAndFromTheConfigFile() throws IOException {
    CliRun noPort = server("--id", "n1", "--peers", PEERS, "--metrics-listen", "localhost");
    CliRun noLag = raftkv("server", "--config",
        configFile("metrics-listen = 127.0.0.1:0", "ready-max-lag-ms = 0").toString());

    assertRefused(noPort, "metrics-listen 'localhost' must be host:port with a port in 0..65535");
    assertRefused(noLag, "ready-max-lag-ms must be >= 1, got 0");
  }

  @Test
  void aConfigFileThatDoesNotExistIsRefusedNamingTheFile() {
    Path absent = dir.resolve("absent.properties");

    CliRun r = raftkv("server", "--config", absent.toString());

    assertRefused(r, "config file " + absent + " cannot be read");
  }

  @Test
  void aMisspeltKeyInTheConfigFileIsRefusedNamingTheKeyAndTheValidKeys() throws IOException {
    Path file = configFile("election-timeout = 3000");

    CliRun r = raftkv("server", "--config", file.toString());

    assertRefused(r, "unknown key 'election-timeout'");
    assertThat(r.err()).contains("election-timeout-ms").contains("snapshot-interval-s");
  }

  @Test
  void aTransportLimitBelowTheRequestLimitIsRefusedNamingBothFields() throws IOException {
    Path file = configFile("max-inbound-message-bytes = 1000");

    CliRun r = raftkv("server", "--config", file.toString());

    assertRefused(r, "max-inbound-message-bytes (1000) must be > max-request-bytes (1572864)");
  }

  @Test
  void aRaftKeyStoreWithoutItsPasswordFileIsRefusedNamingBothOptions() throws IOException {
    Path keyStore = Files.writeString(dir.resolve("n1.p12"), "not a key store");
    Path file = configFile("raft-tls-keystore = " + keyStore);

    CliRun r = raftkv("server", "--config", file.toString());

    assertRefused(r, "raft-tls-keystore " + keyStore + " needs raft-tls-password-file");
  }

  @Test
  void aRaftKeyStoreThatDoesNotOpenIsRefusedNamingTheFile() throws IOException {
    Path keyStore = Files.writeString(dir.resolve("n1.p12"), "not a key store");
    Path password = Files.writeString(dir.resolve("pass"), "secret\n");
    Path file = configFile("raft-tls-keystore = " + keyStore, "raft-tls-password-file = " + password);

    CliRun r = raftkv("server", "--config", file.toString());

    assertRefused(r, "raft-tls-keystore");
    assertThat(r.err()).contains(keyStore.toString()).doesNotContain("secret");
  }

  @Test
  void withoutAuthTheServerRefusesToStartAndSaysToChooseTokensOrNone() {
    CliRun r = raftkv("server", "--data-dir", dir.resolve("data").toString(), "--id", "n1",
        "--peers", PEERS);

    assertRefused(r, "--auth is required: choose --auth tokens with --auth-tokens-file FILE");
    assertThat(r.err()).contains("or --auth none");
    assertThat(dir.resolve("data")).doesNotExist();
  }

  @Test
  void anUnknownAuthModeOrClientAuthModeIsRefusedNamingTheChoices() {
    assertRefused(server("--id", "n1", "--peers", PEERS, "--auth", "ldap"),
        "--auth must be none or tokens, got 'ldap'");
    assertRefused(server("--id", "n1", "--peers", PEERS, "--tls-client-auth", "maybe"),
        "--tls-client-auth must be none, optional or require, got 'maybe'");
  }

  @Test
  void tokensAuthWithAMissingTokensFileIsRefusedNamingTheFile() {
    Path absent = dir.resolve("absent-tokens");

    CliRun r = server("--id", "n1", "--peers", PEERS, "--auth", "tokens",
        "--auth-tokens-file", absent.toString());

    assertRefused(r, "auth-tokens-file " + absent + " must be a readable file");
  }

  @Test
  void tlsAndAuthOptionsAreReadFromTheConfigFile() throws IOException {
    // A later key overrides configFile's "auth = none".
    CliRun tls = raftkv("server", "--config", configFile("auth = tokens",
        "tls-cert = " + dir.resolve("absent.pem"), "tls-key = " + dir.resolve("absent-key.pem"))
        .toString());
    CliRun roles = raftkv("server", "--config", configFile("auth = tokens",
        "auth-cert-roles = CN=ops,O=Example Inc.=superuser").toString());

    assertRefused(tls, "tls-cert " + dir.resolve("absent.pem") + " must be a readable file");
    // The subject's commas and '=' survive the properties file; the role after the last '='
    // is what is checked.
    assertRefused(roles, "auth-cert-roles entry 'CN=ops,O=Example Inc.=superuser': role "
        + "'superuser' is not one of read, readwrite, admin");
  }

  /** {@code raftkv server --data-dir <temp> ARGS...}, with --auth none unless ARGS say. */
  private CliRun server(String... args) {
    List<String> all = new ArrayList<>(List.of("server", "--data-dir",
        dir.resolve("data").toString()));
    if (!List.of(args).contains("--auth")) {
      all.addAll(List.of("--auth", "none"));
    }
    all.addAll(List.of(args));
    return raftkv(all.toArray(String[]::new));
  }

  /** A node's properties file (id n1, the three peers, a data dir) plus {@code extra} lines. */
  private Path configFile(String... extra) throws IOException {
    Path file = dir.resolve("n1.properties");
    StringBuilder text = new StringBuilder()
        .append("# raftkv node n1\n")
        .append("id = n1\n")
        .append("data-dir = ").append(dir.resolve("data")).append('\n')
        .append("peers = ").append(PEERS).append('\n')
        .append("auth = none\n");
    for (String line : extra) {
      text.append(line).append('\n');
    }
    Files.writeString(file, text);
    return file;
  }

  private static void assertRefused(CliRun r, String message) {
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).as(r.toString()).contains(INVALID).contains(message);
    assertThat(r.out()).isEmpty();
  }
}
