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
import raftkv.v1.AdminGrpc;
import raftkv.v1.Member;
import raftkv.v1.MembershipResponse;
import raftkv.v1.NotLeader;
import raftkv.v1.RemoveLearnerRequest;
import raftkv.v1.Role;

/** {@code raftkv admin add-learner|remove-learner}: membership changes, sent to the leader. */
@Command(name = "admin", mixinStandardHelpOptions = true,
    description = "Membership changes. They go to the leader, found through --endpoints/--cluster.",
    subcommands = {AdminCommand.AddLearner.class, AdminCommand.RemoveLearner.class})
final class AdminCommand {

  @Command(name = "add-learner", mixinStandardHelpOptions = true,
      description = {"Adds a running node as a learner (a non-voting replica that serves reads).",
          "Start it first: raftkv server --role learner --id ID --peers <voters>,ID=RAFT/GRPC ..."})
  static final class AddLearner implements Callable<Integer> {
    @Mixin Connection connection;
    @Mixin Output output;
    @Option(names = "--id", required = true) String id;
    @Option(names = "--raft-address", required = true, paramLabel = "HOST:PORT") String raftAddress;
    @Option(names = "--grpc-address", required = true, paramLabel = "HOST:PORT") String grpcAddress;

    @Override
    public Integer call() {
      Member learner = Member.newBuilder().setId(id).setRaftAddress(raftAddress)
          .setGrpcAddress(grpcAddress).build();
      return onLeader(connection, output, admin -> admin.addLearner(
          AddLearnerRequest.newBuilder().setLearner(learner).build()));
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

  /**
   * Sends the change to the node that reports itself leader, following one NotLeader hint if
   * the leader changed meanwhile. Membership changes are not retried: each is one decision.
   */
  static int onLeader(Connection connection, Output output,
      Function<AdminGrpc.AdminBlockingStub, MembershipResponse> change) {
    Credentials credentials = connection.credentials();
    String target = connection.endpoints().stream()
        .filter(e -> LocalCluster.status(e, java.time.Duration.ofSeconds(2), credentials)
            .map(s -> s.getRole() == Role.LEADER).orElse(false))
        .findFirst().orElse(connection.endpoints().get(0));
    for (int attempt = 0; attempt < 2; attempt++) {
      ManagedChannel channel = credentials.channel(target);
      try {
        MembershipResponse r = change.apply(AdminGrpc.newBlockingStub(channel)
            .withDeadlineAfter(connection.timeout.toMillis(), TimeUnit.MILLISECONDS));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("voters", r.getVotersList().stream().map(AdminCommand::member).toList());
        json.put("learners", r.getLearnersList().stream().map(AdminCommand::member).toList());
        output.print(json, "voters " + ids(r.getVotersList()) + ", learners " + ids(r.getLearnersList()));
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
