package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static raftkv.core.Commands.b;
import static raftkv.core.Commands.casPut;
import static raftkv.core.Commands.put;
import static raftkv.core.Commands.smallOptions;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import raftkv.v1.KeyValue;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.Outcome;

/** One real single-voter jraft node: the write path and restart on the same directory. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RaftNodeTest {
  @TempDir Path dataDir;
  private RaftNode node;

  @AfterEach
  void closeNode() {
    if (node != null) {
      node.close();
      node = null;
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static RaftNodeOptions singleVoter(Path dataDir, int port) {
    String self = "127.0.0.1:" + port;
    return new RaftNodeOptions("n1", self, dataDir, List.of(self), List.of(), 1000, 10, 3600,
        smallOptions());
  }

  private RaftNode startAndAwaitLeadership(RaftNodeOptions options) {
    node = RaftNode.start(options);
    RaftNode started = node;
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
        .until(started::isLeader);
    return started;
  }

  private static Outcome proposeAndWait(RaftNode node, Command command) throws Exception {
    CompletableFuture<Outcome> future = node.propose(command);
    return future.get(15, TimeUnit.SECONDS);
  }

  @Test
  void aProposedWriteIsAppliedAndSurvivesARestartOnTheSameDirectory() throws Exception {
    RaftNodeOptions options = singleVoter(dataDir, freePort());
    RaftNode first = startAndAwaitLeadership(options);
    assertThat(first.voters()).containsExactly(options.raftAddress());
    assertThat(first.learners()).isEmpty();

    Command write = Commands.command(put("k", "v1"), "test-client", 1, 0,
        System.currentTimeMillis());
    Outcome outcome = proposeAndWait(first, write);

    long index = outcome.getTxn().getIndex();
    assertThat(outcome.getTxn().getSucceeded()).isTrue();
    assertThat(index).isPositive();
    // Acknowledged only once applied: the store already has it, at exactly that index.
    IndexedRead<KeyValue> read = first.store().get(b("k"));
    assertThat(read.result().getValue().toStringUtf8()).isEqualTo("v1");
    assertThat(read.result().getVersion()).isEqualTo(index);
    assertThat(read.appliedIndex()).isEqualTo(index);
    assertThat(first.appliedIndex()).isGreaterThanOrEqualTo(index);
    assertThat(first.readIndex().get(15, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(index);

    first.close();
    node = null;

    // Same directory, same address.
    node = RaftNode.start(options);
    RaftNode second = node;
    // Before any election or replay: the store already knows exactly what it holds.
    assertThat(second.store().appliedIndex()).isEqualTo(index);
    assertThat(second.store().get(b("k")).result().getVersion()).isEqualTo(index);

    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
        .until(second::isLeader);

    // The replayed entry was not applied again: the key's version is still its index...
    Outcome cas = proposeAndWait(second, Commands.command(casPut("k", index, "v2"),
        "test-client", 2, 1, System.currentTimeMillis()));
    assertThat(cas.getTxn().getSucceeded()).isTrue();
    assertThat(cas.getTxn().getIndex()).isGreaterThan(index);
    // ... and a retry of the first write is answered with its original outcome.
    assertThat(proposeAndWait(second, write)).isEqualTo(outcome);
    assertThat(second.store().get(b("k")).result().getValue().toStringUtf8()).isEqualTo("v2");
  }

  @Test
  void aStoppedNodeRefusesAProposalAtOnceAsNotLeader() throws Exception {
    RaftNodeOptions options = singleVoter(dataDir, freePort());
    RaftNode started = startAndAwaitLeadership(options);
    started.close();
    node = null;

    CompletableFuture<Outcome> refused =
        started.propose(Commands.command(put("k", "v"), "c", 1, 0, 1));

    assertThat(refused).isCompletedExceptionally();
    assertThat(refused).failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .havingCause().isInstanceOf(RaftFailure.class)
        .matches(e -> ((RaftFailure) e).kind() == RaftFailure.Kind.NOT_LEADER);
  }

  @Test
  void aStartThatCannotBindStopsItsNodeAndReleasesTheStoreSoALaterStartSucceeds()
      throws Exception {
    RaftNodeOptions options;
    // jraft creates and starts the node before it binds its RPC server; a bind failure then
    // throws out of RaftGroupService.start with the node (and our store) left running.
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      options = singleVoter(dataDir, taken.getLocalPort());
      RaftNodeOptions busy = options;
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
        node = RaftNode.start(busy);
      }).isInstanceOf(RuntimeException.class);
    }
    // The port is free again: the same directory must open (RocksDB's lock was released).
    RaftNode started = startAndAwaitLeadership(options);
    assertThat(started.store().appliedIndex()).isZero();
  }

  private static RaftNodeOptions listeningElsewhere(Path dataDir, int identityPort, int listenPort) {
    RaftNodeOptions identity = singleVoter(dataDir, identityPort);
    return new RaftNodeOptions(identity.nodeId(), identity.raftAddress(), dataDir,
        identity.voters(), identity.learners(), 1000, 10, 3600, identity.store(),
        "127.0.0.1:" + listenPort);
  }

  private static boolean bound(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      return false;
    } catch (java.io.IOException inUse) {
      return true;
    }
  }

  @Test
  void aNodeWithAListenAddressBindsThatPortLeavesItsIdentityPortFreeAndReleasesItOnClose()
      throws Exception {
    int identityPort = freePort();
    int listenPort = freePort();
    RaftNode started = startAndAwaitLeadership(
        listeningElsewhere(dataDir, identityPort, listenPort));

    assertThat(bound(listenPort)).as("listen port bound").isTrue();
    assertThat(bound(identityPort)).as("identity port bound").isFalse();
    // The identity is what the configuration names; the listen address is only where Bolt is.
    assertThat(started.voters()).containsExactly("127.0.0.1:" + identityPort);
    assertThat(started.leaderRaftAddress()).isEqualTo("127.0.0.1:" + identityPort);
    Outcome outcome = proposeAndWait(started,
        Commands.command(put("k", "v"), "c", 1, 0, System.currentTimeMillis()));
    assertThat(outcome.getTxn().getSucceeded()).isTrue();

    started.close();
    node = null;
    await("the listen port is released").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20)).until(() -> !bound(listenPort));
  }

  @Test
  void aStartWhoseListenPortIsTakenFailsAndReleasesTheStore() throws Exception {
    RaftNodeOptions options;
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      // A port just freed can be handed out again: the identity must differ from the listener.
      int identityPort = freePort();
      while (identityPort == taken.getLocalPort()) {
        identityPort = freePort();
      }
      RaftNodeOptions busy = listeningElsewhere(dataDir, identityPort, taken.getLocalPort());
      options = busy;
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
        node = RaftNode.start(busy);
      }).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("listening on " + busy.raftListenAddress());
    }
    RaftNode started = startAndAwaitLeadership(options);
    assertThat(started.store().appliedIndex()).isZero();
  }
}
