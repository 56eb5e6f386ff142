package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import raftkv.core.ReplicatorStatus;
import raftkv.core.ReplicatorStatus.Phase;
import raftkv.v1.ReplicatorState;

/**
 * The leader's sampled view of its peers and the peer log built on it, driven by a fake node
 * and a fake clock: when a voter counts as not replicating, when that degrades replication,
 * and that the log says one line per change with reminders at most every repeat period.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ReplicationHealthTest {
  private static final String SELF = "127.0.0.1:7001";
  private static final String N2 = "127.0.0.1:7002";
  private static final String N3 = "127.0.0.1:7003";
  private static final String L1 = "127.0.0.1:7004";
  private static final long DEGRADED_AFTER_MS = 3_000;

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final FakeNode node = new FakeNode();
  private final ReplicationHealth health = new ReplicationHealth(node,
      new Members(List.of(new PeerSpec("n1", SELF, "127.0.0.1:9001", false),
          new PeerSpec("n2", N2, "127.0.0.1:9002", false),
          new PeerSpec("n3", N3, "127.0.0.1:9003", false),
          new PeerSpec("l1", L1, "127.0.0.1:9004", true))),
      clock::get, DEGRADED_AFTER_MS);

  private static ReplicatorStatus replicating(long lag) {
    return new ReplicatorStatus(Phase.REPLICATING, 0, lag, "");
  }

  private static ReplicatorStatus failing(long errors) {
    return new ReplicatorStatus(Phase.PROBING, errors, 0,
        "RPC exception:Create connection failed. The address is " + N2);
  }

  private void healthyGroup() {
    node.leader = true;
    node.replicators.put(N2, replicating(3));
    node.replicators.put(N3, replicating(0));
    node.replicators.put(L1, replicating(7));
  }

  @Test
  void aFollowerNodeReportsNothing() {
    node.leader = false;
    ReplicationHealth.Snapshot s = health.refresh();
    assertThat(s.leader()).isFalse();
    assertThat(s.peers()).isEmpty();
    assertThat(s.degraded()).isFalse();
    assertThat(health.current()).isSameAs(s);
  }

  @Test
  void theLeaderListsEveryOtherVoterAndEveryLearnerWithItsState() {
    healthyGroup();
    ReplicationHealth.Snapshot s = health.refresh();
    assertThat(s.leader()).isTrue();
    assertThat(s.peers()).extracting(p -> p.member().getId()).containsExactly("n2", "n3", "l1");
    assertThat(s.peers()).allSatisfy(p -> {
      assertThat(p.replicating()).isTrue();
      assertThat(p.msSinceAck()).isZero();
    });
    raftkv.v1.ReplicationHealth proto = s.toProto();
    assertThat(proto.getDegraded()).isFalse();
    assertThat(proto.getReplicas(2).getLearner()).isTrue();
    assertThat(proto.getReplicas(2).getLagEntries()).isEqualTo(7);
    assertThat(proto.getReplicas(0).getState()).isEqualTo(ReplicatorState.REPLICATOR_REPLICATING);
    assertThat(proto.getReplicas(0).getMember().getGrpcAddress()).isEqualTo("127.0.0.1:9002");
  }

  @Test
  void aVoterNotReplicatingForLongerThanTheThresholdDegradesReplicationUntilItIsBack() {
    healthyGroup();
    health.refresh();
    node.replicators.put(N2, failing(4));
    clock.addAndGet(500);
    ReplicationHealth.Snapshot early = health.refresh();
    ReplicationHealth.Peer n2 = early.peer(N2).orElseThrow();
    assertThat(n2.replicating()).isFalse();
    assertThat(n2.msSinceAck()).isEqualTo(500);
    assertThat(early.degraded()).isFalse();
    assertThat(n2.toProto().getLagEntries()).as("a lag that is not replicating means nothing")
        .isZero();
    assertThat(n2.toProto().getConsecutiveErrors()).isEqualTo(4);
    assertThat(n2.toProto().getLastError()).contains("Create connection failed");

    clock.addAndGet(DEGRADED_AFTER_MS);
    ReplicationHealth.Snapshot late = health.refresh();
    assertThat(late.peer(N2).orElseThrow().msSinceAck()).isEqualTo(DEGRADED_AFTER_MS + 500);
    assertThat(late.degraded()).isTrue();
    assertThat(late.degradedReason()).startsWith("voter n2 (" + N2 + ") not replicating for 3.5 s")
        .contains("4 failed RPCs in a row");

    node.replicators.put(N2, replicating(0));
    clock.addAndGet(500);
    ReplicationHealth.Snapshot back = health.refresh();
    assertThat(back.degraded()).isFalse();
    assertThat(back.degradedReason()).isEmpty();
    assertThat(back.peer(N2).orElseThrow().msSinceAck()).isZero();
  }

  @Test
  void aProbingReplicatorThatAnswersWithNothingToSendIsReplicating() {
    healthyGroup();
    health.refresh();
    // jraft leaves a replicator in Probe after one failed heartbeat until the next entry.
    node.replicators.put(N2, new ReplicatorStatus(Phase.PROBING, 0, 0, "RPC exception:timeout"));
    node.replicators.put(N3, new ReplicatorStatus(Phase.PROBING, 0, 5, ""));
    clock.addAndGet(DEGRADED_AFTER_MS + 1);
    ReplicationHealth.Snapshot s = health.refresh();
    assertThat(s.peer(N2).orElseThrow().replicating()).isTrue();
    assertThat(s.peer(N3).orElseThrow().replicating()).as("probing with entries to send").isFalse();
    assertThat(s.peer(N3).orElseThrow().msSinceAck()).isZero();
    assertThat(s.degradedReason()).doesNotContain("n2").contains("voter n3").contains("probing");
  }

  @Test
  void aMissingReplicatorCountsAsNotReplicatingAndALearnerNeverDegrades() {
    healthyGroup();
    health.refresh();
    node.replicators.remove(N3);
    node.replicators.remove(L1);
    clock.addAndGet(DEGRADED_AFTER_MS + 1);
    ReplicationHealth.Snapshot s = health.refresh();
    assertThat(s.peer(N3).orElseThrow().toProto().getState())
        .isEqualTo(ReplicatorState.REPLICATOR_MISSING);
    assertThat(s.degradedReason()).contains("voter n3").contains("cannot connect")
        .contains("no replicator")
        .doesNotContain("l1");
    assertThat(s.peer(L1).orElseThrow().msSinceAck()).isEqualTo(DEGRADED_AFTER_MS + 1);
  }

  @Test
  void aVoterInstallingASnapshotAnswersButIsNotReplicating() {
    healthyGroup();
    health.refresh();
    node.replicators.put(N2, new ReplicatorStatus(Phase.INSTALLING_SNAPSHOT, 0, 900, ""));
    clock.addAndGet(DEGRADED_AFTER_MS + 1);
    ReplicationHealth.Snapshot s = health.refresh();
    ReplicationHealth.Peer n2 = s.peer(N2).orElseThrow();
    assertThat(n2.msSinceAck()).isZero();
    assertThat(n2.replicating()).isFalse();
    assertThat(s.degraded()).isTrue();
    assertThat(s.degradedReason()).contains("installing a snapshot");
  }

  @Test
  void clocksStartOverWhenThisNodeLeadsAgain() {
    healthyGroup();
    node.replicators.remove(N2);
    health.refresh();
    clock.addAndGet(10_000);
    assertThat(health.refresh().degraded()).isTrue();
    node.leader = false;
    assertThat(health.refresh().leader()).isFalse();
    node.leader = true;
    clock.addAndGet(1_000);
    ReplicationHealth.Snapshot again = health.refresh();
    assertThat(again.peer(N2).orElseThrow().msSinceAck()).isZero();
    assertThat(again.degraded()).isFalse();
  }

  @Test
  void thePeerLogSaysOneLinePerChangeAndRemindsAtMostEveryRepeatPeriod() {
    Logger logger = (Logger) LoggerFactory.getLogger("raftkv.test.PeerHealthLog." + System.nanoTime());
    logger.setLevel(Level.INFO);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    health.addListener(new PeerHealthLog(logger, clock::get, 1_000, 60_000));

    healthyGroup();
    health.refresh();
    node.replicators.put(N2, failing(1));
    for (int i = 0; i < 4; i++) {
      clock.addAndGet(500);
      health.refresh();
    }
    // Not answering for 0.5 s is not reported; from 1 s on, once.
    assertThat(lines.list).hasSize(1);
    ILoggingEvent down = lines.list.get(0);
    assertThat(down.getLevel()).isEqualTo(Level.WARN);
    assertThat(down.getFormattedMessage())
        .startsWith("peer n2 (voter at " + N2 + ") unreachable for 1.0 s: cannot connect "
            + "(replicator probing, 1 failed RPCs in a row, last: RPC exception:Create "
            + "connection failed");
    assertThat(down.getThrowableProxy()).isNull();

    for (int i = 0; i < 120; i++) {
      clock.addAndGet(500);
      health.refresh();
    }
    assertThat(lines.list).hasSize(2);
    assertThat(lines.list.get(1).getFormattedMessage())
        .startsWith("peer n2 (voter at " + N2 + ") still unreachable after 61.0 s");

    node.replicators.put(N2, replicating(0));
    clock.addAndGet(500);
    health.refresh();
    health.refresh();
    assertThat(lines.list).hasSize(3);
    assertThat(lines.list.get(2).getLevel()).isEqualTo(Level.INFO);
    assertThat(lines.list.get(2).getFormattedMessage())
        .isEqualTo("peer n2 (voter at " + N2 + ") reachable again after 62.5 s");
  }

  @Test
  void aBlipShorterThanTheReportDelayIsNotLogged() {
    Logger logger = (Logger) LoggerFactory.getLogger("raftkv.test.PeerHealthLog." + System.nanoTime());
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    health.addListener(new PeerHealthLog(logger, clock::get, 1_000, 60_000));
    healthyGroup();
    health.refresh();
    node.replicators.put(N3, failing(2));
    clock.addAndGet(500);
    health.refresh();
    node.replicators.put(N3, replicating(0));
    clock.addAndGet(500);
    health.refresh();
    assertThat(lines.list).isEmpty();
  }

  /** A node whose leadership, configuration and replicators the test sets. */
  private static final class FakeNode implements ReplicationHealth.Source {
    volatile boolean leader;
    final Map<String, ReplicatorStatus> replicators = new HashMap<>();

    @Override
    public boolean isLeader() {
      return leader;
    }

    @Override
    public String self() {
      return SELF;
    }

    @Override
    public List<String> voters() {
      return List.of(SELF, N2, N3);
    }

    @Override
    public List<String> learners() {
      return List.of(L1);
    }

    @Override
    public Optional<ReplicatorStatus> replicator(String raftAddress) {
      return Optional.ofNullable(replicators.get(raftAddress));
    }
  }
}
