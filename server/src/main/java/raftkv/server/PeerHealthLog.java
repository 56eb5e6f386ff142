package raftkv.server;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's log of peer reachability: one line when a peer stops answering, a reminder at
 * most every {@code repeatMs} while it stays that way, one line when it answers again. This
 * is what replaces jraft's and Bolt's per-attempt messages (one per failed connection or RPC,
 * with stack traces; the node's logback configuration silences those).
 *
 * <pre>
 * WARN peer n2 (voter at 10.0.0.2:7001) unreachable for 1.0 s: replicator probing, 12 failed RPCs in a row, last: ...
 * WARN peer n2 (voter at 10.0.0.2:7001) still unreachable after 300.5 s: ...
 * INFO peer n2 (voter at 10.0.0.2:7001) reachable again after 301.0 s
 * </pre>
 *
 * <p>A peer counts as unreachable once it has not answered for {@code reportAfterMs} (one
 * election timeout: a blip of a heartbeat or two is not worth a line), and as reachable again
 * at the first sample in which it answers. Only the leader replicates, so only the leader
 * logs; a node that stops leading forgets what it reported (the next leader reports anew).
 *
 * <p>Thread-safety: a {@link ReplicationHealth} listener, called on its one refreshing thread;
 * not safe for concurrent calls.
 */
final class PeerHealthLog implements java.util.function.Consumer<ReplicationHealth.Snapshot> {
  private static final Logger LOG = LoggerFactory.getLogger(PeerHealthLog.class);
  /** Reminders while a peer stays unreachable. */
  static final long REPEAT_MS = 5 * 60_000;

  /** A peer reported unreachable: when it last answered, when it was last logged. */
  private record Reported(long lastAckMs, long loggedMs) {}

  private final Logger log;
  private final LongSupplier clockMs;
  private final long reportAfterMs;
  private final long repeatMs;
  private final Map<String, Reported> reported = new HashMap<>();

  PeerHealthLog(LongSupplier clockMs, long reportAfterMs) {
    this(LOG, clockMs, reportAfterMs, REPEAT_MS);
  }

  PeerHealthLog(Logger log, LongSupplier clockMs, long reportAfterMs, long repeatMs) {
    this.log = log;
    this.clockMs = clockMs;
    this.reportAfterMs = reportAfterMs;
    this.repeatMs = repeatMs;
  }

  @Override
  public void accept(ReplicationHealth.Snapshot snapshot) {
    if (!snapshot.leader()) {
      reported.clear();
      return;
    }
    long nowMs = clockMs.getAsLong();
    Set<String> present = new HashSet<>();
    for (ReplicationHealth.Peer peer : snapshot.peers()) {
      String address = peer.member().getRaftAddress();
      present.add(address);
      Reported before = reported.get(address);
      if (peer.answering()) {
        if (before != null) {
          reported.remove(address);
          log.info("peer {} reachable again after {}", peer.describe(),
              ReplicationHealth.seconds(nowMs - before.lastAckMs()));
        }
      } else if (before == null) {
        if (peer.msSinceAck() >= reportAfterMs) {
          reported.put(address, new Reported(nowMs - peer.msSinceAck(), nowMs));
          log.warn("peer {} unreachable for {}: {}", peer.describe(),
              ReplicationHealth.seconds(peer.msSinceAck()), peer.problem());
        }
      } else if (nowMs - before.loggedMs() >= repeatMs) {
        reported.put(address, new Reported(before.lastAckMs(), nowMs));
        log.warn("peer {} still unreachable after {}: {}", peer.describe(),
            ReplicationHealth.seconds(nowMs - before.lastAckMs()), peer.problem());
      }
    }
    // A member removed from the configuration is not a peer any more.
    reported.keySet().retainAll(present);
  }
}
