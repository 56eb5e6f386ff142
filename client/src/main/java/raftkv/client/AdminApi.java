package raftkv.client;

import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import raftkv.v1.AddLearnerRequest;
import raftkv.v1.AddVoterRequest;
import raftkv.v1.AdminGrpc;
import raftkv.v1.DigestRequest;
import raftkv.v1.DigestResponse;
import raftkv.v1.Member;
import raftkv.v1.MembershipResponse;
import raftkv.v1.NotLeader;
import raftkv.v1.PromoteLearnerRequest;
import raftkv.v1.RemoveLearnerRequest;
import raftkv.v1.RemoveVoterRequest;
import raftkv.v1.Role;
import raftkv.v1.SnapshotRequest;
import raftkv.v1.SnapshotResponse;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;
import raftkv.v1.TransferLeadershipRequest;
import raftkv.v1.TransferLeadershipResponse;

/**
 * Questions to one node about itself, and membership and leadership changes. Unlike the KV
 * calls these are never retried: a question to a node wants that node's answer (an
 * unreachable node is the answer), and each change is one decision. Changes go to the
 * leader: the endpoint whose Status says LEADER, following one NotLeader hint if leadership
 * moved meanwhile. Obtained from {@link KvClient#admin()}.
 *
 * <p>Thread-safe; a view of its {@link KvClient}, valid until that is closed.
 */
public final class AdminApi {
  private final Dispatcher dispatcher;
  private final Duration deadline;

  AdminApi(Dispatcher dispatcher, Duration deadline) {
    this.dispatcher = dispatcher;
    this.deadline = deadline;
  }

  /** The endpoints the client was built with, in their order. */
  public List<String> endpoints() {
    return dispatcher.router().endpoints();
  }

  /**
   * The node's role, term, leader, indexes and members, within the client's default deadline.
   *
   * @param endpoint "host:port" of the node's client API; need not be one of {@link
   *     #endpoints()}
   */
  public CompletableFuture<StatusResponse> status(String endpoint) {
    return status(endpoint, deadline);
  }

  /** {@link #status(String)} within {@code deadline}. */
  public CompletableFuture<StatusResponse> status(String endpoint, Duration deadline) {
    return once(endpoint, AdminGrpc.getStatusMethod(), StatusRequest.getDefaultInstance(),
        deadline);
  }

  /**
   * A hash of the node's replicated state at its applied index, within the client's default
   * deadline. Nodes that report the same applied index must report the same hash; the node
   * scans its whole store to compute it, so this is for convergence checks, not hot paths.
   *
   * @param endpoint "host:port" of the node's client API; need not be one of {@link
   *     #endpoints()}
   */
  public CompletableFuture<DigestResponse> digest(String endpoint) {
    return digest(endpoint, deadline);
  }

  /** {@link #digest(String)} within {@code deadline}. */
  public CompletableFuture<DigestResponse> digest(String endpoint, Duration deadline) {
    return once(endpoint, AdminGrpc.getDigestMethod(), DigestRequest.getDefaultInstance(),
        deadline);
  }

  /** Adds a running node as a learner (leader only); answers with the new membership. */
  public CompletableFuture<MembershipResponse> addLearner(Member learner) {
    return onLeader(AdminGrpc.getAddLearnerMethod(),
        AddLearnerRequest.newBuilder().setLearner(learner).build());
  }

  /** Removes a learner (leader only). */
  public CompletableFuture<MembershipResponse> removeLearner(String id) {
    return onLeader(AdminGrpc.getRemoveLearnerMethod(),
        RemoveLearnerRequest.newBuilder().setId(id).build());
  }

  /** Adds a running node as a voter (leader only); the leader catches it up first. */
  public CompletableFuture<MembershipResponse> addVoter(Member voter) {
    return onLeader(AdminGrpc.getAddVoterMethod(),
        AddVoterRequest.newBuilder().setVoter(voter).build());
  }

