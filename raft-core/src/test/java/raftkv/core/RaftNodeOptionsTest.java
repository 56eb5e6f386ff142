package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RaftNodeOptionsTest {
  private static final String SELF = "127.0.0.1:8081";
  private static final Path DIR = Path.of("/tmp/raftkv-options-test");

  private static RaftNodeOptions options(String nodeId, String raftAddress, Path dataDir,
      List<String> voters, List<String> learners, int electionTimeoutMs, int heartbeatFactor,
      int snapshotIntervalSecs, StoreOptions store) {
    return new RaftNodeOptions(nodeId, raftAddress, dataDir, voters, learners, electionTimeoutMs,
        heartbeatFactor, snapshotIntervalSecs, store);
  }

  private static RaftNodeOptions valid() {
    return options("n1", SELF, DIR, List.of(SELF, "127.0.0.1:8082", "127.0.0.1:8083"),
        List.of("127.0.0.1:8084"), 1000, 10, 3600, StoreOptions.DEFAULTS);
  }

  private static RaftNodeOptions withAddresses(String self, List<String> voters,
      List<String> learners) {
    RaftNodeOptions v = valid();
    return options(v.nodeId(), self, v.dataDir(), voters, learners, v.electionTimeoutMs(),
        v.heartbeatFactor(), v.snapshotIntervalSecs(), v.store());
  }

  private static RaftNodeOptions withTimings(int electionTimeoutMs, int heartbeatFactor,
      int snapshotIntervalSecs) {
    RaftNodeOptions v = valid();
    return options(v.nodeId(), v.raftAddress(), v.dataDir(), v.voters(), v.learners(),
        electionTimeoutMs, heartbeatFactor, snapshotIntervalSecs, v.store());
  }

  @Test
  void validOptionsPassAndAreReturned() {
    RaftNodeOptions options = valid();
    assertThat(options.validate()).isSameAs(options);
    assertThat(options.isLearner()).isFalse();
    assertThat(withAddresses("127.0.0.1:8084", options.voters(), options.learners()).validate()
        .isLearner()).isTrue();
  }

  @Test
  void aBlankNodeIdIsRefusedNamingTheField() {
    RaftNodeOptions v = valid();
    assertThatThrownBy(() -> options(" ", v.raftAddress(), v.dataDir(), v.voters(), v.learners(),
        1000, 10, 3600, v.store()).validate())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nodeId");
  }

  @Test
  void aRaftAddressWithoutAPortIsRefusedNamingFieldAndValue() {
    assertThatThrownBy(() -> withAddresses("localhost", List.of("localhost"), List.of()).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("raftAddress").hasMessageContaining("'localhost'")
        .hasMessageContaining("host:port");
  }

  @Test
  void aPortOutOfRangeIsRefusedNamingFieldValueAndRange() {
    assertThatThrownBy(() -> withAddresses("127.0.0.1:70000", List.of("127.0.0.1:70000"),
        List.of()).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("raftAddress").hasMessageContaining("127.0.0.1:70000")
        .hasMessageContaining("1..65535");
    assertThatThrownBy(() -> withAddresses(SELF, List.of(SELF, "127.0.0.1:http"), List.of())
        .validate())
        .hasMessageContaining("voters").hasMessageContaining("127.0.0.1:http");
  }

  @Test
  void aBadLearnerAddressIsRefusedNamingTheLearners() {
    assertThatThrownBy(() -> withAddresses(SELF, List.of(SELF), List.of("nohost")).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("learners").hasMessageContaining("nohost");
  }

  @Test
  void noVotersIsRefused() {
    assertThatThrownBy(() -> withAddresses(SELF, List.of(), List.of(SELF)).validate())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("voters");
  }

  @Test
  void aLearnerThatIsAlsoAVoterIsRefused() {
    assertThatThrownBy(() -> withAddresses(SELF, List.of(SELF), List.of(SELF)).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("learners").hasMessageContaining(SELF)
        .hasMessageContaining("also a voter");
  }

  @Test
  void aNodeThatIsNeitherVoterNorLearnerIsRefused() {
    assertThatThrownBy(() -> withAddresses("127.0.0.1:9999", List.of(SELF), List.of()).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("raftAddress").hasMessageContaining("127.0.0.1:9999")
        .hasMessageContaining(SELF);
  }

  @Test
  void timingRulesNameFieldAndValue() {
    assertThatThrownBy(() -> withTimings(50, 10, 3600).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("electionTimeoutMs").hasMessageContaining("50");
    assertThatThrownBy(() -> withTimings(1000, 1, 3600).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heartbeatFactor").hasMessageContaining("got 1");
    assertThatThrownBy(() -> withTimings(100, 200, 3600).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("heartbeatFactor").hasMessageContaining("200")
        .hasMessageContaining("electionTimeoutMs 100");
    assertThatThrownBy(() -> withTimings(1000, 10, 0).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("snapshotIntervalSecs").hasMessageContaining("got 0");
    assertThat(withTimings(100, 100, 1).validate()).isNotNull();
  }

  @Test
  void aMissingDataDirIsRefused() {
    RaftNodeOptions v = valid();
    assertThatThrownBy(() -> options("n1", SELF, null, v.voters(), v.learners(), 1000, 10, 3600,
        v.store()).validate())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dataDir");
  }

  @Test
  void missingStoreOptionsAreRefusedNamingTheField() {
    RaftNodeOptions v = valid();
    assertThatThrownBy(() -> options("n1", SELF, DIR, v.voters(), v.learners(), 1000, 10, 3600,
        null).validate())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("store");
  }

  @Test
  void storeOptionRulesNameFieldAndValue() {
    assertThatThrownBy(() -> new StoreOptions(0, 1, 60_000, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blockCacheBytes").hasMessageContaining("got 0");
    assertThatThrownBy(() -> new StoreOptions(1, -5, 60_000, 1))
        .hasMessageContaining("writeBufferBytes").hasMessageContaining("-5");
    assertThatThrownBy(() -> new StoreOptions(1, 1, 999, 1))
        .hasMessageContaining("dedupTtlMs").hasMessageContaining("999");
    assertThatThrownBy(() -> new StoreOptions(1, 1, 60_000, 0))
        .hasMessageContaining("maxClients").hasMessageContaining("got 0");
  }

  @Test
  void theListenAddressDefaultsToTheIdentityAndMustBeHostPortWhenSet() {
    RaftNodeOptions v = valid();
    assertThat(v.raftListenAddress()).isEmpty();
    assertThat(v.listenAddress()).isEqualTo(SELF);

    RaftNodeOptions forwarded = new RaftNodeOptions(v.nodeId(), v.raftAddress(), v.dataDir(),
        v.voters(), v.learners(), 1000, 10, 3600, v.store(), "0.0.0.0:9081");
    assertThat(forwarded.validate().listenAddress()).isEqualTo("0.0.0.0:9081");
    assertThat(new RaftNodeOptions(v.nodeId(), v.raftAddress(), v.dataDir(), v.voters(),
        v.learners(), 1000, 10, 3600, v.store(), null).listenAddress()).isEqualTo(SELF);
    assertThatThrownBy(() -> new RaftNodeOptions(v.nodeId(), v.raftAddress(), v.dataDir(),
        v.voters(), v.learners(), 1000, 10, 3600, v.store(), "9081").validate())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raftListenAddress");
  }

  @Test
  void peersMayBeNamedByHostNames() {
    RaftNodeOptions named = withAddresses("n1:4001", List.of("n1:4001", "n2:4002", "n3:4003"),
        List.of("l1:4004"));
    assertThat(named.validate().isLearner()).isFalse();
  }
}
