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
        + "leader, applied and commit index, and lag behind the leader (entries, ms).")
final class StatusCommand implements Callable<Integer> {
  @Mixin Connection connection;
  @Mixin Output output;

  @Override
  public Integer call() {
    List<Map<String, Object>> rows = new ArrayList<>();
    int reachable = 0;
    Credentials credentials = connection.credentials();
    for (String endpoint : connection.endpoints()) {
      Optional<StatusResponse> status = LocalCluster.status(endpoint,
          Duration.ofMillis(Math.min(5_000, connection.timeout.toMillis())), credentials);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("id", status.map(StatusResponse::getNodeId).orElse("?"));
      row.put("endpoint", endpoint);
      row.put("role", status.map(s -> s.getRole().name()).orElse("UNREACHABLE"));
      row.put("term", status.map(StatusResponse::getTerm).orElse(0L));
      row.put("leaderId", status.map(StatusResponse::getLeaderId).orElse(""));
      row.put("appliedIndex", status.map(StatusResponse::getAppliedIndex).orElse(0L));
      row.put("commitIndex", status.map(StatusResponse::getCommitIndex).orElse(0L));
      row.put("lagEntries", status.map(StatusResponse::getLagEntries).orElse(0L));
      row.put("lagMs", status.map(StatusResponse::getLagMs).orElse(0L));
      rows.add(row);
      reachable += status.isPresent() ? 1 : 0;
    }
    output.table(Map.of("nodes", rows), rows);
    if (reachable == 0) {
      System.err.println("raftkv: no endpoint answered");
      return 1;
    }
    return 0;
  }
}
