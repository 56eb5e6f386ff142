package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static raftkv.core.Commands.put;
import static raftkv.core.Commands.smallOptions;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.faultproxy.LinkProxy;

/**
 * A learner whose inbound Raft link accepts connections and closes them at once (a cut link
 * in a proxy, an L4 balancer with a dead backend) while the leader keeps writing, with CPU
 * contention beside it, is back at the leader's index soon after the link heals. Before
 * raftkv healed Bolt's connection pools, such a cut could leave the leader's pool for the
 * learner poisoned, and the leader then sent it nothing for up to 10 minutes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LearnerLinkRecoveryTest {
  private static final Logger LOG = LoggerFactory.getLogger(LearnerLinkRecoveryTest.class);
  /** Connection attempts the leader must have made into the cut link before it heals. */
  private static final int REFUSED_ATTEMPTS = 40;
  /** Far below the 10 minutes a poisoned pool used to last; a few election timeouts. */
  private static final Duration CATCH_UP_BOUND = Duration.ofSeconds(20);

  @TempDir Path dataDir;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final AtomicBoolean stop = new AtomicBoolean();

  @AfterEach
  void close() throws Exception {
    stop.set(true);
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private <T extends AutoCloseable> T closeLater(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  @Test
  void aLearnerBehindALinkThatAcceptsAndClosesCatchesUpOnceTheLinkHeals() throws Exception {
    String leaderAddress = "127.0.0.1:" + freePort();
    int learnerIdentityPort = freePort();
    int learnerListenPort = freePort();
    String learnerAddress = "127.0.0.1:" + learnerIdentityPort;
    List<String> voters = List.of(leaderAddress);
    List<String> learners = List.of(learnerAddress);
    // The leader reaches the learner only through the proxy, which listens on the learner's
    // identity address and forwards to where the learner really listens.
    LinkProxy link = closeLater(LinkProxy.start("n1-l1",
        new InetSocketAddress("127.0.0.1", learnerIdentityPort),
        new InetSocketAddress("127.0.0.1", learnerListenPort)));
    RaftNode leader = closeLater(RaftNode.start(new RaftNodeOptions("n1", leaderAddress,
        dataDir.resolve("n1"), voters, learners, 1000, 50, 3600, smallOptions())));
    RaftNode learner = closeLater(RaftNode.start(new RaftNodeOptions("l1", learnerAddress,
        dataDir.resolve("l1"), voters, learners, 1000, 50, 3600, smallOptions(),
        "127.0.0.1:" + learnerListenPort)));
    await("leader elected").atMost(Duration.ofSeconds(30)).until(leader::isLeader);
    for (int i = 0; i < 20; i++) {
      leader.propose(Commands.command(put("k" + i, "v"), "c", i + 1, 0, 0))
          .get(15, TimeUnit.SECONDS);
    }
    await("learner caught up before the cut").atMost(Duration.ofSeconds(30))
        .until(() -> learner.appliedIndex() >= leader.appliedIndex());

    Thread writer = closeLater(new BackgroundThread("writer", () -> writeUntilStopped(leader)));
    List<BackgroundThread> busy = List.of(
        closeLater(new BackgroundThread("busy-1", this::spinUntilStopped)),
        closeLater(new BackgroundThread("busy-2", this::spinUntilStopped)));
    link.cut();
    await("leader retried the cut link").atMost(Duration.ofSeconds(60))
        .until(() -> link.refusedConnections() >= REFUSED_ATTEMPTS);
    long behindAtCut = leader.appliedIndex() - learner.appliedIndex();

    link.pass();
    long healedAt = System.nanoTime();
    long target = leader.appliedIndex();
    await("learner back at the leader's index " + target).atMost(CATCH_UP_BOUND)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> learner.appliedIndex() >= target);
    LOG.info("learner caught up {} ms after the link healed ({} entries behind, {} refused "
        + "connections)", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healedAt),
        behindAtCut, link.refusedConnections());
    assertThat(behindAtCut).as("the leader wrote while the link was cut").isPositive();
    busy.forEach(BackgroundThread::close);
    writer.interrupt();
  }

  /** Proposes with at most 8 in flight until stopped. */
  private void writeUntilStopped(RaftNode leader) {
    Semaphore inFlight = new Semaphore(8);
    AtomicLong sequence = new AtomicLong(1_000);
    while (!stop.get() && !Thread.currentThread().isInterrupted()) {
      try {
        if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
      } catch (InterruptedException e) {
        return;
      }
      long seq = sequence.incrementAndGet();
      CompletableFuture<?> done =
          leader.propose(Commands.command(put("w" + (seq % 100), "v" + seq), "w", seq, 0, 0));
      done.whenComplete((outcome, failure) -> inFlight.release());
    }
  }

  private void spinUntilStopped() {
    long x = 0;
    while (!stop.get()) {
      x += System.nanoTime() & 7;
    }
    if (x == 42) {
      LOG.trace("unreachable");
    }
  }

  /** A daemon thread, started at once, that close() stops and joins. */
  private final class BackgroundThread extends Thread implements AutoCloseable {
    BackgroundThread(String name, Runnable body) {
      super(body, "test-" + name);
      setDaemon(true);
      start();
    }

    @Override
    public void close() {
      stop.set(true);
      interrupt();
      try {
        join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
