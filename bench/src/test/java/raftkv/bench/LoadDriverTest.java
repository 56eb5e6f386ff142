package raftkv.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.client.KvClient;

/**
 * The driver's promises, with operations this test finishes by hand: how many run at once,
 * one at a time per session, every session used, a clean stop, and open-loop arrivals that
 * keep their own start time when they have to wait for a client.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LoadDriverTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** Builds sessions; points at a port nothing listens on (building does not connect). */
  private final KvClient client = KvClient.builder().endpoints("127.0.0.1:1").build();
  private final List<LoadDriver> drivers = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (LoadDriver d : drivers) {
      d.stopAndDrain(0);
    }
    client.close();
  }

  /**
   * Operations that stay open until the test completes them, watching the driver: how many
   * are in flight, whether one session ever has two, which sessions ran.
   */
  private static final class HeldOperations implements LoadDriver.Operation {
    final BlockingQueue<Held> open = new LinkedBlockingQueue<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger completed = new AtomicInteger();
    final Set<String> busy = ConcurrentHashMap.newKeySet();
    final Set<String> used = ConcurrentHashMap.newKeySet();
    final List<String> overlaps = java.util.Collections.synchronizedList(new ArrayList<>());

    @Override
    public CompletableFuture<Void> run(SessionSlot slot, long intendedStartNanos) {
      long now = System.nanoTime();
      started.incrementAndGet();
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      if (!busy.add(slot.name)) {
        overlaps.add(slot.name);
      }
      used.add(slot.name);
      Held op = new Held(slot, intendedStartNanos, now, new CompletableFuture<>());
      open.add(op);
      return op.future;
    }

    /** Completes the oldest open operation; false if none was open. */
    boolean completeOne() {
      Held op = open.poll();
      if (op == null) {
        return false;
      }
      complete(op);
      return true;
    }

    void complete(Held op) {
      // Bookkeeping first: completing may start the next operation on this thread.
      busy.remove(op.slot.name);
      inFlight.decrementAndGet();
      completed.incrementAndGet();
      op.future.complete(null);
    }

    void completeAll() {
      while (completeOne()) {
        // keep going
      }
    }

    Held awaitOpen() {
      soon("an operation to start").until(() -> !open.isEmpty());
      return open.poll();
    }
  }

  /** Waits for {@code what} with a deadline, checking every millisecond from the start. */
  private static ConditionFactory soon(String what) {
    return await(what).atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1));
  }

  private record Held(SessionSlot slot, long intendedStartNanos, long startedNanos,
      CompletableFuture<Void> future) {}

  private LoadDriver driver(LoadDriver.Operation op, int sessions, int clients, double rate) {
    BenchOptions options = BenchOptions.builder().clients(clients).sessions(sessions).seed(3)
        .build();
    List<SessionSlot> slots = new ArrayList<>();
    for (int i = 0; i < sessions; i++) {
      slots.add(new SessionSlot(i, client.newSession(), options));
    }
    LoadDriver d = new LoadDriver(op, slots, clients, rate, 3);
    drivers.add(d);
    return d;
  }

  @Test
  void closedLoopKeepsClientsOperationsInFlightNeverTwoOnOneSessionAndUsesEverySession() {
    HeldOperations ops = new HeldOperations();
    LoadDriver driver = driver(ops, 7, 3, 0);

    driver.start();
    soon("3 operations in flight").until(() -> ops.open.size() == 3);
    for (int i = 0; i < 200; i++) {
      soon("an operation to complete").until(ops::completeOne);
    }

    assertThat(ops.maxInFlight.get()).isEqualTo(3);
    assertThat(ops.overlaps).as("sessions that had two operations in flight").isEmpty();
    assertThat(ops.used).containsExactlyInAnyOrder("s0", "s1", "s2", "s3", "s4", "s5", "s6");
    // Each completion started exactly one more.
    assertThat(ops.started.get()).isEqualTo(ops.completed.get() + 3);
  }

  @Test
  void anOperationThatThrowsDoesNotStopTheLoop() {
    HeldOperations held = new HeldOperations();
    AtomicInteger thrown = new AtomicInteger();
    LoadDriver driver = driver((slot, start) -> {
      if (thrown.incrementAndGet() <= 1000) {
        throw new IllegalStateException("planted failure");
      }
      return held.run(slot, start);
    }, 4, 2, 0);

    driver.start();

    soon("operations running again after 1000 failures")
        .until(() -> held.open.size() == 2);
    assertThat(held.overlaps).isEmpty();
  }

  @Test
  void stopAndDrainSaysNotDrainedWhileOperationsAreInFlightAndStartsNoneAfterTheStop()
      throws InterruptedException {
    HeldOperations ops = new HeldOperations();
    LoadDriver driver = driver(ops, 4, 2, 0);
    driver.start();
    soon("2 operations in flight").until(() -> ops.open.size() == 2);

    assertThat(driver.stopAndDrain(1)).as("drained with 2 operations open").isFalse();
    int startedAtStop = ops.started.get();
    ops.completeAll();

    assertThat(ops.started.get()).as("operations started after the stop")
        .isEqualTo(startedAtStop);
    assertThat(ops.open).isEmpty();
    assertThat(driver.stopAndDrain(1)).as("drained once nothing is open").isTrue();
  }

  @Test
  void stopAndDrainReturnsTrueOnceTheOperationsInFlightComplete() throws Exception {
    HeldOperations ops = new HeldOperations();
    LoadDriver driver = driver(ops, 4, 2, 0);
    driver.start();
    soon("2 operations in flight").until(() -> ops.open.size() == 2);

    CompletableFuture<Boolean> drained = new CompletableFuture<>();
    Thread stopper = new Thread(() -> {
      try {
        drained.complete(driver.stopAndDrain(WAIT.toMillis()));
      } catch (Throwable t) {
        drained.completeExceptionally(t);
      }
    }, "stopper");
    stopper.start();
    // Until the stop takes effect each completion starts another operation; complete those too.
    soon("stopAndDrain to return")
        .until(() -> {
          ops.completeAll();
          return drained.isDone();
        });

    assertThat(drained.get()).isTrue();
    assertThat(ops.open).as("operations left open").isEmpty();
    assertThat(ops.started.get()).isEqualTo(ops.completed.get());
    assertThat(ops.overlaps).isEmpty();
  }

  @Test
  void openLoopArrivalsWaitForABusyClientKeepTheirArrivalTimeAndAreCountedUnsentAtTheStop()
      throws InterruptedException {
    HeldOperations ops = new HeldOperations();
    // 2000 arrivals a second and one client that stays busy until the test lets it go.
    LoadDriver driver = driver(ops, 2, 1, 2000);
    driver.start();

    Held first = ops.awaitOpen();
    assertThat(first.intendedStartNanos()).isLessThanOrEqualTo(first.startedNanos());
    // About 100 arrivals are due in 50 ms; all of them find the only client busy.
    soon("50 ms of arrivals while the client is busy")
        .until(() -> System.nanoTime() - first.startedNanos() > 50_000_000L);
    long released = System.nanoTime();
    ops.complete(first);
    Held second = ops.awaitOpen();

    // The second operation arrived while the first was still running: its latency counts
    // from that arrival, not from when a client became free.
    assertThat(second.intendedStartNanos()).isLessThan(released)
        .isLessThan(second.startedNanos());

    soon("50 ms more of arrivals")
        .until(() -> System.nanoTime() - second.startedNanos() > 50_000_000L);
    assertThat(driver.stopAndDrain(1)).as("drained with an operation open").isFalse();
    assertThat(driver.unsentAtStop()).as("arrivals still waiting at the stop").isPositive();
    assertThat(driver.droppedArrivals()).isZero();
    int startedAtStop = ops.started.get();
    ops.complete(second);

    assertThat(ops.started.get()).isEqualTo(startedAtStop);
    assertThat(ops.maxInFlight.get()).isEqualTo(1);
    assertThat(ops.overlaps).isEmpty();
    assertThat(driver.stopAndDrain(1)).isTrue();
  }
}
