package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.core.RaftNodeOptions;

/**
 * What an operator types into {@code --peers} and how a node's configuration is checked
 * before anything starts: every refusal names the field, the value and the rule.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServerConfigTest {
  private static final Path DATA = Path.of("/tmp/raftkv-config-test-never-created");
  private static final String FORMAT = "is not id=raftHost:port/grpcHost:port[/learner]";

  private static final PeerSpec N1 = PeerSpec.parse("n1=127.0.0.1:7001/127.0.0.1:9001");
  private static final PeerSpec N2 = PeerSpec.parse("n2=127.0.0.1:7002/127.0.0.1:9002");
  private static final PeerSpec N3 = PeerSpec.parse("n3=127.0.0.1:7003/127.0.0.1:9003");

  @Test
  void aVoterSpecGivesIdRaftAddressAndGrpcAddress() {
    PeerSpec spec = PeerSpec.parse("n1=127.0.0.1:7001/127.0.0.1:9001");

    assertThat(spec).isEqualTo(new PeerSpec("n1", "127.0.0.1:7001", "127.0.0.1:9001", false));
    assertThat(spec).hasToString("n1=127.0.0.1:7001/127.0.0.1:9001");
  }

  @Test
  void aSpecEndingInSlashLearnerIsANonVotingReplica() {
    PeerSpec spec = PeerSpec.parse("l1=10.0.0.4:7001/10.0.0.4:9001/learner");

    assertThat(spec).isEqualTo(new PeerSpec("l1", "10.0.0.4:7001", "10.0.0.4:9001", true));
    assertThat(PeerSpec.parse(spec.toString())).isEqualTo(spec);
  }

  @Test
  void whitespaceAroundASpecIsIgnoredAsInACommaSeparatedListWithSpaces() {
    assertThat(PeerSpec.parse("  n2=host-b.example:7001/host-b.example:9001 "))
        .isEqualTo(new PeerSpec("n2", "host-b.example:7001", "host-b.example:9001", false));
  }

  @ParameterizedTest(name = "''{0}''")
  @ValueSource(strings = {
      "n1=127.0.0.1:7001",                              // no gRPC address
      "n1:127.0.0.1:7001/127.0.0.1:9001",                // ':' instead of '='
      "=127.0.0.1:7001/127.0.0.1:9001",                  // no id
      "n1=127.0.0.1/127.0.0.1:9001",                     // raft address without port
      "n1=127.0.0.1:7001/127.0.0.1:port",                // port not a number
      "n1=127.0.0.1:7001/127.0.0.1:9001/observer",       // unknown role
      "n 1=127.0.0.1:7001/127.0.0.1:9001",               // space in the id
      "n1=127.0.0.1:7001/127.0.0.1:9001,n2=127.0.0.1:7002/127.0.0.1:9002", // two specs in one
      ""})
  void aMalformedSpecIsRefusedWithTheExpectedFormat(String spec) {
    assertThatIllegalArgumentException().isThrownBy(() -> PeerSpec.parse(spec))
        .withMessageContaining("peer '" + spec + "'")
        .withMessageContaining(FORMAT)
        .withMessageContaining("id: 1..64 of A-Z a-z 0-9 _ . -");
  }

  @Test
  void anIdIsAtMost64Characters() {
    String id64 = "a".repeat(64);
    assertThat(PeerSpec.parse(id64 + "=h:1/h:2").id()).isEqualTo(id64);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> PeerSpec.parse("a" + id64 + "=h:1/h:2"))
        .withMessageContaining(FORMAT);
  }

  @Test
  void aValidConfigurationPassesValidation() {
    ServerConfig config = ServerConfig.of("n2", List.of(N1, N2, N3), DATA);

    assertThat(config.validate()).isSameAs(config);
    assertThat(config.self()).isEqualTo(N2);
  }

  @Test
  void validateNamesADuplicateId() {
    PeerSpec otherN1 = PeerSpec.parse("n1=127.0.0.1:7009/127.0.0.1:9009");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("n1", List.of(N1, N2, otherN1), DATA).validate())
        .withMessage("peers: id 'n1' appears twice");
  }

  @Test
  void validateNamesAPeerWhoseRaftAddressIsAlreadyUsed() {
    PeerSpec clash = PeerSpec.parse("n3=127.0.0.1:7002/127.0.0.1:9003");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("n1", List.of(N1, N2, clash), DATA).validate())
        .withMessageContaining("peers: an address of 'n3=127.0.0.1:7002/127.0.0.1:9003' is used twice");
  }

  @Test
  void validateNamesAPeerWhoseGrpcAddressIsAnotherPeersRaftAddress() {
    PeerSpec clash = PeerSpec.parse("n3=127.0.0.1:7003/127.0.0.1:7001");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("n1", List.of(N1, N2, clash), DATA).validate())
        .withMessageContaining("an address of 'n3=127.0.0.1:7003/127.0.0.1:7001' is used twice");
  }

  @Test
  void validateNamesAPeerUsingOneAddressForBothRaftAndGrpc() {
    PeerSpec same = PeerSpec.parse("n3=127.0.0.1:7003/127.0.0.1:7003");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("n1", List.of(N1, N2, same), DATA).validate())
        .withMessageContaining("an address of 'n3=127.0.0.1:7003/127.0.0.1:7003' is used twice");
  }

  @Test
  void validateNamesTheNodeIdThatIsNotAmongThePeers() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("n9", List.of(N1, N2, N3), DATA).validate())
        .withMessage("nodeId 'n9' is not among the peers [n1, n2, n3]");
  }

  @Test
  void validateRefusesAGroupWithoutVoters() {
    PeerSpec l1 = PeerSpec.parse("l1=127.0.0.1:7004/127.0.0.1:9004/learner");
    PeerSpec l2 = PeerSpec.parse("l2=127.0.0.1:7005/127.0.0.1:9005/learner");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("l1", List.of(l1, l2), DATA).validate())
        .withMessage("peers must include at least one voter");
  }

  @Test
  void validateRefusesAnEmptyPeerList() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("n1", List.of(), DATA).validate())
        .withMessage("peers must list at least this node");
  }

  @Test
  void validateChecksTheRaftSettingsAndTheLimits() {
    ServerConfig config = ServerConfig.of("n1", List.of(N1, N2, N3), DATA);

    assertThatIllegalArgumentException()
        .isThrownBy(() -> config.withElectionTimeoutMs(50).validate())
        .withMessageContaining("electionTimeoutMs must be >= 100").withMessageContaining("got 50");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> config.withSnapshotIntervalSecs(0).validate())
        .withMessageContaining("snapshotIntervalSecs must be >= 1, got 0");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> config.withLimits(new Limits(4096, 1 << 20, 3 << 19, 0, 10_000, 4 << 20))
            .validate())
        .withMessage("maxTxnOps must be >= 1, got 0");
  }

  @Test
  void validateRefusesARaftAddressWhosePortIsOutOfRange() {
    PeerSpec badPort = PeerSpec.parse("n3=127.0.0.1:99999/127.0.0.1:9003");

    assertThatIllegalArgumentException()
        .isThrownBy(() -> ServerConfig.of("n1", List.of(N1, N2, badPort), DATA).validate())
        .withMessageContaining("127.0.0.1:99999");
  }

  /**
   * PeerSpec accepts any 1..5 digit port and only the Raft address is range-checked (by
   * RaftNodeOptions), so a gRPC port of 0 or 99999 passes validation: RaftkvServer.start then
   * starts the Raft node and fails in new InetSocketAddress (99999), leaving the Raft node
   * running, or binds a random port (0) that no client or NotLeader hint can reach.
   */
  @ParameterizedTest(name = "gRPC port {0}")
  @ValueSource(strings = {"0", "99999"})
  void validateRefusesAGrpcAddressWhosePortIsOutOfRange(String port) {
    PeerSpec badPort = PeerSpec.parse("n3=127.0.0.1:7003/127.0.0.1:" + port);

    for (String self : List.of("n1", "n3")) {
      assertThatIllegalArgumentException().as("validated on %s", self)
          .isThrownBy(() -> ServerConfig.of(self, List.of(N1, N2, badPort), DATA).validate())
          .withMessageContaining("127.0.0.1:" + port);
    }
  }

  @Test
  void raftOptionsSplitsVotersFromLearnersByRaftAddress() {
    PeerSpec l1 = PeerSpec.parse("l1=127.0.0.1:7004/127.0.0.1:9004/learner");
    List<PeerSpec> peers = List.of(N1, l1, N2, N3);

    RaftNodeOptions onVoter = ServerConfig.of("n2", peers, DATA).validate().raftOptions();
    assertThat(onVoter.nodeId()).isEqualTo("n2");
    assertThat(onVoter.raftAddress()).isEqualTo("127.0.0.1:7002");
    assertThat(onVoter.dataDir()).isEqualTo(DATA);
    assertThat(onVoter.voters()).containsExactly("127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003");
    assertThat(onVoter.learners()).containsExactly("127.0.0.1:7004");
    assertThat(onVoter.isLearner()).isFalse();

    RaftNodeOptions onLearner = ServerConfig.of("l1", peers, DATA).validate().raftOptions();
    assertThat(onLearner.raftAddress()).isEqualTo("127.0.0.1:7004");
    assertThat(onLearner.voters()).isEqualTo(onVoter.voters());
    assertThat(onLearner.learners()).isEqualTo(onVoter.learners());
    assertThat(onLearner.isLearner()).isTrue();
  }

  @Test
  void raftOptionsCarriesTheConfiguredTimings() {
    ServerConfig config = ServerConfig.of("n1", List.of(N1, N2, N3), DATA)
        .withElectionTimeoutMs(2500).withSnapshotIntervalSecs(60);

    RaftNodeOptions raft = config.raftOptions();
    assertThat(raft.electionTimeoutMs()).isEqualTo(2500);
    assertThat(raft.snapshotIntervalSecs()).isEqualTo(60);
    assertThat(raft.heartbeatFactor()).isEqualTo(RaftNodeOptions.DEFAULT_HEARTBEAT_FACTOR);
  }

  @Test
  void peersNamedByHostNamesValidateAndKeepTheirNamesAsRaftIdentities() {
    List<PeerSpec> named = List.of(PeerSpec.parse("n1=n1:4001/127.0.0.1:9001"),
        PeerSpec.parse("n2=n2:4002/127.0.0.1:9002"), PeerSpec.parse("n3=n3:4003/127.0.0.1:9003"));

    RaftNodeOptions raft = ServerConfig.of("n2", named, DATA).validate().raftOptions();

    assertThat(raft.raftAddress()).isEqualTo("n2:4002");
    assertThat(raft.voters()).containsExactly("n1:4001", "n2:4002", "n3:4003");
    // Derived from names as written, so every node computes the same id without resolving.
    assertThat(ServerConfig.of("n1", named, DATA).clusterId())
        .isEqualTo(ServerConfig.of("n3", named, DATA).clusterId());
  }

  @Test
  void aRaftListenAddressReachesTheRaftOptionsAndLeavesTheIdentityAndClusterIdAlone() {
    ServerConfig plain = ServerConfig.of("n2", List.of(N1, N2, N3), DATA);
    ServerConfig forwarded = plain.withRaftListenAddress("127.0.0.1:5002").validate();

    assertThat(plain.raftOptions().listenAddress()).isEqualTo("127.0.0.1:7002");
    assertThat(forwarded.raftOptions().raftAddress()).isEqualTo("127.0.0.1:7002");
    assertThat(forwarded.raftOptions().listenAddress()).isEqualTo("127.0.0.1:5002");
    assertThat(forwarded.clusterId()).isEqualTo(plain.clusterId());
    // The other withers keep it.
    assertThat(forwarded.withElectionTimeoutMs(2000).raftListenAddress())
        .isEqualTo("127.0.0.1:5002");
  }

  @Test
  void aRaftListenAddressThatIsNotHostPortOrIsTheGrpcAddressIsRefused() {
    ServerConfig config = ServerConfig.of("n2", List.of(N1, N2, N3), DATA);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> config.withRaftListenAddress("5002").validate())
        .withMessageContaining("raftListenAddress");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> config.withRaftListenAddress("127.0.0.1:9002").validate())
        .withMessageContaining("gRPC address");
  }
}
