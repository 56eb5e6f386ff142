package raftkv.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import raftkv.core.RaftNode;
import raftkv.v1.Member;
import raftkv.v1.MembershipResponse;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.MemberRecord;

/**
 * Voter changes at runtime: add, remove, promote a learner. Each method validates on the
 * calling thread and returns a future that jraft's callbacks complete, so no gRPC thread
 * waits on Raft. Thread-safe (stateless beyond its collaborators).
 *
 * <p>Invariant: a member's name (id and gRPC address) is committed to the log before the
 * configuration that adds it, and its removal after the configuration that removes it, so
 * every node can name every member of every configuration it applies.
 */
final class MembershipChanges {
  /** Default lag bound for promotion and leadership transfer, in log entries. */
  static final long DEFAULT_MAX_LAG_ENTRIES = 1_000;

  /**
   * How often an entry is written while a new voter's catch-up is pending. jraft confirms
   * that a joining voter caught up only from an AppendEntries response; in an idle group only
   * heartbeats flow, so the change waited until a client happened to write (a promotion on
   * an idle 3+1 group hung for over 10 s). Re-recording the member's name is the entry:
   * apply writes the same record again, which changes nothing.
   */
  static final long NUDGE_MS = 200;

  private final RaftNode node;
  private final Members members;
  private final Errors errors;
  private final java.util.concurrent.ScheduledExecutorService timer;

  MembershipChanges(RaftNode node, Members members, Errors errors,
      java.util.concurrent.ScheduledExecutorService timer) {
    this.node = node;
    this.members = members;
    this.errors = errors;
    this.timer = timer;
  }

  CompletableFuture<MembershipResponse> addVoter(Member voter) {
    try {
      PeerSpec spec = PeerSpec.parse(voter.getId() + "=" + voter.getRaftAddress() + "/"
          + voter.getGrpcAddress());
      ServerConfig.requirePort(spec, spec.raftAddress());
      ServerConfig.requirePort(spec, spec.grpcAddress());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(new InvalidRequest(e.getMessage()));
    }
    if (node.learners().contains(voter.getRaftAddress())) {
      return CompletableFuture.failedFuture(new InvalidRequest(voter.getRaftAddress()
          + " is a learner; promote it (PromoteLearner) instead of adding it as a voter"));
    }
    if (node.voters().contains(voter.getRaftAddress())) {
      return CompletableFuture.failedFuture(
          new InvalidRequest(voter.getRaftAddress() + " is already a voter"));
    }
    List<String> all = new ArrayList<>(node.voters());
    all.addAll(node.learners());
    if (members.raftAddressOf(voter.getId(), all).isPresent()) {
      return CompletableFuture.failedFuture(
          new InvalidRequest("id " + voter.getId() + " is taken by another member"));
    }
    return leaderOnly().thenCompose(leader -> node.propose(memberRecord(voter, false)))
        .thenCompose(recorded -> nudged(node.addVoter(voter.getRaftAddress()), voter))
        .thenApply(done -> membership());
  }

  CompletableFuture<MembershipResponse> removeVoter(String id) {
    List<String> voters = node.voters();
    java.util.Optional<String> address = members.raftAddressOf(id, voters);
    if (address.isEmpty()) {
      return CompletableFuture.failedFuture(new InvalidRequest("no voter with id '" + id
          + "'; voters are " + ids(voters)));
    }
    if (voters.size() == 1) {
      return CompletableFuture.failedFuture(new InvalidRequest(
          "cannot remove " + id + ": it is the last voter, and a group needs at least one"));
    }
    Member removed = members.member(address.get());
    return leaderOnly().thenCompose(leader -> node.removeVoter(address.get()))
        // The voter is out once the configuration committed: a lost leadership or a failed
        // proposal of the removal record must not turn that into an error (a retry would
        // then say there is no such voter). The name just stays recorded, which is harmless.
        .thenCompose(done -> node.isLeader()
            ? node.propose(memberRecord(removed, true))
                .handle((recorded, failure) -> (Void) null)
            : CompletableFuture.<Void>completedFuture(null))
        .thenApply(done -> membership());
  }

  CompletableFuture<MembershipResponse> promoteLearner(String id, long maxLagEntries) {
    List<String> learners = node.learners();
    java.util.Optional<String> address = members.raftAddressOf(id, learners);
    if (address.isEmpty()) {
      return CompletableFuture.failedFuture(new InvalidRequest("no learner with id '" + id
          + "'; learners are " + ids(learners)));
    }
    if (maxLagEntries < 0) {
      return CompletableFuture.failedFuture(invalidLagBound(maxLagEntries));
    }
    return leaderOnly().thenCompose(leader -> {
      long bound = maxLagEntries == 0 ? DEFAULT_MAX_LAG_ENTRIES : maxLagEntries;
      java.util.OptionalLong lag = node.replicaLogLag(address.get());
      if (lag.isEmpty() || lag.getAsLong() > bound) {
        return CompletableFuture.failedFuture(errors.memberLagging(id, lag, bound));
      }
      return nudged(node.promoteLearner(address.get()), members.member(address.get()))
          .thenApply(done -> membership());
    });
  }

  /** {@code change}, with an entry written every {@link #NUDGE_MS} until it completes. */
  private <T> CompletableFuture<T> nudged(CompletableFuture<T> change, Member member) {
    java.util.concurrent.ScheduledFuture<?> nudges = timer.scheduleWithFixedDelay(() -> {
      if (!change.isDone() && node.isLeader()) {
        node.propose(memberRecord(member, false));
      }
    }, NUDGE_MS, NUDGE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    change.whenComplete((result, failure) -> nudges.cancel(false));
    return change;
  }

  /** max_lag_entries is a uint64; Java reads values above Long.MAX_VALUE as negative. */
  static InvalidRequest invalidLagBound(long maxLagEntries) {
    return new InvalidRequest("max_lag_entries " + Long.toUnsignedString(maxLagEntries)
        + " is out of range; it must be at most " + Long.MAX_VALUE + " (0: the default, "
        + DEFAULT_MAX_LAG_ENTRIES + ")");
  }

  /** Fails with NOT_LEADER (naming the leader) unless this node leads. */
  CompletableFuture<Void> leaderOnly() {
    return node.isLeader() ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(errors.notLeader("membership changes go to the leader"));
  }

  MembershipResponse membership() {
    return MembershipResponse.newBuilder()
        .addAllVoters(members.members(node.voters()))
        .addAllLearners(members.members(node.learners()))
        .build();
  }

  List<String> ids(List<String> raftAddresses) {
    return raftAddresses.stream().map(a -> members.member(a).getId()).toList();
  }

  static Command memberRecord(Member member, boolean removed) {
    return Command.newBuilder().setProposedAtMs(System.currentTimeMillis())
        .setMember(MemberRecord.newBuilder().setMember(member).setRemoved(removed)).build();
  }
}