  /** Removes a voter (leader only; removing the leader hands leadership over). */
  public CompletableFuture<MembershipResponse> removeVoter(String id) {
    return onLeader(AdminGrpc.getRemoveVoterMethod(),
        RemoveVoterRequest.newBuilder().setId(id).build());
  }

  /**
   * Makes a learner a voter. Fails with FAILED_PRECONDITION ({@link KvException#code()}) and
   * the lag while the learner is more than {@code maxLagEntries} behind (0: the server's
   * default, 1000).
   */
  public CompletableFuture<MembershipResponse> promoteLearner(String id, long maxLagEntries) {
    return onLeader(AdminGrpc.getPromoteLearnerMethod(), PromoteLearnerRequest.newBuilder()
        .setId(id).setMaxLagEntries(maxLagEntries).build());
  }

  /**
   * Hands leadership to the voter {@code id}; completes once it leads. Refused for learners
   * and for a voter more than {@code maxLagEntries} behind (0: the server's default).
   */
  public CompletableFuture<TransferLeadershipResponse> transferLeadership(String id,
      long maxLagEntries) {
    return onLeader(AdminGrpc.getTransferLeadershipMethod(), TransferLeadershipRequest.newBuilder()
        .setId(id).setMaxLagEntries(maxLagEntries).build());
  }

  /** Takes a snapshot on the node at {@code endpoint} now. */
  public CompletableFuture<SnapshotResponse> snapshot(String endpoint) {
    return once(endpoint, AdminGrpc.getSnapshotMethod(), SnapshotRequest.getDefaultInstance(),
        deadline);
  }

  /**
   * Sends {@code request} to the endpoint whose Status says LEADER (the first endpoint when
   * none does), and once more to the leader a NotLeader answer names.
   */
  private <Req, Resp> CompletableFuture<Resp> onLeader(MethodDescriptor<Req, Resp> method,
      Req request) {
    List<String> endpoints = endpoints();
    Duration probe = deadline.compareTo(LEADER_PROBE) < 0 ? deadline : LEADER_PROBE;
    List<CompletableFuture<StatusResponse>> statuses = endpoints.stream()
        .map(e -> status(e, probe).exceptionally(unreachable -> null)).toList();
    return CompletableFuture.allOf(statuses.toArray(CompletableFuture[]::new)).thenCompose(all -> {
      String target = endpoints.get(0);
      for (int i = 0; i < endpoints.size(); i++) {
        StatusResponse status = statuses.get(i).join();
        if (status != null && status.getRole() == Role.LEADER) {
          target = endpoints.get(i);
          break;
        }
      }
      String asked = target;
      return once(asked, method, request, deadline).exceptionallyCompose(failure -> {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException
            && failure.getCause() != null ? failure.getCause() : failure;
        java.util.Optional<String> hinted = KvException.of(cause).leaderHint()
            .map(NotLeader::getLeaderGrpcAddress).filter(a -> !a.isEmpty() && !a.equals(asked));
        return hinted.isPresent() ? once(hinted.get(), method, request, deadline)
            : CompletableFuture.failedFuture(failure);
      });
    });
  }

  /** How long finding the leader may wait for one node's Status. */
  private static final Duration LEADER_PROBE = Duration.ofSeconds(2);

  private <Req, Resp> CompletableFuture<Resp> once(String endpoint,
      MethodDescriptor<Req, Resp> method, Req request, Duration deadline) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (!Router.isHostPort(endpoint)) {
      throw new IllegalArgumentException("endpoint must be host:port, got '" + endpoint + "'");
    }
    return dispatcher.once(endpoint, method, request, KvClient.checkDeadline(deadline));
  }

  /** {@link #status(String)}, waited for; throws {@link KvException}. */
  public StatusResponse blockingStatus(String endpoint) {
    return BlockingKv.await(status(endpoint), deadline);
  }

  /** {@link #status(String, Duration)}, waited for; throws {@link KvException}. */
  public StatusResponse blockingStatus(String endpoint, Duration deadline) {
    return BlockingKv.await(status(endpoint, deadline), deadline);
  }
}
