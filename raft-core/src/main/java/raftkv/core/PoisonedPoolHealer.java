package raftkv.core;

import com.alipay.remoting.Connection;
import com.alipay.remoting.ConnectionPool;
import com.alipay.remoting.DefaultConnectionManager;
import com.alipay.remoting.rpc.RpcClient;
import com.alipay.remoting.util.RunStateRecordedFutureTask;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops a Bolt connection pool that can never give a connection again, so that the next
 * connection check or call to that peer builds a fresh one.
 *
 * <p>Why: Bolt 1.6.12 creates a pool's first connection inside a future task. A peer that
 * accepts the TCP connection and closes it at once (a cut link in a proxy, an L4 balancer
 * with a dead backend, a peer mid-shutdown, a refused TLS handshake) can have its close
 * handled before that task completes: {@code DefaultConnectionManager.remove(conn, key)}
 * then finds no finished pool, closes the connection as "standalone", and {@code doCreate}
 * adds the dead connection to the pool anyway. From then on the pool selects no connection
 * ("Connection is null when do check!"), {@code checkConnection(addr, true, true)} reuses
 * the pool and creates nothing, and every call to the peer fails; Bolt's scanner drops the
 * dead connection after ~10 s but keeps the empty pool for 10 minutes after its last use.
 * jraft's leader meanwhile sends that peer nothing (sofa-jraft #835).
 *
 * <p>The rule: a pool is poisoned when its creating task has finished, no asynchronous
 * creation is under way, and it holds no connection that {@link Connection#isFine() is
 * fine}. Such a pool is removed from the manager only if it is still the one registered
 * under its key (a concurrent caller may already have replaced it), and its connections are
 * closed. A pool whose creation is still running is left alone, so a peer that is really
 * down costs what it costs without this class: one connection attempt per check.
 *
 * <p>Only Bolt's public API is used ({@link DefaultConnectionManager#getConnPools()},
 * {@link ConnectionPool#isAsyncCreationDone()}). Thread-safe; one per Bolt client.
 */
final class PoisonedPoolHealer {
  private static final Logger LOG = LoggerFactory.getLogger(PoisonedPoolHealer.class);
  /** One log line per peer at most this often while it keeps poisoning its pool. */
  private static final long LOG_EVERY_MS = 60_000;

  private final RpcClient bolt;
  private final Map<String, AtomicLong> lastLoggedMs = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> healsSinceLogged = new ConcurrentHashMap<>();

  PoisonedPoolHealer(RpcClient bolt) {
    this.bolt = bolt;
  }

  /**
   * Removes the pool for {@code address} ({@code host:port}) if it is poisoned.
   *
   * @return whether a pool was removed
   */
  boolean healIfPoisoned(String address) {
    if (!(bolt.getConnectionManager() instanceof DefaultConnectionManager manager)) {
      return false;
    }
    String key = bolt.getAddressParser().parse(address).getUniqueKey();
    RunStateRecordedFutureTask<ConnectionPool> task = manager.getConnPools().get(key);
    if (task == null || !task.isDone()) {
      return false;
    }
    ConnectionPool pool;
    try {
      pool = task.get();
    } catch (ExecutionException | CancellationException failed) {
      return false; // Bolt removes a pool whose creation failed itself.
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      return false;
    }
    if (pool == null || !pool.isAsyncCreationDone()
        || pool.getAll().stream().anyMatch(Connection::isFine)) {
      return false;
    }
    if (!manager.getConnPools().remove(key, task)) {
      return false;
    }
    pool.removeAllAndTryClose();
    report(address);
    return true;
  }

  private void report(String address) {
    long heals = healsSinceLogged.computeIfAbsent(address, a -> new AtomicLong()).incrementAndGet();
    AtomicLong last = lastLoggedMs.computeIfAbsent(address, a -> new AtomicLong());
    long now = System.currentTimeMillis();
    long before = last.get();
    if (now - before >= LOG_EVERY_MS && last.compareAndSet(before, now)) {
      healsSinceLogged.get(address).addAndGet(-heals);
      LOG.warn("Raft connection pool to {} held no live connection; dropped it so the next "
          + "attempt reconnects ({} time(s) since the last report)", address, heals);
    }
  }
}
