package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Member;
import raftkv.v1.MembershipResponse;
import raftkv.v1.NotLeader;
import raftkv.v1.PromoteLearnerRequest;
import raftkv.v1.Role;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;

/**
 * Membership changes through {@link AdminApi} go to the node that says it leads, follow one
 * NotLeader hint, and surface a refusal unchanged (never retried).
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class AdminLeaderRoutingTest {
  private final List<Server> servers = new ArrayList<>();
  /** "node: method" for every membership call a fake node received, in order. */
  private final List<String> received = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(Server::shutdownNow);
  }

  @Test
  void aChangeGoesToTheNodeWhoseStatusSaysLeader() throws IOException {
    String follower = start("n1", Role.FOLLOWER, null);
    String leader = start("n2", Role.LEADER, null);

    try (KvClient client = client(follower, leader)) {
      MembershipResponse r = client.admin().promoteLearner("l1", 10).join();

      assertThat(r.getVoters(0).getId()).isEqualTo("l1");
      assertThat(received).containsExactly("n2: promote l1 max 10");
    }
  }

  @Test
  void aNotLeaderAnswerIsFollowedOnceToTheNamedLeader() throws IOException {
    String leader = start("n2", Role.FOLLOWER, null);
    // Both claim to follow (an election is settling): the first is asked and names n2.
    String stale = start("n1", Role.FOLLOWER, leader);

    try (KvClient client = client(stale, leader)) {
      MembershipResponse r = client.admin().promoteLearner("l1", 0).join();

      assertThat(r.getVoters(0).getId()).isEqualTo("l1");
      assertThat(received).containsExactly("n1: promote l1 max 0", "n2: promote l1 max 0");
    }
  }

  @Test
  void aRefusalIsReturnedWithItsCodeAndMessageAndNotRetried() throws IOException {
    String leader = start("n1", Role.LEADER, null);

    try (KvClient client = client(leader)) {
      Throwable failure = org.assertj.core.api.Assertions.catchThrowable(
          () -> client.admin().promoteLearner("lagging", 10).join());

      assertThat(failure).isInstanceOf(CompletionException.class)
          .cause().isInstanceOf(KvException.class);
      KvException kv = (KvException) failure.getCause();
      assertThat(kv.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(kv.serverMessage()).contains("lagging is 500 entries behind");
      assertThat(received).containsExactly("n1: promote lagging max 10");
    }
  }

  private KvClient client(String... endpoints) {
    return KvClient.builder().endpoints(List.of(endpoints)).defaultDeadline(Duration.ofSeconds(5))
        .build();
  }

  /**
   * A fake node answering Status with {@code role} and PromoteLearner with a membership that
   * lists the learner as a voter, or with NotLeader naming {@code redirectTo} when set, or
   * FAILED_PRECONDITION for the id "lagging".
   */
  private String start(String id, Role role, String redirectTo) throws IOException {
    Server server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new AdminGrpc.AdminImplBase() {
          @Override
          public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
            out.onNext(StatusResponse.newBuilder().setNodeId(id).setRole(role).build());
            out.onCompleted();
          }

          @Override
          public void promoteLearner(PromoteLearnerRequest request,
              StreamObserver<MembershipResponse> out) {
            received.add(id + ": promote " + request.getId() + " max " + request.getMaxLagEntries());
            if (redirectTo != null) {
              out.onError(StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                  .setCode(Status.Code.UNAVAILABLE.value()).setMessage("not the leader")
                  .addDetails(Any.pack(NotLeader.newBuilder().setLeaderId("n2")
                      .setLeaderGrpcAddress(redirectTo).build()))
                  .build()));
            } else if (request.getId().equals("lagging")) {
              out.onError(Status.FAILED_PRECONDITION
                  .withDescription("lagging is 500 entries behind the leader's log")
                  .asRuntimeException());
            } else {
              out.onNext(MembershipResponse.newBuilder()
                  .addVoters(Member.newBuilder().setId(request.getId())).build());
              out.onCompleted();
            }
          }
        }).build().start();
    servers.add(server);
    return "127.0.0.1:" + server.getPort();
  }
}
