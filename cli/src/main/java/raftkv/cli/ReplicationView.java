package raftkv.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import raftkv.v1.ReplicaHealth;
import raftkv.v1.ReplicationHealth;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;

/**
 * The leader's replication health as {@code raftkv status} and {@code raftkv cluster status}
 * print it: one row per other member (replicating or not, the replicator's state, time since
 * it last answered, lag) and a verdict line. Stateless.
 */
final class ReplicationView {
  private ReplicationView() {}

  /** The answer of the node that reports itself leader with a replication view, if any. */
  static Optional<StatusResponse> leader(Collection<StatusResponse> statuses) {
    return statuses.stream().filter(s -> s.getRole() == Role.LEADER && s.hasReplication())
        .findFirst();
  }

  /** For {@code --json}: leader id, degraded, reason and one object per replica. */
  static Map<String, Object> json(StatusResponse leader) {
    ReplicationHealth r = leader.getReplication();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("leaderId", leader.getNodeId());
    out.put("degraded", r.getDegraded());
    out.put("degradedReason", r.getDegradedReason());
    out.put("replicas", rows(r));
    return out;
  }

  /** The table's rows; also the JSON replicas. */
  static List<Map<String, Object>> rows(ReplicationHealth r) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ReplicaHealth replica : r.getReplicasList()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("peer", replica.getMember().getId());
      row.put("role", replica.getLearner() ? "learner" : "voter");
      row.put("raftAddress", replica.getMember().getRaftAddress());
      row.put("replicating", replica.getReplicating());
      row.put("state", replica.getState().name().replaceFirst("^REPLICATOR_", ""));
      row.put("msSinceAck", replica.getMsSinceAck());
      row.put("lagEntries", replica.getLagEntries());
      row.put("errors", replica.getConsecutiveErrors());
      rows.add(row);
    }
    return rows;
  }

  /** Prints the verdict line and the table for people. */
  static void print(StatusResponse leader, Output output) {
    ReplicationHealth r = leader.getReplication();
    System.out.println();
    System.out.println("replication from leader " + leader.getNodeId() + ": "
        + (r.getDegraded() ? "DEGRADED: " + r.getDegradedReason() : "ok"));
    output.table(null, rows(r));
  }
}
