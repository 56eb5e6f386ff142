package raftkv.server;

import raftkv.core.RaftNode;
import raftkv.reads.ReplicaProgress;

/**
 * Whether this node should receive traffic: the rule behind {@code GET /ready} and the gRPC
 * health status. Ready when a leader is known and this node is the leader, or a follower or
 * learner whose lag ({@link ReplicaProgress.Lag#millis}, the lag_ms of read responses) is at
 * most {@code maxLagMs}. Not ready when no leader is known, when this node was removed from
 * the configuration, or when its Raft node is in an error state.
 *
 * <p>Thread-safety: safe from any thread; {@link #check} reads jraft's getters (which take
 * the node's lock briefly), so never call it on jraft's state machine thread.
 */
final class Readiness {
  /** A decision and its reason, one line of JSON for humans and probes alike. Immutable. */
  record Verdict(boolean ready, String reason) {
    String json() {
      return "{\"ready\":" + ready + ",\"reason\":\"" + escape(reason) + "\"}";
    }

    /** A JSON string's content: quotes and backslashes escaped, control characters as spaces. */
    static String escape(String s) {
      return s.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("\\p{Cntrl}", " ");
    }
  }

  private final RaftNode node;
  private final ReplicaProgress progress;
  private final long maxLagMs;

  Readiness(RaftNode node, ReplicaProgress progress, long maxLagMs) {
    this.node = node;
    this.progress = progress;
    this.maxLagMs = maxLagMs;
  }

  Verdict check() {
    String state = node.stateName();
    if (state.equals("STATE_ERROR")) {
      return new Verdict(false, "raft node in " + state + "; restart it");
    }
    if (node.isLeader()) {
      return new Verdict(true, "leader");
    }
    if (node.isRemoved()) {
      return new Verdict(false, "removed from the configuration");
    }
    String leader = node.leaderRaftAddress();
    if (leader == null) {
      return new Verdict(false, "no leader known");
    }
    long lagMs = progress.lag().millis();
    if (lagMs > maxLagMs) {
      return new Verdict(false, "lag " + lagMs + " ms > " + maxLagMs + " ms");
    }
    return new Verdict(true, "following " + leader + ", lag " + lagMs + " ms <= " + maxLagMs
        + " ms");
  }
}
