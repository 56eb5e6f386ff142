package raftkv.server;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import raftkv.core.RaftNode;
import raftkv.v1.Member;
import raftkv.v1.TransferLeadershipResponse;

/**
 * Hands leadership to a named voter and completes once that voter leads, watching the
 * node's view of the leader on a timer: no thread waits. Thread-safe.
 *
 * <p>jraft lets the target catch up, then tells it to campaign at once; while the transfer
 * runs, the old leader refuses proposals (clients retry them) and a transfer that does not
 * finish within one election timeout is abandoned by jraft, which resumes leading.
 */
final class LeadershipTransfer {
  private static final long POLL_MS = 10;

  private final RaftNode node;
  private final Members members;
  private final Errors errors;
  private final ScheduledExecutorService timer;
  private final long giveUpMs;

  /**
   * jraft abandons a transfer after one election timeout; a new leader needs about one more
   * round to be heard.
   */
  static LeadershipTransfer of(RaftNode node, Members members, Errors errors,
      ScheduledExecutorService timer, int electionTimeoutMs) {
    return new LeadershipTransfer(node, members, errors, timer, 3L * electionTimeoutMs);
  }

  /** @param giveUpMs how long to wait for the target to lead before answering ABORTED */
  LeadershipTransfer(RaftNode node, Members members, Errors errors,
      ScheduledExecutorService timer, long giveUpMs) {
    this.node = node;
    this.members = members;
    this.errors = errors;
    this.timer = timer;
    this.giveUpMs = giveUpMs;
  }

  CompletableFuture<TransferLeadershipResponse> transferTo(String id, long maxLagEntries) {
    if (node.learners().stream().anyMatch(a -> members.member(a).getId().equals(id))) {
      return CompletableFuture.failedFuture(new InvalidRequest(id + " is a learner; only a "
          + "voter can lead (promote it first)"));
    }
    Optional<String> target = members.raftAddressOf(id, node.voters());
    if (target.isEmpty()) {
      return CompletableFuture.failedFuture(new InvalidRequest("no voter with id '" + id
          + "'; voters are " + node.voters().stream().map(a -> members.member(a).getId()).toList()));
    }
    if (maxLagEntries < 0) {
      return CompletableFuture.failedFuture(MembershipChanges.invalidLagBound(maxLagEntries));
    }
    if (!node.isLeader()) {
      return CompletableFuture.failedFuture(errors.notLeader("leadership transfers go to the leader"));
    }
    if (target.get().equals(node.options().raftAddress())) {
      return CompletableFuture.completedFuture(answer(target.get()));
    }
    long bound = maxLagEntries == 0 ? MembershipChanges.DEFAULT_MAX_LAG_ENTRIES : maxLagEntries;
    OptionalLong lag = node.replicaLogLag(target.get());
    if (lag.isEmpty() || lag.getAsLong() > bound) {
      return CompletableFuture.failedFuture(errors.memberLagging(id, lag, bound));
    }
    try {
      node.transferLeadership(target.get());
    } catch (RuntimeException refused) {
      return CompletableFuture.failedFuture(refused);
    }
    CompletableFuture<TransferLeadershipResponse> done = new CompletableFuture<>();
    watch(target.get(), System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(giveUpMs), done);
    return done;
  }

  private void watch(String target, long deadlineNanos,
      CompletableFuture<TransferLeadershipResponse> done) {
    if (!node.isLeader() && target.equals(node.leaderRaftAddress())) {
      done.complete(answer(target));
      return;
    }
    if (System.nanoTime() - deadlineNanos >= 0) {
      String leader = node.leaderRaftAddress();
      done.completeExceptionally(io.grpc.Status.ABORTED.withDescription("leadership did not "
          + "move to " + members.member(target).getId() + " within " + giveUpMs + " ms; the "
          + "leader is " + (leader == null ? "unknown" : members.member(leader).getId()))
          .asRuntimeException());
      return;
    }
    timer.schedule(() -> watch(target, deadlineNanos, done), POLL_MS, TimeUnit.MILLISECONDS);
  }

  private TransferLeadershipResponse answer(String leader) {
    Member m = members.member(leader);
    return TransferLeadershipResponse.newBuilder().setLeaderId(m.getId())
        .setLeaderGrpcAddress(m.getGrpcAddress()).setTerm(node.term()).build();
  }
}
