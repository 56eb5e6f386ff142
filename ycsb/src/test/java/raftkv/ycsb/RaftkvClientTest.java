package raftkv.ycsb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.Vector;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.testkit.MiniCluster;
import site.ycsb.ByteIterator;
import site.ycsb.DBException;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;
import site.ycsb.measurements.Measurements;
import site.ycsb.workloads.CoreWorkload;

/**
 * The binding against 3 voters and a learner, driven as YCSB's Client drives it: one instance
 * per thread, YCSB's own CoreWorkload choosing the operations.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class RaftkvClientTest {
  private static final int THREADS = 4;

  @TempDir static Path dir;
  static MiniCluster cluster;

  @BeforeAll
  static void start() {
    cluster = MiniCluster.start(3, 1, dir, UnaryOperator.identity());
    cluster.awaitLeader();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"session", "linearizable"})
  void workloadALoadsAndRunsWithEveryOperationOkAndNoReadMissingItsOwnWrite(String level)
      throws Exception {
    Properties p = workloadA(level);
    Queue<String> failures = RecordingDb.newFailures();

    runPhase(p, true, 200, failures);
    List<RaftkvClient> threads = runPhase(p, false, 2000, failures);

    assertThat(failures).as("operations that did not return OK").isEmpty();
    long checked = threads.stream().mapToLong(t -> t.ownWrites().checked()).sum();
    long misses = threads.stream().mapToLong(t -> t.ownWrites().misses()).sum();
    // Zipfian keys: each thread updates the hot records and reads them again.
    assertThat(checked).as("reads of records the reading thread had updated").isPositive();
    assertThat(misses).as("read-your-writes misses at " + level).isZero();
  }

  @Test
  void aRecordIsInsertedUpdatedFieldByFieldReadScannedInKeyOrderAndDeleted()
      throws DBException {
    RaftkvClient db = open(endpointsProperties());
    try {
      String table = "records";
      assertThat(db.insert(table, "user2", fields("a", "2a", "b", "2b"))).isEqualTo(Status.OK);
      assertThat(db.insert(table, "user1", fields("a", "1a", "b", "1b", "c", "1c")))
          .isEqualTo(Status.OK);
      assertThat(db.insert(table, "user10", fields("a", "10a"))).isEqualTo(Status.OK);
      assertThat(db.update(table, "user1", fields("b", "1b'"))).isEqualTo(Status.OK);

      Map<String, ByteIterator> read = new HashMap<>();
      assertThat(db.read(table, "user1", null, read)).isEqualTo(Status.OK);
      assertThat(StringByteIterator.getStringMap(read))
          .as("an update writes only its fields").isEqualTo(Map.of("a", "1a", "b", "1b'", "c", "1c"));
      Map<String, ByteIterator> some = new HashMap<>();
      assertThat(db.read(table, "user1", Set.of("c"), some)).isEqualTo(Status.OK);
      assertThat(StringByteIterator.getStringMap(some)).isEqualTo(Map.of("c", "1c"));

      Vector<HashMap<String, ByteIterator>> rows = new Vector<>();
      assertThat(db.scan(table, "user1", 2, null, rows)).isEqualTo(Status.OK);
      assertThat(rows).extracting(StringByteIterator::getStringMap).containsExactly(
          Map.of("a", "1a", "b", "1b'", "c", "1c"), Map.of("a", "10a"));
      Vector<HashMap<String, ByteIterator>> tail = new Vector<>();
      assertThat(db.scan(table, "user10", 5, Set.of("b"), tail)).isEqualTo(Status.OK);
      assertThat(tail).as("scan stops at the table's last record")
          .extracting(StringByteIterator::getStringMap).containsExactly(Map.of(), Map.of("b", "2b"));

      assertThat(db.delete(table, "user1")).isEqualTo(Status.OK);
      assertThat(db.read(table, "user1", null, new HashMap<>())).isEqualTo(Status.NOT_FOUND);
      assertThat(db.delete(table, "user1")).isEqualTo(Status.NOT_FOUND);
      assertThat(db.ownWrites().misses()).isZero();
      assertThat(db.ownWrites().checked()).isEqualTo(3);
    } finally {
      db.cleanup();
    }
  }

  @Test
  void theDirectoryOfRaftkvClusterStartIsEnoughToFindTheNodes(@TempDir Path clusterDir)
      throws Exception {
    StringBuilder nodes = new StringBuilder();
    for (String id : cluster.ids()) {
      nodes.append(nodes.isEmpty() ? "" : ",").append("{\"id\":\"").append(id)
          .append("\",\"role\":\"voter\",\"grpcAddress\":\"").append(cluster.grpcAddress(id))
          .append("\",\"pid\":1}");
    }
    writeClusterJson(clusterDir, "{\"nodes\":[" + nodes + "],\"caFile\":null}");
    Properties p = new Properties();
    p.setProperty("raftkv.cluster", clusterDir.toString());
    RaftkvClient db = open(p);
    try {
      assertThat(db.insert("t", "k", fields("f", "v"))).isEqualTo(Status.OK);
      assertThat(db.read("t", "k", null, new HashMap<>())).isEqualTo(Status.OK);
    } finally {
      db.cleanup();
    }
  }

  @Test
  void missingOrConflictingConnectionPropertiesAreRefusedSayingWhatToGive() {
    assertThatThrownBy(() -> open(new Properties())).isInstanceOf(DBException.class)
        .hasMessage("say where the cluster is: -p raftkv.endpoints=HOST:PORT,... or "
            + "-p raftkv.cluster=DIR (a 'raftkv cluster start --dir DIR')");
    Properties both = endpointsProperties();
    both.setProperty("raftkv.cluster", dir.toString());
    assertThatThrownBy(() -> open(both))
        .hasMessage("give raftkv.endpoints or raftkv.cluster, not both");
    Properties level = endpointsProperties();
    level.setProperty("raftkv.consistency", "strong");
    assertThatThrownBy(() -> open(level)).hasMessageContaining("raftkv.consistency must be");
    Properties badEndpoint = new Properties();
    badEndpoint.setProperty("raftkv.endpoints", "localhost");
    assertThatThrownBy(() -> open(badEndpoint)).isInstanceOf(DBException.class)
        .hasMessage("endpoint must be host:port, got 'localhost'");
    Properties noCluster = new Properties();
    noCluster.setProperty("raftkv.cluster", dir.resolve("absent").toString());
    assertThatThrownBy(() -> open(noCluster))
        .hasMessageContaining("was 'raftkv cluster start --dir");
  }

  private static Properties workloadA(String level) {
    Properties p = endpointsProperties();
    p.setProperty("raftkv.consistency", level);
    p.setProperty("table", "usertable_" + level);
    p.setProperty("recordcount", "200");
    p.setProperty("operationcount", "2000");
    p.setProperty("fieldcount", "4");
    p.setProperty("fieldlength", "20");
    p.setProperty("readallfields", "true");
    p.setProperty("readproportion", "0.5");
    p.setProperty("updateproportion", "0.5");
    p.setProperty("requestdistribution", "zipfian");
    return p;
  }

  /** One YCSB phase: THREADS threads, each its own binding instance, cleaned up at the end. */
  private static List<RaftkvClient> runPhase(Properties p, boolean load, int operations,
      Queue<String> failures) throws Exception {
    // As YCSB's Client does first: read-modify-write and the workload time their steps there.
    Measurements.setProperties(p);
    CoreWorkload workload = new CoreWorkload();
    workload.init(p);
    AtomicLong done = new AtomicLong();
    List<RaftkvClient> instances = new ArrayList<>();
    List<Future<?>> threads = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      for (int t = 0; t < THREADS; t++) {
        RaftkvClient db = open(p);
        instances.add(db);
        RecordingDb recording = new RecordingDb(db, done, failures);
        Object state = workload.initThread(p, t, THREADS);
        threads.add(pool.submit(() -> {
          for (int i = 0; i < operations / THREADS; i++) {
            if (load) {
              workload.doInsert(recording, state);
            } else {
              workload.doTransaction(recording, state);
            }
          }
          return null;
        }));
      }
      for (Future<?> thread : threads) {
        thread.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      instances.forEach(RaftkvClient::cleanup);
    }
    assertThat(done.get()).as("operations run").isEqualTo(operations);
    return instances;
  }

  private static RaftkvClient open(Properties p) throws DBException {
    RaftkvClient db = new RaftkvClient();
    db.setProperties(p);
    db.init();
    return db;
  }

  private static Properties endpointsProperties() {
    Properties p = new Properties();
    p.setProperty("raftkv.endpoints", cluster.endpoints());
    return p;
  }

  private static Map<String, ByteIterator> fields(String... namesAndValues) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      m.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return StringByteIterator.getByteIteratorMap(m);
  }

  private static void writeClusterJson(Path clusterDir, String json) throws IOException {
    Files.writeString(clusterDir.resolve("cluster.json"), json);
  }
}
