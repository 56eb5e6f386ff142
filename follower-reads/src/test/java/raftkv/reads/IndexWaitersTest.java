package raftkv.reads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The wait queue of reads keyed by the applied index they need. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class IndexWaitersTest {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final IndexWaiters waiters = new IndexWaiters(timer, System::currentTimeMillis);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  @Test
  void aReadAtOrBelowTheAppliedIndexIsAdmittedAtOnce() {
    waiters.advance(10);
    assertThat(waiters.await(10, 1000)).isCompletedWithValue(10L);
    assertThat(waiters.await(3, 0)).isCompletedWithValue(10L);
    assertThat(waiters.size()).isZero();
  }

  @Test
  void aReadAboveTheAppliedIndexWaitsUntilApplyReachesIt() {
    waiters.advance(5);
    CompletableFuture<Long> read = waiters.await(8, 60_000);
    waiters.advance(7);
    assertThat(read).isNotDone();
    waiters.advance(9);
    assertThat(read).isCompletedWithValue(9L);
    assertThat(waiters.size()).isZero();
  }

  @Test
  void waitersAreCompletedInIndexOrder() {
    List<Long> order = new ArrayList<>();
    for (long needed : new long[] {7, 3, 5, 4}) {
      waiters.await(needed, 60_000).thenRun(() -> order.add(needed));
    }
    waiters.advance(10);
    assertThat(order).containsExactly(3L, 4L, 5L, 7L);
  }

  @Test
  void anIndexGoingBackwardsIsIgnored() {
    waiters.advance(10);
    waiters.advance(4);
    assertThat(waiters.applied()).isEqualTo(10);
  }

  @Test
  void aReadStillBehindWhenItsBudgetRunsOutFailsWithTheAppliedAndNeededIndexes() {
    waiters.advance(2);
    CompletableFuture<Long> read = waiters.await(9, 50);
    await("the budget to run out").atMost(Duration.ofSeconds(5)).until(read::isDone);
    assertThatThrownBy(read::join).isInstanceOf(CompletionException.class)
        .cause().isInstanceOfSatisfying(ReplicaLagging.class, lag -> {
          assertThat(lag.appliedIndex()).isEqualTo(2);
          assertThat(lag.neededIndex()).isEqualTo(9);
          assertThat(lag.getMessage()).contains("7 entries behind");
        });
    assertThat(waiters.size()).as("the expired waiter is gone").isZero();
  }

  @Test
  void aZeroBudgetFailsAtOnceWhenBehind() {
    assertThat(waiters.await(1, 0)).isCompletedExceptionally();
  }

  @Test
  void aWaiterCompletedByApplyIsNotFailedByItsTimerLater() {
    CompletableFuture<Long> read = waiters.await(3, 30);
    waiters.advance(3);
    assertThat(read).isCompletedWithValue(3L);
    CompletableFuture<Long> later = waiters.await(100, 60);
    await("the second waiter's budget").atMost(Duration.ofSeconds(5)).until(later::isDone);
    assertThat(read).isCompletedWithValue(3L);
  }
}
