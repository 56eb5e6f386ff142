package raftkv.chaos;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.WatchListener;
import raftkv.client.Watcher;
import raftkv.history.WatchStream;
import raftkv.history.WatchStream.Event;
import raftkv.history.WatchedKeys;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * One watcher of a chaos run and everything it received, as one logical stream for {@link
 * raftkv.history.WatchChecker}: the client's watch with its automatic resumes. Should the client
 * give up (every node unreachable for a while, as in a restart of the whole cluster), the
 * watcher starts again by hand after the last position it received, as a user would; the
 * logical stream goes on.
 *
 * <p>Thread-safe: the client calls the listener one call at a time; the run reads the stream
 * after {@link #close()}.
 */
final class RecordedWatch implements WatchListener {
  private static final Logger LOG = LoggerFactory.getLogger(RecordedWatch.class);
  private static final long RESTART_DELAY_MS = 1_000;
  /** Refusals that would come again: the stream ends there. */
  private static final Set<Status.Code> FINAL = Set.of(Status.Code.OUT_OF_RANGE,
      Status.Code.INVALID_ARGUMENT, Status.Code.PERMISSION_DENIED, Status.Code.UNAUTHENTICATED,
      Status.Code.UNIMPLEMENTED);

  private final String name;
  private final WatchedKeys keys;
  private final WatchRequest request;
  private final KvClient client;
  private final ScheduledExecutorService timer;

  // Guarded by this.
  private final List<Event> events = new ArrayList<>();
  private long startIndex = -1;
  private long position;
  private String token = "";
  private int resumes;
  private int restarts;
  private String failure = "";
  private boolean refused;
  private Watcher watcher;
  private boolean closed;

  private RecordedWatch(String name, WatchedKeys keys, WatchRequest request, KvClient client,
      ScheduledExecutorService timer) {
    this.name = name;
    this.keys = keys;
    this.request = request;
    this.client = client;
    this.timer = timer;
    if (request.getStartCase() == WatchRequest.StartCase.START_AFTER_INDEX) {
      startIndex = request.getStartAfterIndex();
    }
  }

  /**
   * Starts watching {@code keys} as {@code request} says (its key fields must name the same
   * keys); restarts by hand run on {@code timer}.
   */
  static RecordedWatch start(String name, WatchedKeys keys, WatchRequest request,
      KvClient client, ScheduledExecutorService timer) {
    RecordedWatch w = new RecordedWatch(name, keys, request, client, timer);
    w.open(request);
    return w;
  }

  private void open(WatchRequest sent) {
    Watcher started = client.watch(sent, this);
    boolean tooLate;
    synchronized (this) {
      tooLate = closed;
      watcher = started;
    }
    if (tooLate) started.close();
  }

  @Override
  public synchronized void onEvents(WatchResponse response) {
    for (WatchEvent e : response.getEventsList()) {
      events.add(event(e));
    }
    advance(response);
  }

  @Override
  public synchronized void onProgress(WatchResponse response) {
    if (response.getCreated() && startIndex < 0) {
      startIndex = response.getPosition();
    }
    advance(response);
  }

  private void advance(WatchResponse response) {
    if (response.getPosition() >= position) {
      position = response.getPosition();
      token = response.getSessionToken();
    }
  }

  @Override
  public synchronized void onResume(KvException cause, long after) {
    resumes++;
    // Once per attempt while nodes are down: counted, and logged only when asked for.
    LOG.debug("watcher {} resumes after {}: {}", name, after, cause.getMessage());
  }

  @Override
  public void onError(KvException error) {
    WatchRequest again;
    synchronized (this) {
      failure = error.code() + ": " + error.getMessage();
      refused = !closed && FINAL.contains(error.code());
      if (closed || refused) {
        LOG.info("watcher {} ended at position {}: {}", name, position, failure);
        return;
      }
      restarts++;
      again = token.isEmpty() ? request
          : request.toBuilder().setStartAfterToken(token).build();
    }
    LOG.info("watcher {} failed at position {} ({}); starting it again", name, position,
        error.code());
    try {
      timer.schedule(() -> {
        synchronized (this) {
          if (closed) return;
        }
        open(again);
      }, RESTART_DELAY_MS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException settling) {
      // The run has stopped starting watches: this one ends where it got (reported behind).
    }
  }

  /** The last position received: every change up to it has been delivered. */
  synchronized long position() {
    return position;
  }

  /** Ends the watch; the stream stays as received. Idempotent. */
  void close() {
    Watcher w;
    synchronized (this) {
      closed = true;
      w = watcher;
    }
    if (w != null) w.close();
  }

  synchronized boolean closed() {
    return closed;
  }

  /** What was received, as the checker reads it; empty with no coverage if it never started. */
  synchronized WatchStream stream() {
    long start = Math.max(startIndex, 0);
    return new WatchStream(name, keys, start, Math.max(position, start), events);
  }

  synchronized int resumes() {
    return resumes;
  }

  synchronized int restarts() {
    return restarts;
  }

  /** Whether the cluster refused the watch for good (its stream ends there). */
  synchronized boolean refused() {
    return refused;
  }

  /** Why the watch last failed ("" if it never did), e.g. {@code OUT_OF_RANGE: ...}. */
  synchronized String failure() {
    return failure;
  }

  String name() {
    return name;
  }

  private static Event event(WatchEvent e) {
    String key = e.getKv().getKey().toStringUtf8();
    return switch (e.getType()) {
      case DELETE -> Event.delete(key, e.getIndex());
      case PUT -> Event.put(key, e.getKv().getValue().toStringUtf8(), e.getIndex());
      // No write writes this value: the checker reports the event as a phantom.
      default -> Event.put(key, "<event type " + e.getTypeValue() + ">", e.getIndex());
    };
  }
}
