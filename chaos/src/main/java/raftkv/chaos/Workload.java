package raftkv.chaos;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.client.KvClient;
import raftkv.client.Session;
import raftkv.history.Command;
import raftkv.history.HistoryRecorder;
import raftkv.history.ReadLevel;
import raftkv.history.Served;
import raftkv.token.SessionToken;
import raftkv.v1.Compare;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.PutResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;

/**
 * The recorded workload of a chaos run.
 *
 * <ul>
 *   <li>{@code sessions} client sessions, each on its own thread with one operation at a time:
 *       puts of unique values (25 %), compare-and-sets against the last value the session saw
 *       (10 %) and reads at LINEARIZABLE, SESSION, BOUNDED_STALENESS and EVENTUAL in equal
 *       shares, through one client that knows every node.
 *   <li>One pinned reader per node: a client that knows only that node and sends it a
 *       LINEARIZABLE read every 100 ms without waiting for the previous one, each with a long
 *       deadline. Reads queued at a paused node are answered when it resumes; a node that
 *       answered them from stale local state would be caught.
 * </ul>
 *
 * Every operation is recorded in the {@link HistoryRecorder}: invocation before the call,
 * completion with what the store reported (index, serving node, value index). A write whose
 * call failed is recorded UNKNOWN (it may have been applied); a failed read as FAILED.
 *
 * <p>Thread-safety: {@link #start} and {@link #stop} from one controlling thread.
 */
final class Workload {
  private static final Logger LOG = LoggerFactory.getLogger(Workload.class);
  private static final ReadLevel[] LEVELS = ReadLevel.values();
  private static final Duration OP_DEADLINE = Duration.ofSeconds(5);
  private static final Duration PINNED_DEADLINE = Duration.ofSeconds(20);

  private final ChaosCluster cluster;
  private final ChaosOptions options;
  private final HistoryRecorder recorder;
  private final KeySchedule keys;
  private final List<Thread> threads = new ArrayList<>();
  private final List<KvClient> clients = new ArrayList<>();
  private final ScheduledExecutorService pinnedTimer = Executors.newSingleThreadScheduledExecutor(
      r -> daemon(r, "chaos-pinned-readers"));
  private final AtomicLong pinnedSeq = new AtomicLong();
  private volatile boolean stopped;
  private volatile String recentWriteToken = "";

  Workload(ChaosCluster cluster, ChaosOptions options, HistoryRecorder recorder, KeySchedule keys) {
    this.cluster = cluster;
    this.options = options;
    this.recorder = recorder;
    this.keys = keys;
  }

