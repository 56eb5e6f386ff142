package raftkv.chaos;

import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.LeaseKeepAlive;
import raftkv.history.Command;
import raftkv.history.HistoryRecorder;
import raftkv.history.LeaseEnd;
import raftkv.history.Served;
import raftkv.v1.LeaseRevokeResponse;
import raftkv.v1.PutResponse;

/**
 * The lease holder of a chaos run, on a thread of its own, one lease at a time: grants a lease
 * of {@link #TTL}, attaches {@link #KEYS_PER_LEASE} fresh keys under {@link #PREFIX} to it
 * (puts recorded in the history like the workload's, process {@code lease}), keeps it alive for
 * 2-6 s, then either revokes it or stops renewing and waits for the leader to expire it. Faults
 * may expire a lease early (keep-alives that cannot reach a leader for a TTL): that is an
 * expiry like any other.
 *
 * <p>Every lease granted is reported as ended ({@link #leaseEnds()}), with the revoke's index
 * when a revoke answered: a lease not ended by the end of the run is revoked then, and one whose
 * end is not certain deletes nothing the checker requires, while a delete of its keys is still
 * explained. Keys are never reused, as {@link LeaseEnd} requires.
 *
 * <p>Thread-safety: {@link #start} and {@link #stop} from one controlling thread.
 */
final class LeaseHolder {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseHolder.class);
  static final String PREFIX = "lease/";
  static final Duration TTL = Duration.ofSeconds(2);
  static final int KEYS_PER_LEASE = 3;
  private static final String PROCESS = "lease";
  private static final long CALL_TIMEOUT_MS = 10_000;

  private final KvClient client;
  private final HistoryRecorder recorder;
  private final Random random;
  private final long expiryWaitMs;
  private final List<LeaseEnd> ends = new ArrayList<>(); // guarded by itself
  private final Thread thread;
  private volatile boolean stopped;
  private volatile int granted; // written by the holder's thread only

  /**
   * @param electionTimeoutMs how much longer than its TTL a lease may live after a leader
   *     change
   */
  LeaseHolder(ChaosCluster cluster, HistoryRecorder recorder, Random random,
      int electionTimeoutMs) {
    this.client = KvClient.builder()
        .endpoints(cluster.initialMembers().stream().map(n -> n.grpcAddress).toList())
        .defaultDeadline(Duration.ofSeconds(5)).build();
    this.recorder = recorder;
    this.random = random;
    this.expiryWaitMs = TTL.toMillis() + electionTimeoutMs + 10_000;
    this.thread = new Thread(this::run, "chaos-lease-holder");
    this.thread.setDaemon(true);
  }

  /** Whether {@code key} is one of the lease holder's (not a workload key). */
  static boolean owns(String key) {
    return key.startsWith(PREFIX);
  }

  void start() {
    thread.start();
  }

  /** Ends the current lease (revoking it) and stops. */
  void stop() throws InterruptedException {
    stopped = true;
    thread.join(2 * CALL_TIMEOUT_MS + expiryWaitMs);
    if (thread.isAlive()) {
      LOG.warn("lease holder did not stop; its current lease is reported as ended");
      thread.interrupt();
      thread.join(5_000);
    }
    client.close();
  }

  /** Every lease granted, as ended. Call after {@link #stop}. */
  List<LeaseEnd> leaseEnds() {
    synchronized (ends) {
      return List.copyOf(ends);
    }
  }

  /** Leases granted. Call after {@link #stop}. */
  int granted() {
    return granted;
  }

  private void run() {
    while (!stopped) {
      try {
        oneLease();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.debug("lease holder: {}", e.toString());
      }
    }
  }

  private void oneLease() throws InterruptedException {
    long id;
    try {
      id = await(client.leases().grant(TTL)).getId();
    } catch (KvException e) {
      Thread.sleep(500); // no leader now: try again shortly
      return;
    }
    granted++;
    Set<String> attached = new HashSet<>();
    Set<String> maybe = new HashSet<>();
    LeaseEnd.How how = LeaseEnd.How.EXPIRED;
    long endIndex = 0;
    try (LeaseKeepAlive alive = client.leases().keepAlive(id)) {
      for (int n = 0; n < KEYS_PER_LEASE && !stopped; n++) {
        attach(id, PREFIX + id + "/" + n, attached, maybe);
      }
      long holdMs = 2_000 + random.nextInt(4_000);
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(holdMs);
      while (!stopped && !alive.done().isDone() && System.nanoTime() < until) {
        Thread.sleep(50); // holding the lease; the keep-alive runs in the background
      }
      boolean gone = alive.done().isDone();
      alive.close();
      if (!gone && (stopped || random.nextBoolean())) {
        how = LeaseEnd.How.REVOKED;
        endIndex = revoke(id);
      } else if (!gone) {
        awaitExpiry(id);
      }
    } finally {
      synchronized (ends) {
        ends.add(new LeaseEnd(id, how, endIndex, attached, maybe));
      }
    }
  }

  private void attach(long lease, String key, Set<String> attached, Set<String> maybe)
      throws InterruptedException {
    String value = PREFIX + lease + "/" + key.substring(key.lastIndexOf('/') + 1) + "-v";
    HistoryRecorder.Pending op = recorder.invoke(PROCESS, Command.write(key, value));
    try {
      PutResponse response = await(client.async().put(key, value, lease));
      op.ok(Served.write("", response.getIndex()));
      attached.add(key);
    } catch (KvException e) {
      if (e.code() == Status.Code.FAILED_PRECONDITION) {
        op.fail(); // the lease is gone already: nothing was written
      } else {
        op.unknown();
        maybe.add(key);
      }
    } catch (RuntimeException e) {
      op.unknown(); // timed out: it may still be applied
      maybe.add(key);
    }
  }

  /**
   * The revoke's index; 0 when its outcome is not known (the lease then expires anyway, having
   * no keep-alive) or the lease was gone already (NOT_FOUND: it expired first).
   */
  private long revoke(long id) throws InterruptedException {
    try {
      LeaseRevokeResponse response = await(client.leases().revoke(id));
      return response.getIndex();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** Waits until the leader has expired lease {@code id}, so its deletes fall inside the run. */
  private void awaitExpiry(long id) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(expiryWaitMs);
    while (System.nanoTime() < deadline) {
      try {
        await(client.leases().info(id, false));
      } catch (KvException e) {
        if (e.code() == Status.Code.NOT_FOUND) return;
      } catch (RuntimeException e) {
        // Timed out: ask again.
      }
      Thread.sleep(250); // the leader expires it at its TTL: ask again
    }
    LOG.info("lease {} not expired within {} ms; reported as ended all the same", id,
        expiryWaitMs);
  }

  private static <T> T await(CompletableFuture<T> call) throws InterruptedException {
    try {
      return call.get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KvException k) throw k;
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new IllegalStateException("lease call took over " + CALL_TIMEOUT_MS + " ms");
    }
  }
}
