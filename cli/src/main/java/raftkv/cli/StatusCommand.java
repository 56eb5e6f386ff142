package raftkv.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import raftkv.v1.StatusResponse;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Asks every endpoint for its state: role (LEADER, FOLLOWER, LEARNER, ...), term, "
        + "leader, applied and commit index, and lag behind the leader (entries, ms); then, "
        + "from the leader, replication to each other member: replicating or not, the "
        + "replicator's state, ms since it last answered, lag, and whether replication is "
        + "degraded (a voter not replicating for over three election timeouts).",
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv status --cluster /tmp/kv",
        "  raftkv status --endpoints 10.0.0.1:9001,10.0.0.2:9001,10.0.0.3:9001 --json"})
final class StatusCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Mixin Output output;

  @Override
  public Integer call() {
    List<Map<String, Object>> rows = new ArrayList<>();
    List<StatusResponse> answers = new ArrayList<>();
    int reachable = 0;
    Credentials credentials = connection.credentials();
    // An unreachable node cannot say its id; cluster.json can, when --cluster names it.
    Map<String, String> knownIds = connection.knownIds();
    for (String endpoint : connection.endpoints()) {
      Optional<StatusResponse> status = LocalCluster.status(endpoint,
          Duration.ofMillis(Math.min(5_000, connection.timeout.toMillis())), credentials);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", status.map(StatusResponse::getNodeId)
          .orElse(knownIds.getOrDefault(endpoint, "?")));
      row.put("endpoint", endpoint);
      row.put("role", status.map(s -> s.getRole().name()).orElse("UNREACHABLE"));
      row.put("term", status.map(StatusResponse::getTerm).orElse(0L));
      row.put("leaderId", status.map(StatusResponse::getLeaderId).orElse(""));
      row.put("appliedIndex", status.map(StatusResponse::getAppliedIndex).orElse(0L));
      row.put("commitIndex", status.map(StatusResponse::getCommitIndex).orElse(0L));
      row.put("lagEntries", status.map(StatusResponse::getLagEntries).orElse(0L));
      row.put("lagMs", status.map(StatusResponse::getLagMs).orElse(0L));
      rows.add(row);
      status.ifPresent(answers::add);
      reachable += status.isPresent() ? 1 : 0;
    }
    Optional<StatusResponse> leader = ReplicationView.leader(answers);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("nodes", rows);
    leader.ifPresent(l -> json.put("replication", ReplicationView.json(l)));
    output.table(json, rows);
    if (!output.json) {
      leader.ifPresent(l -> ReplicationView.print(l, output));
    }
    if (reachable == 0) {
      System.err.println("raftkv: no endpoint answered");
      return 1;
    }
    return 0;
  }
}