  void start() {
    KvClient shared = KvClient.builder()
        .endpoints(cluster.initialMembers().stream().map(n -> n.grpcAddress).toList())
        .defaultDeadline(OP_DEADLINE).build();
    clients.add(shared);
    for (int s = 0; s < options.sessions(); s++) {
      String process = "s" + s;
      Random random = new Random(options.seed() * 1_000_003L + s);
      Session session = shared.newSession();
      Thread t = daemon(() -> runSession(process, session, random), "chaos-session-" + s);
      threads.add(t);
      t.start();
    }
    Random pinRandom = new Random(options.seed() ^ 0x5DEECE66DL);
    for (ChaosNode node : cluster.initialMembers()) {
      KvClient pinned = KvClient.builder().endpoints(List.of(node.grpcAddress))
          .defaultDeadline(PINNED_DEADLINE).build();
      clients.add(pinned);
      pinnedTimer.scheduleAtFixedRate(() -> pinnedRead(node, pinned, pinRandom), 100, 100,
          TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Stops issuing operations and waits for the sessions' last ones (up to their deadline).
   * Pinned reads still in flight stay open (UNKNOWN reads are not judged).
   */
  void stop() throws InterruptedException {
    stopped = true;
    pinnedTimer.shutdownNow();
    for (Thread t : threads) {
      t.join(OP_DEADLINE.toMillis() + 5_000);
    }
    for (KvClient client : clients) {
      client.close();
    }
  }

  /**
   * The session token of the last acknowledged put (of any session) after it: watchers start
   * from it, as a process handed a token by another would. "" before the first.
   */
  String recentWriteToken() {
    return recentWriteToken;
  }

  private void runSession(String process, Session session, Random random) {
    Map<String, String> lastSeen = new HashMap<>();
    while (!stopped) {
      String key = keys.pick(random);
      double dice = random.nextDouble();
      try {
        if (dice < 0.25) {
          put(process, session, key, lastSeen);
        } else if (dice < 0.35) {
          cas(process, session, key, lastSeen);
        } else {
          read(process, session, key, LEVELS[random.nextInt(LEVELS.length)], lastSeen);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.debug("session {}: {}", process, e.toString());
      }
    }
  }

  private long valueCounter;

  private synchronized String uniqueValue(String process) {
    return process + "-" + (++valueCounter);
  }

  private void put(String process, Session session, String key, Map<String, String> lastSeen)
      throws InterruptedException {
    String value = uniqueValue(process);
    HistoryRecorder.Pending op = recorder.invoke(process, Command.write(key, value));
    try {
      PutResponse response = session.async().put(key, value).get();
      op.ok(Served.write("", response.getIndex()));
      lastSeen.put(key, value);
      recentWriteToken = session.token();
    } catch (ExecutionException e) {
      op.unknown();
      lastSeen.remove(key);
    }
  }

  private void cas(String process, Session session, String key, Map<String, String> lastSeen)
      throws InterruptedException {
    String expected = lastSeen.get(key);
    String value = uniqueValue(process);
    Compare compare = expected == null
        ? Compare.newBuilder().setKey(ByteString.copyFromUtf8(key))
            .setTarget(Compare.Target.EXISTS).setOp(Compare.Operator.NOT_EQUAL).build()
        : Compare.newBuilder().setKey(ByteString.copyFromUtf8(key))
            .setTarget(Compare.Target.VALUE).setOp(Compare.Operator.EQUAL)
            .setValue(ByteString.copyFromUtf8(expected)).build();
    TxnRequest txn = TxnRequest.newBuilder().addCompares(compare)
        .addSuccess(RequestOp.newBuilder().setPut(RequestOp.Put.newBuilder()
            .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value))))
        .build();
    HistoryRecorder.Pending op = recorder.invoke(process, Command.cas(key, expected, value));
    try {
      TxnResponse response = session.async().txn(txn).get();
      op.ok(response.getSucceeded(), Served.write("", response.getIndex()));
      if (response.getSucceeded()) {
        lastSeen.put(key, value);
      } else {
        lastSeen.remove(key);
      }
    } catch (ExecutionException e) {
      op.unknown();
      lastSeen.remove(key);
    }
  }

  private void read(String process, Session session, String key, ReadLevel level,
      Map<String, String> lastSeen) throws InterruptedException {
    ReadOptions.Builder read = ReadOptions.newBuilder().setConsistency(consistency(level));
    long boundMs = 0;
    if (level == ReadLevel.BOUNDED) {
      boundMs = options.boundMs();
      read.setMaxLagMs(boundMs);
    }
    long tokenIndex = level == ReadLevel.SESSION ? tokenIndex(session) : 0;
    HistoryRecorder.Pending op = recorder.invoke(process, Command.read(key));
    try {
      GetResponse response = session.async().get(GetRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8(key)).setRead(read).build()).get();
      complete(op, response, level, tokenIndex, boundMs);
      if (response.getFound()) {
        lastSeen.put(key, response.getKv().getValue().toStringUtf8());
      } else {
        lastSeen.remove(key);
      }
    } catch (ExecutionException e) {
      op.fail();
    }
  }

  private void pinnedRead(ChaosNode node, KvClient client, Random random) {
    try {
      sendPinnedRead(node, client, random);
    } catch (RuntimeException e) {
      // A throwing task would cancel the schedule: this reader would silently stop.
      LOG.debug("pinned reader {}: {}", node.id, e.toString());
    }
  }

  private void sendPinnedRead(ChaosNode node, KvClient client, Random random) {
    if (stopped) {
      return;
    }
    String key;
    synchronized (random) {
      key = keys.pick(random);
    }
    String process = "pin-" + node.id + "-" + pinnedSeq.incrementAndGet();
    HistoryRecorder.Pending op = recorder.invoke(process, Command.read(key));
    CompletableFuture<GetResponse> call = client.async().get(GetRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8(key))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.LINEARIZABLE)).build());
    call.whenComplete((response, failure) -> {
      if (failure != null) {
        op.fail();
      } else {
        complete(op, response, ReadLevel.LINEARIZABLE, 0, 0);
      }
    });
  }

  private static void complete(HistoryRecorder.Pending op, GetResponse response, ReadLevel level,
      long tokenIndex, long boundMs) {
    String value = response.getFound() ? response.getKv().getValue().toStringUtf8() : null;
    long valueIndex = response.getFound() ? response.getKv().getVersion() : 0;
    op.ok(value, Served.read(level, response.getMeta().getServedBy(),
        response.getMeta().getAppliedIndex(), valueIndex, tokenIndex, boundMs));
  }

  private static long tokenIndex(Session session) {
    String token = session.token();
    return token.isEmpty() ? 0 : SessionToken.parse(token).index();
  }

  static Consistency consistency(ReadLevel level) {
    return switch (level) {
      case LINEARIZABLE -> Consistency.LINEARIZABLE;
      case SESSION -> Consistency.SESSION;
      case BOUNDED -> Consistency.BOUNDED_STALENESS;
      case EVENTUAL -> Consistency.EVENTUAL;
    };
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
