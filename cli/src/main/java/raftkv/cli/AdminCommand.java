package raftkv.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.client.AdminApi;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.v1.Member;
import raftkv.v1.MembershipResponse;
import raftkv.v1.SnapshotResponse;

/**
 * {@code raftkv admin ...}: membership and leadership changes, sent to the leader through the
 * client's {@link AdminApi}, and snapshots, sent to each named node.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Membership and leadership changes (sent to the leader, found through "
        + "--endpoints/--cluster) and snapshots.",
    subcommands = {AdminCommand.AddLearner.class, AdminCommand.RemoveLearner.class,
        AdminCommand.AddVoter.class, AdminCommand.RemoveVoter.class, AdminCommand.Promote.class,
        AdminCommand.TransferLeader.class, AdminCommand.Snapshot.class})
final class AdminCommand {

  @Command(name = "add-learner", mixinStandardHelpOptions = true,
      description = {"Adds a running node as a learner (a non-voting replica that serves reads).",
          "Start it first: raftkv server --role learner --id ID --peers <voters>,ID=RAFT/GRPC ..."})
  static final class AddLearner implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Mixin NewMember member;

    @Override
    public Integer call() {
      return run(connection, output, admin -> admin.addLearner(member.toProto()),
          AdminCommand::membership);
    }
  }

  @Command(name = "remove-learner", mixinStandardHelpOptions = true,
      description = "Removes a learner; it then refuses reads that claim freshness.")
  static final class RemoveLearner implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--id", required = true, description = "The learner's node id.") String id;

    @Override
    public Integer call() {
      return run(connection, output, admin -> admin.removeLearner(id), AdminCommand::membership);
    }
  }

  @Command(name = "add-voter", mixinStandardHelpOptions = true,
      description = {"Adds a running node as a voter; the leader brings its log up to date first.",
          "Start it first: raftkv server --id ID --peers <current members>,ID=RAFT/GRPC ..."})
  static final class AddVoter implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Mixin NewMember member;

    @Override
    public Integer call() {
      return run(connection, output, admin -> admin.addVoter(member.toProto()),
          AdminCommand::membership);
    }
  }

  @Command(name = "remove-voter", mixinStandardHelpOptions = true,
      description = "Removes a voter (the leader itself hands over first). Stop its process after.")
  static final class RemoveVoter implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--id", required = true, description = "The voter's node id.") String id;

    @Override
    public Integer call() {
      return run(connection, output, admin -> admin.removeVoter(id), AdminCommand::membership);
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true,
      description = "Makes a learner a voter; refused, with its lag, until it has caught up.")
  static final class Promote implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--id", required = true, description = "The learner's node id.") String id;
    @Option(names = "--max-lag-entries", defaultValue = "0",
        description = "Most entries the learner may be behind the leader's log (0: the "
            + "server's default, 1000).")
    long maxLagEntries;

    @Override
    public Integer call() {
      return run(connection, output, admin -> admin.promoteLearner(id, maxLagEntries),
          AdminCommand::membership);
    }
  }

  @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
      description = "Hands leadership to a voter and returns once it leads; refuses learners "
          + "and lagging voters.")
  static final class TransferLeader implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--to", required = true, paramLabel = "ID",
        description = "The voter to hand leadership to.") String id;
    @Option(names = "--max-lag-entries", defaultValue = "0",
        description = "Most entries the target may be behind (0: the server's default, 1000).")
    long maxLagEntries;

    @Override
    public Integer call() {
      return run(connection, output, admin -> admin.transferLeadership(id, maxLagEntries),
          r -> new Printed(Map.of("leader", r.getLeaderId(), "leaderGrpcAddress",
              r.getLeaderGrpcAddress(), "term", r.getTerm()),
              "leader " + r.getLeaderId() + " (" + r.getLeaderGrpcAddress() + "), term "
                  + r.getTerm()));
    }
  }

  @Command(name = "snapshot", mixinStandardHelpOptions = true,
      description = "Takes a snapshot now on every node named by --endpoints (or every node of "
          + "--cluster); the log is truncated up to the previous snapshot.")
  static final class Snapshot implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;

    @Override
    public Integer call() {
      return run(connection, output, admin -> {
        List<CompletableFuture<SnapshotResponse>> each = admin.endpoints().stream()
            .map(admin::snapshot).toList();
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
            .thenApply(all -> each.stream().map(CompletableFuture::join).toList());
      }, snapshots -> new Printed(
          Map.of("snapshots", snapshots.stream().map(r -> Map.of("node", r.getNodeId(),
              "appliedIndex", r.getAppliedIndex())).toList()),
          String.join("\n", snapshots.stream().map(r -> "snapshot of " + r.getNodeId()
              + " at applied index " + r.getAppliedIndex()).toList())));
    }
  }

  /** The node an add-learner or add-voter names: its id and both addresses. */
  static final class NewMember {
    @Option(names = "--id", required = true, description = "The new node's id (its server --id).")
    String id;

    @Option(names = "--raft-address", required = true, paramLabel = "HOST:PORT",
        description = "Where the new node listens for Raft traffic.")
    String raftAddress;

    @Option(names = "--grpc-address", required = true, paramLabel = "HOST:PORT",
        description = "Where the new node serves clients (gRPC).")
    String grpcAddress;

    Member toProto() {
      return Member.newBuilder().setId(id).setRaftAddress(raftAddress).setGrpcAddress(grpcAddress)
          .build();
    }
  }

  /** What a verb prints: JSON for --json, a line of text otherwise. */
  record Printed(Object json, String text) {}

  /**
   * Runs one admin call with the connection's client (its TLS, token and deadline) and prints
   * the answer. Exit 0 on success, 1 when the cluster refused or failed the call, 2 on usage
   * errors.
   */
  static <R> int run(Connection connection, Output output,
      Function<AdminApi, CompletableFuture<R>> call, Function<R, Printed> printed) {
    try (KvClient client = connection.connect()) {
      Printed result = printed.apply(call.apply(client.admin()).join());
      output.print(result.json(), result.text());
      return 0;
    } catch (CompletionException e) {
      KvException failure = e.getCause() instanceof KvException kv ? kv : null;
      System.err.println("raftkv: " + (failure == null ? String.valueOf(e.getCause())
          : failure.code() + ": " + failure.serverMessage()));
      return 1;
    } catch (IllegalArgumentException e) {
      System.err.println("raftkv: " + e.getMessage());
      return 2;
    }
  }

  private static Printed membership(MembershipResponse r) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("voters", r.getVotersList().stream().map(AdminCommand::member).toList());
    json.put("learners", r.getLearnersList().stream().map(AdminCommand::member).toList());
    return new Printed(json, "voters " + ids(r.getVotersList()) + ", learners "
        + ids(r.getLearnersList()));
  }

  private static Map<String, Object> member(Member m) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("id", m.getId());
    json.put("raftAddress", m.getRaftAddress());
    json.put("grpcAddress", m.getGrpcAddress());
    return json;
  }

  private static List<String> ids(List<Member> members) {
    return members.stream().map(Member::getId).toList();
  }
}
