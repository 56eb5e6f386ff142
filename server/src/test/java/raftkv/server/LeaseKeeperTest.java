package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.core.RaftFailure;
import raftkv.v1.internal.Command;
import raftkv.v1.internal.LeaseOutcome;
import raftkv.v1.internal.LeaseRecord;
import raftkv.v1.internal.Outcome;

/** The leader's lease clock, on a manual clock: who expires what, and when. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class LeaseKeeperTest {
  private static final long ELECTION_TIMEOUT_MS = 1500;

  private final AtomicLong now = new AtomicLong(10_000);
  private final FakeNode node = new FakeNode();
  private final LeaseKeeper keeper = new LeaseKeeper(node, now::get, ELECTION_TIMEOUT_MS);

  @Test
  void aNewLeaderGivesEveryStoredLeaseItsTtlPlusOneElectionTimeoutBeforeExpiringIt() {
    node.stored.add(LeaseRecord.newBuilder().setId(5).setTtlMs(1000).build());
    keeper.leaderChanged(2, true);

    now.addAndGet(1000 + ELECTION_TIMEOUT_MS - 1);
    keeper.expireDue();
    assertThat(node.proposals).as("proposed before ttl + election timeout").isEmpty();

    now.addAndGet(1);
    keeper.expireDue();
    assertThat(node.proposals).hasSize(1);
    assertThat(node.proposals.get(0).command().getLeaseEnd().getId()).isEqualTo(5);
    assertThat(node.proposals.get(0).command().getLeaseEnd().getExpired()).isTrue();
  }

  @Test
  void aGrantedLeaseExpiresOneTtlAfterItsLastKeepAlive() {
    keeper.leaderChanged(2, true);
    keeper.granted(7, 1000);

    now.addAndGet(900);
    assertThat(keeper.renew(7)).isEqualTo(1000);
    now.addAndGet(999);
    keeper.expireDue();
    assertThat(node.proposals).as("proposed before a ttl since the keep-alive").isEmpty();
    assertThat(keeper.remainingMs(7)).isEqualTo(1);

    now.addAndGet(1);
    keeper.expireDue();
    assertThat(node.proposals).extracting(p -> p.command().getLeaseEnd().getId())
        .containsExactly(7L);
  }

  @Test
  void aKeepAliveNeverShortensTheGraceOfANewLeader() {
    node.stored.add(LeaseRecord.newBuilder().setId(5).setTtlMs(1000).build());
    keeper.leaderChanged(2, true);

    assertThat(keeper.renew(5)).isEqualTo(1000);
    assertThat(keeper.remainingMs(5)).isEqualTo(1000 + ELECTION_TIMEOUT_MS);
  }

  @Test
  void anExpiryIsProposedOnceWhileInFlightAndAgainAfterItFailed() {
    keeper.leaderChanged(2, true);
    keeper.granted(7, 1000);
    now.addAndGet(1000);

    keeper.expireDue();
    keeper.expireDue();
    assertThat(node.proposals).hasSize(1);

    node.proposals.get(0).result().completeExceptionally(
        new RaftFailure(RaftFailure.Kind.BUSY, "apply queue full"));
    keeper.expireDue();
    assertThat(node.proposals).hasSize(2);
  }

  @Test
  void anExpiryOfALeaseThatAlreadyEndedForgetsIt() {
    keeper.leaderChanged(2, true);
    keeper.granted(7, 1000);
    now.addAndGet(1000);
    keeper.expireDue();

    node.proposals.get(0).result().complete(Outcome.newBuilder()
        .setLease(LeaseOutcome.newBuilder().setId(7).setNotFound(true)).build());

    assertThat(keeper.size()).isZero();
    assertThat(keeper.renew(7)).as("ttl of a lease that no longer exists").isZero();
  }

  @Test
  void anEndedLeaseIsNeitherRenewedNorExpired() {
    keeper.leaderChanged(2, true);
    keeper.granted(7, 1000);
    keeper.ended(7);

    now.addAndGet(5000);
    keeper.expireDue();
    assertThat(node.proposals).isEmpty();
    assertThat(keeper.renew(7)).isZero();
  }

  @Test
  void aFollowerHoldsNoDeadlinesAndExpiresNothing() {
    node.stored.add(LeaseRecord.newBuilder().setId(5).setTtlMs(1000).build());
    keeper.leaderChanged(2, true);
    keeper.leaderChanged(3, false);
    keeper.granted(9, 1000);

    now.addAndGet(60_000);
    keeper.expireDue();
    assertThat(node.proposals).isEmpty();
    assertThat(keeper.size()).isZero();
    assertThat(keeper.renew(5)).isZero();
  }

  @Test
  void aKeeperAttachedAfterTheNodeWonLeadershipCatchesUp() {
    node.stored.add(LeaseRecord.newBuilder().setId(5).setTtlMs(1000).build());
    node.leader = true;

    keeper.catchUp();

    assertThat(keeper.size()).isEqualTo(1);
    assertThat(keeper.remainingMs(5)).isEqualTo(1000 + ELECTION_TIMEOUT_MS);
  }

  record Proposed(Command command, CompletableFuture<Outcome> result) {}

  static final class FakeNode implements LeaseKeeper.Node {
    final List<LeaseRecord> stored = new ArrayList<>();
    final List<Proposed> proposals = new ArrayList<>();
    boolean leader;

    @Override
    public List<LeaseRecord> storedLeases() {
      return List.copyOf(stored);
    }

    @Override
    public CompletableFuture<Outcome> propose(Command command) {
      CompletableFuture<Outcome> result = new CompletableFuture<>();
      proposals.add(new Proposed(command, result));
      return result;
    }

    @Override
    public boolean isLeader() {
      return leader;
    }
  }
}
