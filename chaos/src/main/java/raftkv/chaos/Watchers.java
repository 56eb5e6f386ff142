package raftkv.chaos;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.KvClient;
import raftkv.history.WatchStream;
import raftkv.history.WatchedKeys;
import raftkv.token.SessionToken;
import raftkv.v1.WatchRequest;

/**
 * The watchers of a chaos run, served learners first (the client's default read preference) and
 * recorded for {@link raftkv.history.WatchChecker}:
 * <ul>
 *   <li>{@code all}: every key (the workload's and the lease holder's), from the start of the
 *       workload to its end;
 *   <li>{@code leases}: the lease holder's keys, likewise;
 *   <li>every {@link #TOKEN_WATCH_EVERY}, one more on the current epoch's keys, started from
 *       the session token of a recent workload write: in turn the epoch's prefix after the
 *       token, and the range of its keys k2..k5 after the token's index; the oldest is closed once {@link #MAX_TOKEN_WATCHES}
 *       are open (its stream stays recorded up to where it got).
 * </ul>
 *
 * <p>Not thread-safe: {@link #start}, {@link #settle} and {@link #close} from the run's thread.
 */
final class Watchers implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Watchers.class);
  static final Duration TOKEN_WATCH_EVERY = Duration.ofSeconds(6);
  static final int MAX_TOKEN_WATCHES = 6;
  /** How often an idle stream hears the node's position. */
  private static final int PROGRESS_INTERVAL_MS = 1_000;

  private final ChaosCluster cluster;
  private final KeySchedule keys;
  private final Supplier<String> recentWriteToken;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      r -> {
        Thread t = new Thread(r, "chaos-watchers");
        t.setDaemon(true);
        return t;
      });
  private final List<RecordedWatch> all = new ArrayList<>(); // guarded by itself
  private final List<RecordedWatch> openTokenWatches = new ArrayList<>(); // timer thread only
  private KvClient client;
  private int started;

  /**
   * @param recentWriteToken the session token of a recent acknowledged workload write, "" if
   *     none yet
   */
  Watchers(ChaosCluster cluster, KeySchedule keys, Supplier<String> recentWriteToken) {
    this.cluster = cluster;
    this.keys = keys;
    this.recentWriteToken = recentWriteToken;
  }

  void start() {
    client = KvClient.builder()
        .endpoints(cluster.initialMembers().stream().map(n -> n.grpcAddress).toList())
        .defaultDeadline(Duration.ofSeconds(5)).build();
    // Every key: an empty prefix would be no prefix at all on the wire.
    watch("all", WatchedKeys.range("\0", null),
        request().setRangeStart(ByteString.copyFrom(new byte[] {0})));
    watch("leases", WatchedKeys.prefix(LeaseHolder.PREFIX),
        request().setPrefix(ByteString.copyFromUtf8(LeaseHolder.PREFIX)));
    long every = TOKEN_WATCH_EVERY.toMillis();
    timer.scheduleWithFixedDelay(this::startTokenWatch, every, every, TimeUnit.MILLISECONDS);
  }

  private void startTokenWatch() {
    try {
      String token = recentWriteToken.get();
      if (token.isEmpty()) return;
      String prefix = keys.currentPrefix();
      RecordedWatch w;
      if (started++ % 2 == 0) {
        w = watch("token-" + started + "-" + prefix, WatchedKeys.prefix(prefix),
            request().setPrefix(ByteString.copyFromUtf8(prefix)).setStartAfterToken(token));
      } else {
        // Keys k2..k5 of the epoch: a range that cuts through the key set.
        String start = prefix + "k2";
        String end = prefix + "k6";
        w = watch("index-" + started + "-" + prefix, WatchedKeys.range(start, end),
            request().setRangeStart(ByteString.copyFromUtf8(start))
                .setRangeEnd(ByteString.copyFromUtf8(end))
                .setStartAfterIndex(SessionToken.parse(token).index()));
      }
      openTokenWatches.add(w);
      if (openTokenWatches.size() > MAX_TOKEN_WATCHES) {
        openTokenWatches.remove(0).close();
      }
    } catch (RuntimeException e) {
      // A throwing task would cancel the schedule: no more watchers would start.
      LOG.warn("could not start a watcher: {}", e.toString());
    }
  }

  private static WatchRequest.Builder request() {
    return WatchRequest.newBuilder().setProgressIntervalMs(PROGRESS_INTERVAL_MS);
  }

  private RecordedWatch watch(String name, WatchedKeys watched, WatchRequest.Builder request) {
    RecordedWatch w = RecordedWatch.start(name, watched, request.build(), client, timer);
    synchronized (all) {
      all.add(w);
    }
    return w;
  }

  /**
   * Starts no more watchers and waits, up to {@code wait}, until every watcher still open has
   * reached {@code index} (the last acknowledged write), so their streams cover the whole run.
   *
   * @return the watchers that did not get there in time (their streams end earlier)
   */
  List<String> settle(long index, Duration wait) throws InterruptedException {
    timer.shutdown();
    timer.awaitTermination(10, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + wait.toNanos();
    List<String> behind = behind(index);
    while (!behind.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(200); // positions advance with the nodes' progress notifications
      behind = behind(index);
    }
    return behind;
  }

  private List<String> behind(long index) {
    List<String> out = new ArrayList<>();
    for (RecordedWatch w : watches()) {
      // A watch closed on purpose, or refused for good, covers what it covers.
      if (!w.closed() && !w.refused() && w.position() < index) {
        out.add(w.name());
      }
    }
    return out;
  }

  /** Every watcher started, in start order. */
  List<RecordedWatch> watches() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  /** {@code name: status} of every watcher the cluster refused for good. */
  List<String> refused() {
    return watches().stream().filter(RecordedWatch::refused)
        .map(w -> w.name() + ": " + w.failure()).toList();
  }

  List<WatchStream> streams() {
    return watches().stream().map(RecordedWatch::stream).toList();
  }

  /** Ends every watch and the client. Idempotent. */
  @Override
  public void close() {
    timer.shutdownNow();
    watches().forEach(RecordedWatch::close);
    if (client != null) client.close();
  }
}
