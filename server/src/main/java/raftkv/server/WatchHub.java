package raftkv.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.ChangesPage;
import raftkv.core.HistoryCompactedException;
import raftkv.core.KvStore;
import raftkv.server.WatchObserver.EndReason;
import raftkv.token.SessionToken;
import raftkv.v1.WatchResponse;
import raftkv.v1.internal.ChangeSet;

/**
 * Every open Watch stream of one node, and the one thread ("raftkv-watch") that feeds them.
 *
 * <p>The apply thread only calls {@link #signal}, which schedules a dispatch round unless one
 * is pending: it never fans out, never blocks and never touches gRPC. A round reads the new
 * change sets once into a bounded {@link ChangeWindow}, then sends each stream, one response
 * per index that has events for it, what lies after its position. A stream whose position is
 * older than the window catches up from RocksDB, one bounded page per round, so that one far
 * behind cannot starve the others.
 *
 * <p>Flow control: a stream is sent to only while its call is ready; its on-ready handler
 * schedules another round. Nothing is queued per stream, so a receiver that stops reading
 * costs nothing but its position; once that is more than {@link WatchConfig#maxLagEntries}
 * behind the applied index it is ended with RESOURCE_EXHAUSTED naming where to resume.
 *
 * <p>A tick on the same thread (every {@value #TICK_MS} ms) runs a round and sends progress
 * notifications to streams that have been silent for their interval. With no stream open the
 * hub costs nothing: signals return at once, no tick runs, and the window is not filled (it
 * restarts at the applied index when the next stream opens).
 *
 * <p>Thread-safety: {@link #signal}, {@link #open}, {@link #wake}, {@link #cancelled} and
 * {@link #close} are safe from any thread; everything else, including every call on a stream
 * ({@code onNext}, {@code onError}), runs on the dispatcher thread. Owns that thread;
 * {@link #close} ends every stream and stops it.
 */
