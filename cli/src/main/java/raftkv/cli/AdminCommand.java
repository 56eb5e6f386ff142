package raftkv.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import raftkv.v1.AddLearnerRequest;
import raftkv.v1.AddVoterRequest;
import raftkv.v1.PromoteLearnerRequest;
import raftkv.v1.RemoveVoterRequest;
import raftkv.v1.SnapshotRequest;
import raftkv.v1.SnapshotResponse;
import raftkv.v1.TransferLeadershipRequest;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Member;
import raftkv.v1.MembershipResponse;
import raftkv.v1.NotLeader;
import raftkv.v1.RemoveLearnerRequest;
import raftkv.v1.Role;

/**
 * {@code raftkv admin ...}: membership and leadership changes, sent to the leader, and
 * snapshots, sent to each named node.
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
      return onLeader(connection, output, admin -> admin.addLearner(
          AddLearnerRequest.newBuilder().setLearner(member.toProto()).build()));
    }
  }

  @Command(name = "remove-learner", mixinStandardHelpOptions = true,
      description = "Removes a learner; it then refuses reads that claim freshness.")
  static final class RemoveLearner implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--id", required = true) String id;

    @Override
    public Integer call() {
      return onLeader(connection, output, admin -> admin.removeLearner(
          RemoveLearnerRequest.newBuilder().setId(id).build()));
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
      return onLeader(connection, output, admin -> admin.addVoter(
          AddVoterRequest.newBuilder().setVoter(member.toProto()).build()));
    }
  }

  @Command(name = "remove-voter", mixinStandardHelpOptions = true,
      description = "Removes a voter (the leader itself hands over first). Stop its process after.")
  static final class RemoveVoter implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--id", required = true) String id;

    @Override
    public Integer call() {
      return onLeader(connection, output, admin -> admin.removeVoter(
          RemoveVoterRequest.newBuilder().setId(id).build()));
    }
  }

  @Command(name = "promote", mixinStandardHelpOptions = true,
      description = "Makes a learner a voter; refused, with its lag, until it has caught up.")
  static final class Promote implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--id", required = true) String id;
    @Option(names = "--max-lag-entries", defaultValue = "0",
        description = "Most entries the learner may be behind the leader's log (0: the "
            + "server's default, 1000).")
    long maxLagEntries;

    @Override
    public Integer call() {
      return onLeader(connection, output, admin -> admin.promoteLearner(
          PromoteLearnerRequest.newBuilder().setId(id).setMaxLagEntries(maxLagEntries).build()));
    }
  }

  @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
      description = "Hands leadership to a voter and returns once it leads; refuses learners "
          + "and lagging voters.")
  static final class TransferLeader implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--to", required = true, paramLabel = "ID") String id;
    @Option(names = "--max-lag-entries", defaultValue = "0",
        description = "Most entries the target may be behind (0: the server's default, 1000).")
    long maxLagEntries;

    @Override
    public Integer call() {
      return onLeader(connection, output, admin -> admin.transferLeadership(
          TransferLeadershipRequest.newBuilder().setId(id).setMaxLagEntries(maxLagEntries).build()),
          r -> print(Map.of("leader", r.getLeaderId(), "leaderGrpcAddress",
              r.getLeaderGrpcAddress(), "term", r.getTerm()),
              "leader " + r.getLeaderId() + " (" + r.getLeaderGrpcAddress() + "), term " + r.getTerm()));
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
      List<Map<String, Object>> done = new java.util.ArrayList<>();
      StringBuilder text = new StringBuilder();
      for (String endpoint : connection.endpoints()) {
        ManagedChannel channel = connection.credentials().channel(endpoint);
        try {
          SnapshotResponse r = AdminGrpc.newBlockingStub(channel)
              .withDeadlineAfter(connection.timeout.toMillis(), TimeUnit.MILLISECONDS)
              .snapshot(SnapshotRequest.getDefaultInstance());
          done.add(Map.of("node", r.getNodeId(), "appliedIndex", r.getAppliedIndex()));
          text.append(text.length() == 0 ? "" : "\n").append("snapshot of ").append(r.getNodeId())
              .append(" at applied index ").append(r.getAppliedIndex());
        } catch (StatusRuntimeException e) {
          System.err.println("raftkv: " + endpoint + ": " + e.getStatus().getCode() + ": "
              + e.getStatus().getDescription());
          return 1;
        } finally {
          channel.shutdownNow();
        }
      }
      output.print(Map.of("snapshots", done), text.toString());
      return 0;
    }
  }

  /** The node an add-learner or add-voter names: its id and both addresses. */
  static final class NewMember {
    @Option(names = "--id", required = true) String id;
    @Option(names = "--raft-address", required = true, paramLabel = "HOST:PORT") String raftAddress;
    @Option(names = "--grpc-address", required = true, paramLabel = "HOST:PORT") String grpcAddress;

    Member toProto() {
      return Member.newBuilder().setId(id).setRaftAddress(raftAddress).setGrpcAddress(grpcAddress)
          .build();
    }
  }

  /** What a verb prints: JSON for --json, a line of text otherwise. */
  record Printed(Object json, String text) {}

  private static Printed print(Object json, String text) {
    return new Printed(json, text);
  }

  static int onLeader(Connection connection, Output output,
      Function<AdminGrpc.AdminBlockingStub, MembershipResponse> change) {
    return onLeader(connection, output, change, r -> {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("voters", r.getVotersList().stream().map(AdminCommand::member).toList());
      json.put("learners", r.getLearnersList().stream().map(AdminCommand::member).toList());
      return print(json, "voters " + ids(r.getVotersList()) + ", learners " + ids(r.getLearnersList()));
    });
  }

  /**
   * Sends the change to the node that reports itself leader, following one NotLeader hint if
   * the leader changed meanwhile. Membership changes are not retried: each is one decision.
   */
  static <R> int onLeader(Connection connection, Output output,
      Function<AdminGrpc.AdminBlockingStub, R> change, Function<R, Printed> printed) {
    Credentials credentials = connection.credentials();
    String target = connection.endpoints().stream()
        .filter(e -> LocalCluster.status(e, java.time.Duration.ofSeconds(2), credentials)
            .map(s -> s.getRole() == Role.LEADER).orElse(false))
        .findFirst().orElse(connection.endpoints().get(0));
    for (int attempt = 0; attempt < 2; attempt++) {
      ManagedChannel channel = credentials.channel(target);
      try {
        Printed result = printed.apply(change.apply(AdminGrpc.newBlockingStub(channel)
            .withDeadlineAfter(connection.timeout.toMillis(), TimeUnit.MILLISECONDS)));
        output.print(result.json(), result.text());
        return 0;
      } catch (StatusRuntimeException e) {
        String leader = hintedLeader(e);
        if (leader.isEmpty() || leader.equals(target)) {
          System.err.println("raftkv: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
          return 1;
        }
        target = leader;
      } finally {
        channel.shutdownNow();
      }
    }
    System.err.println("raftkv: the leader kept changing; try again");
    return 1;
  }

  private static String hintedLeader(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return "";
    }
    return status.getDetailsList().stream().filter(a -> a.is(NotLeader.class)).findFirst().map(a -> {
      try {
        return a.unpack(NotLeader.class).getLeaderGrpcAddress();
      } catch (com.google.protobuf.InvalidProtocolBufferException x) {
        return "";
      }
    }).orElse("");
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