final class WatchHub implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WatchHub.class);
  static final long TICK_MS = 50;
  /** Change sets kept in memory (and at most {@link #WINDOW_BYTES} of them). */
  private static final int WINDOW_SETS = 4096;
  private static final long WINDOW_BYTES = 8L << 20;
  /** Events per history page read for the window, and per catch-up page of one stream. */
  private static final int PAGE_EVENTS = 1024;
  /** Pages read into the window per round, so that a burst does not hold every stream up. */
  private static final int PAGES_PER_ROUND = 4;
  /** Responses one stream is sent per round before the others get their turn. */
  private static final int RESPONSES_PER_ROUND = 256;

  private final String nodeId;
  private final KvStore store;
  private final long clusterId;
  private final WatchConfig config;
  private final Errors errors;
  private final WatchObserver observer;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService dispatcher;
  private final AtomicBoolean roundPending = new AtomicBoolean();
  private volatile boolean closed;
  /** Streams open; written on the dispatcher thread, read by {@link #signal}. */
  private volatile int openStreams;
  private java.util.concurrent.ScheduledFuture<?> tickTask;
  // Dispatcher thread only:
  private final Set<Watcher> watchers = new LinkedHashSet<>();
  private final ChangeWindow window;
  /** {@link #whole}'s last response and the change set it holds; reset every round. */
  private ChangeSet wholeFor;
  private WatchResponse whole;
  /** {@link #token}'s last answer: many streams stand at the same position. */
  private long tokenIndex = -1;
  private String token;

  WatchHub(String nodeId, KvStore store, long clusterId, WatchConfig config, Errors errors,
      WatchObserver observer) {
    this.nodeId = nodeId;
    this.store = store;
    this.clusterId = clusterId;
    this.config = config;
    this.errors = errors;
    this.observer = observer;
    this.nanoTime = System::nanoTime;
    this.window = new ChangeWindow(WINDOW_SETS, WINDOW_BYTES, store.appliedIndex());
    this.dispatcher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "raftkv-watch");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * New changes may have been applied: schedules a dispatch round unless one is pending.
   * Cheap and non-blocking; for the apply thread.
   */
  void signal() {
    if (openStreams > 0 && !closed && roundPending.compareAndSet(false, true)) {
      execute(this::round);
    }
  }

  /** A stream's call became ready again: a round sends it what it has not got yet. */
  void wake() {
    signal();
  }

  /**
   * Opens {@code watcher} after {@code startAfter} (this node has applied it): sends the
   * created message and registers it, or ends the call with OUT_OF_RANGE when the history no
   * longer reaches back to it.
   *
   * @param skipFirstChange broken on purpose: drop the first change the stream would send
   */
  void open(Watcher watcher, long startAfter, boolean skipFirstChange) {
    try {
      dispatcher.execute(() -> {
        if (watcher.call.isCancelled()) {
          return;
        }
        if (closed) {
          watcher.call.onError(shuttingDown());
          return;
        }
        long compacted = store.historyCompactedThrough();
        if (startAfter < compacted) {
          watcher.call.onError(errors.historyCompacted(startAfter, compacted));
          return;
        }
        long now = nanoTime.getAsLong();
        watcher.open(startAfter, skipFirstChange, now);
        watcher.call.onNext(stamp(WatchResponse.newBuilder().setCreated(true), startAfter));
        if (watchers.isEmpty()) {
          // Nothing was read while nobody watched: start the window at what is applied now.
          window.reset(store.appliedIndex());
          tickTask = dispatcher.scheduleWithFixedDelay(this::tick, TICK_MS, TICK_MS,
              TimeUnit.MILLISECONDS);
        }
        watchers.add(watcher);
        openStreams = watchers.size();
        observer.opened();
        signal();
      });
    } catch (RejectedExecutionException e) {
      // Closed: the dispatcher is gone, so nothing else calls this stream.
      watcher.call.onError(shuttingDown());
    }
  }

  /** Ends a stream that never opened (its start was refused) with {@code status}. */
  void refuse(Watcher watcher, StatusRuntimeException status) {
    try {
      dispatcher.execute(() -> watcher.call.onError(status));
    } catch (RejectedExecutionException e) {
      watcher.call.onError(status);
    }
  }

  /** The client cancelled the stream (or its deadline passed, or it went away). */
  void cancelled(Watcher watcher) {
    execute(() -> {
      if (watchers.remove(watcher)) {
        watcher.close();
        observer.ended(EndReason.CANCELLED);
        streamsChanged();
      }
    });
  }

  private void execute(Runnable task) {
    try {
      dispatcher.execute(task);
    } catch (RejectedExecutionException e) {
      // Closed: every stream was ended already.
    }
  }

  private void tick() {
    round();
    long now = nanoTime.getAsLong();
    for (Watcher w : watchers) {
      if (w.progressDue(now) && w.call.isReady()) {
        w.call.onNext(stamp(WatchResponse.newBuilder().setProgress(true), w.position()));
        w.sent(now);
      }
    }
  }

  /** Reads what is new into the window, then serves every stream. */
  private void round() {
    roundPending.set(false);
    if (closed || watchers.isEmpty()) {
      return;
    }
    // Shared responses carry the applied index of the round that built them.
    wholeFor = null;
    boolean more;
    try {
      more = readNewChanges();
    } catch (RocksDBException | RuntimeException e) {
      // The next signal or tick tries again; streams keep their positions meanwhile.
      LOG.warn("node {}: reading the watch history failed: {}", nodeId, e.toString());
      return;
    }
    List<Watcher> ended = new ArrayList<>();
    for (Watcher w : watchers) {
      try {
        more |= serve(w);
      } catch (StatusRuntimeException e) {
        end(w, e, e.getStatus().getCode() == Status.Code.OUT_OF_RANGE
            ? EndReason.COMPACTED : EndReason.LAGGING);
      } catch (RocksDBException | RuntimeException e) {
        LOG.warn("node {}: a watch stream could not read the history: {}", nodeId, e.toString());
        end(w, Status.INTERNAL.withDescription("storage error reading the watch history: "
            + e.getMessage() + "; resume after position " + w.position()).asRuntimeException(),
            EndReason.STORAGE_ERROR);
      }
      if (!w.isOpen()) {
        ended.add(w);
      }
    }
    ended.forEach(watchers::remove);
    streamsChanged();
    if (more) {
      signal();
    }
  }

  /** @return whether more is already available to read (another round is due) */
  private boolean readNewChanges() throws RocksDBException {
    for (int page = 0; page < PAGES_PER_ROUND; page++) {
      if (store.appliedIndex() <= window.top()) {
        return false;
      }
      try {
        ChangesPage changes = store.changesAfter(window.top(), PAGE_EVENTS);
        window.append(changes.changes(), changes.through());
      } catch (HistoryCompactedException e) {
        // A snapshot install (or a trim) passed the window by: start it again where the
        // history starts; streams behind that will be told when they read the store.
        window.reset(e.compactedThrough());
      }
    }
    return store.appliedIndex() > window.top();
  }

  /**
   * Sends {@code w} what it has not got, while its call is ready.
   *
   * @return whether it still has more to get now (another round is due)
   * @throws StatusRuntimeException when the stream must end (fell behind, or compacted)
   */
  private boolean serve(Watcher w) throws RocksDBException {
    if (w.call.isCancelled()) {
      return false; // its cancel handler removes it
    }
    if (!w.call.isReady()) {
      long lag = store.appliedIndex() - w.position();
      if (lag > config.maxLagEntries()) {
        throw Status.RESOURCE_EXHAUSTED.withDescription("node " + nodeId + ": this watch "
            + "stream is " + lag + " entries behind the applied index " + store.appliedIndex()
            + " while its receiver is not reading; the limit is " + config.maxLagEntries()
            + " (--watch-max-lag). Resume with start_after_index " + w.position()
            + " (start_after_token " + token(w.position()) + ")").asRuntimeException();
      }
      return false;
    }
    long now = nanoTime.getAsLong();
    if (window.covers(w.position())) {
      int budget = RESPONSES_PER_ROUND;
      for (int i = window.firstAfter(w.position()); i < window.size(); i++) {
        if (budget == 0) {
          return true;
        }
        if (!w.call.isReady()) {
          return false; // its on-ready handler schedules the next round
        }
        if (deliver(w, window.get(i), now)) {
          budget--;
        }
      }
      w.advanceTo(window.top());
      return false;
    }
    ChangesPage page;
    try {
      page = store.changesAfter(w.position(), PAGE_EVENTS);
    } catch (HistoryCompactedException e) {
      throw errors.historyCompacted(e.requestedAfter(), e.compactedThrough());
    }
    for (ChangeSet set : page.changes()) {
      if (!w.call.isReady()) {
        return false;
      }
      deliver(w, set, now);
    }
    w.advanceTo(page.through());
    return !window.covers(w.position()) || window.firstAfter(w.position()) < window.size();
  }

  /** Sends the events of {@code set} that {@code w} follows; true when there were some. */
  private boolean deliver(Watcher w, ChangeSet set, long now) {
    List<raftkv.v1.WatchEvent> events = w.take(set);
    if (events == null) {
      return false;
    }
    WatchResponse response = events == set.getEventsList()
        ? whole(set)
        : stamp(WatchResponse.newBuilder().addAllEvents(events), set.getIndex());
    w.call.onNext(response);
    w.sent(now);
    observer.eventsSent(events.size());
    return true;
  }

  /**
   * The response holding every event of {@code set}, built once per round and shared by every
   * stream that follows them all (a thousand watchers of one prefix get one message object).
   */
  private WatchResponse whole(ChangeSet set) {
    if (wholeFor != set) {
      wholeFor = set;
      whole = stamp(WatchResponse.newBuilder().addAllEvents(set.getEventsList()), set.getIndex());
    }
    return whole;
  }

  /** After streams ended: with none left, stop the tick (the next open restarts it). */
  private void streamsChanged() {
    openStreams = watchers.size();
    if (watchers.isEmpty() && tickTask != null) {
      tickTask.cancel(false);
      tickTask = null;
    }
  }

  private void end(Watcher w, StatusRuntimeException status, EndReason reason) {
    w.close();
    w.call.onError(status);
    observer.ended(reason);
  }

  private WatchResponse stamp(WatchResponse.Builder response, long position) {
    return response.setPosition(position).setSessionToken(token(position)).setServedBy(nodeId)
        .setAppliedIndex(store.appliedIndex()).build();
  }

  private String token(long index) {
    if (index != tokenIndex) {
      token = new SessionToken(clusterId, index).encode();
      tokenIndex = index;
    }
    return token;
  }

  private static StatusRuntimeException shuttingDown() {
    return Status.UNAVAILABLE.withDescription("node shutting down; resume the watch on "
        + "another node after the last position received").asRuntimeException();
  }

  /** Ends every stream with UNAVAILABLE and stops the dispatcher. Blocks briefly. */
  @Override
  public void close() {
    closed = true;
    execute(() -> {
      for (Watcher w : watchers) {
        end(w, shuttingDown(), EndReason.SHUTDOWN);
      }
      watchers.clear();
    });
    dispatcher.shutdown();
    try {
      if (!dispatcher.awaitTermination(5, TimeUnit.SECONDS)) {
        dispatcher.shutdownNow();
      }
    } catch (InterruptedException e) {
      dispatcher.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
