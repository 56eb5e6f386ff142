package raftkv.server;

import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.KvStore;
import raftkv.core.NodeEventListener;
import raftkv.core.RaftNode;
import raftkv.reads.ReadObserver;
import raftkv.reads.ReplicaProgress;

/**
 * One node's metrics registry and every series it exposes on {@code GET /metrics}, in
 * Prometheus names. Every raftkv series carries the tag {@code node} (the node id).
 *
 * <p>Requests and reads:
 * <ul>
 *   <li>{@code raftkv_grpc_server_requests_seconds} (histogram: {@code _bucket}, {@code _count},
 *       {@code _sum}, and {@code _max}) by {@code method} (e.g. {@code raftkv.v1.KV/Get}),
 *       {@code level} ({@code linearizable}, {@code session}, {@code bounded_staleness},
 *       {@code eventual}; {@code none} for writes and admin calls) and {@code status} (gRPC
 *       code). Request rate is the rate of {@code _count}. See {@link GrpcMetricsInterceptor}.
 *   <li>{@code raftkv_read_wait_seconds} (histogram) by {@code level}: how long a read waited
 *       before this replica could serve it (the {@code waited_micros} of its response).
 *   <li>{@code raftkv_reads_refused_total} by {@code level} and {@code reason}
 *       ({@code wait_budget_exhausted}, {@code no_wait}, {@code removed_from_cluster}): reads
 *       refused with FAILED_PRECONDITION/ReplicaLagging or UNAVAILABLE, which the client
 *       redirects to another replica or the leader, or fails, as its lag policy says.
 * </ul>
 *
 * <p>Watches ({@link WatchMetrics}):
 * <ul>
 *   <li>{@code raftkv_watchers_open}: Watch streams this node serves now.
 *   <li>{@code raftkv_watch_events_sent_total}: change events sent on them.
 *   <li>{@code raftkv_watchers_ended_total} by {@code reason} ({@code cancelled},
 *       {@code lagging}: ended for falling behind --watch-max-lag, {@code compacted},
 *       {@code shutdown}, {@code storage_error}).
 *   <li>{@code raftkv_watch_history_size_bytes}: SST files and memtables of the history;
 *       {@code raftkv_watch_history_compacted_through}: the oldest start a watch may ask for.
 * </ul>
 *
 * <p>Raft and replica progress (gauges, read at scrape time):
 * <ul>
 *   <li>{@code raftkv_raft_applied_index}, {@code raftkv_raft_commit_index} (as this node
 *       knows it), {@code raftkv_raft_term}, {@code raftkv_raft_leader} (1 on the leader).
 *   <li>{@code raftkv_replica_lag_entries} and {@code raftkv_replica_lag_seconds}: this
 *       node's lag behind the leader as read responses report it ({@link ReplicaProgress#lag},
 *       lag_ms / 1000: seconds are Prometheus' base unit).
 *   <li>{@code raftkv_raft_leader_changes_total}: times this node learned of a new leader
 *       (itself or another).
 *   <li>{@code raftkv_apply_batch_entries} (histogram): log entries per RocksDB write batch.
 *   <li>On the leader, per other member ({@link ReplicationHealth}, sampled every 500 ms),
 *       tagged {@code peer} (the member's id) and {@code role} ({@code voter} or
 *       {@code learner}): {@code raftkv_peer_replicating} (1 while the leader's replicator for
 *       it is replicating the log normally, else 0, including when there is no replicator) and
 *       {@code raftkv_peer_ack_age_seconds} (since it last answered the leader). Absent on
 *       other nodes.
 *   <li>{@code raftkv_replication_degraded}: 1 on the leader while some voter has not been
 *       replicating for more than three election timeouts, else 0 (and 0 on other nodes).
 *   <li>{@code raftkv_rocksdb_sst_files_size_bytes} and
 *       {@code raftkv_rocksdb_live_data_size_bytes}, {@code raftkv_rocksdb_memtables_size_bytes}:
 *       RocksDB's {@code total-sst-files-size}, {@code estimate-live-data-size} and
 *       {@code cur-size-all-mem-tables} of the state machine's store, all column families
 *       (-1 while the store is closed).
 *   <li>{@code raftkv_leases}: on the leader, the leases it holds and will expire without
 *       keep-alives; 0 on other nodes.
 * </ul>
 *
 * <p>JVM: Micrometer's {@code jvm_memory_*}, {@code jvm_gc_*}, {@code jvm_threads_*},
 * {@code system_cpu_*}/{@code process_cpu_*} and {@code process_uptime_seconds}.
 *
 * <p>jraft: the node's own Codahale registry (about 65 metrics), bridged as it is by
 * Prometheus' {@link DropwizardExports}, names sanitised ({@code replicate-entries} becomes
 * {@code replicate_entries}, a timer a summary with quantiles; see {@link JraftMetricNames}).
 * On the leader, {@code replicator_raftkv_<host>_<port>_log_lags{peer="<host>:<port>"}} is
 * each replica's lag in entries. These carry no {@code node} tag: the scrape target
 * identifies the node.
 *
 * <p>Ownership: one registry per node (never Micrometer's global registry), so several nodes
 * in one JVM keep their series apart. {@link #close} releases the GC listener. Thread-safe.
 */
final class NodeMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);
  private static final double[] BATCH_BUCKETS = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;
  private final ReadMetrics reads;
  private final WatchMetrics watches;
  private final GrpcMetricsInterceptor interceptor;
  private final MultiGauge peerReplicating;
  private final MultiGauge peerAckAge;
  /** The peers (raft address, id, role) the per-peer rows were registered for. */
  private volatile java.util.List<java.util.List<String>> peerRows = java.util.List.of();

  NodeMetrics(String nodeId, RaftNode node, ReplicaProgress progress,
      ReplicationHealth replication, LeaseKeeper leases) {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("node", nodeId);
    reads = new ReadMetrics(registry);
    watches = new WatchMetrics(registry);
    interceptor = new GrpcMetricsInterceptor(registry);
    bindRaft(node, progress);
    peerReplicating = MultiGauge.builder("raftkv.peer.replicating")
        .description("On the leader: 1 while its replicator for the peer replicates the log "
            + "normally, else 0").register(registry);
    peerAckAge = MultiGauge.builder("raftkv.peer.ack.age").baseUnit("seconds")
        .description("On the leader: time since the peer last answered it").register(registry);
    Gauge.builder("raftkv.replication.degraded", replication, r -> r.current().degraded() ? 1 : 0)
        .description("1 on the leader while a voter has not been replicating for more than "
            + "three election timeouts").register(registry);
    replication.addListener(snapshot -> updatePeerRows(replication, snapshot));
    bindStore(node.store());
    Gauge.builder("raftkv.leases", leases, LeaseKeeper::size)
        .description("On the leader: the leases it holds (and will expire); 0 on other nodes")
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    DropwizardExports.builder().dropwizardRegistry(node.jraftMetrics())
        .customLabelMapper(new JraftMetricNames())
        // A jraft gauge that throws (say, while its node stops) must not fail the scrape.
        .invalidMetricHandler((name, e) -> {
          LOG.debug("jraft metric {} could not be read", name, e);
          return true;
        })
        .register(registry.getPrometheusRegistry());
  }

  private void bindRaft(RaftNode node, ReplicaProgress progress) {
    Gauge.builder("raftkv.raft.applied.index", node, RaftNode::appliedIndex)
        .description("This node's applied index, configuration entries included")
        .register(registry);
    Gauge.builder("raftkv.raft.commit.index", node, RaftNode::commitIndex)
        .description("The commit index as this node knows it").register(registry);
    Gauge.builder("raftkv.raft.term", node, RaftNode::term)
        .description("The latest term this node has seen").register(registry);
    Gauge.builder("raftkv.raft.leader", node, n -> n.isLeader() ? 1 : 0)
        .description("1 while this node is the leader, else 0").register(registry);
    Gauge.builder("raftkv.replica.lag.entries", progress, p -> p.lag().entries())
        .description("Entries this node has received but not applied").register(registry);
    Gauge.builder("raftkv.replica.lag.seconds", progress, p -> p.lag().millis() / 1000.0)
        .description("How long this node has held an entry it has not applied, or since it "
            + "last heard from the leader (the lag_ms of read responses, in seconds)")
        .register(registry);
    Counter leaderChanges = Counter.builder("raftkv.raft.leader.changes")
        .description("Times this node learned of a new leader, itself or another")
        .register(registry);
    DistributionSummary batches = DistributionSummary.builder("raftkv.apply.batch")
        .baseUnit("entries")
        .description("Log entries applied per RocksDB write batch")
        .serviceLevelObjectives(BATCH_BUCKETS)
        .register(registry);
    node.addEventListener(new NodeEventListener() {
      @Override
      public void leaderChanged(long term, boolean self) {
        leaderChanges.increment();
      }

      @Override
      public void batchApplied(int entries) {
        batches.record(entries);
      }
    });
  }

  /**
   * Re-registers the per-peer rows when the set of peers changes (leadership or membership);
   * the rows read each value from the latest snapshot at scrape time.
   */
  private void updatePeerRows(ReplicationHealth replication, ReplicationHealth.Snapshot snapshot) {
    java.util.List<java.util.List<String>> rows = snapshot.peers().stream()
        .map(p -> java.util.List.of(p.member().getRaftAddress(), p.member().getId(), p.role()))
        .toList();
    if (rows.equals(peerRows)) {
      return;
    }
    peerRows = rows;
    peerReplicating.register(rows.stream().map(r -> MultiGauge.Row.of(
        Tags.of("peer", r.get(1), "role", r.get(2)), replication,
        h -> h.current().peer(r.get(0)).map(p -> p.replicating() ? 1.0 : 0.0)
            .orElse(Double.NaN))).toList(), true);
    peerAckAge.register(rows.stream().map(r -> MultiGauge.Row.of(
        Tags.of("peer", r.get(1), "role", r.get(2)), replication,
        h -> h.current().peer(r.get(0)).map(p -> p.msSinceAck() / 1000.0)
            .orElse(Double.NaN))).toList(), true);
  }

  private void bindStore(KvStore store) {
    Gauge.builder("raftkv.rocksdb.sst.files.size", store,
            s -> s.longProperty("rocksdb.total-sst-files-size"))
        .baseUnit("bytes").description("Size of the store's SST files").register(registry);
    Gauge.builder("raftkv.rocksdb.live.data.size", store,
            s -> s.longProperty("rocksdb.estimate-live-data-size"))
        .baseUnit("bytes").description("RocksDB's estimate of the store's live data")
        .register(registry);
    // Both above stay 0 until a memtable is flushed; a small store lives in its memtables.
    Gauge.builder("raftkv.rocksdb.memtables.size", store,
            s -> s.longProperty("rocksdb.cur-size-all-mem-tables"))
        .baseUnit("bytes").description("Size of the store's memtables").register(registry);
    // The disk and memory the watch history costs (--history-entries, --history-age).
    Gauge.builder("raftkv.watch.history.size", store,
            s -> s.longProperty("rocksdb.total-sst-files-size", true)
                + s.longProperty("rocksdb.cur-size-all-mem-tables", true))
        .baseUnit("bytes").description("SST files and memtables of the watch history")
        .register(registry);
    Gauge.builder("raftkv.watch.history.compacted.through", store,
            KvStore::historyCompactedThrough)
        .description("Changes at or below this index are no longer kept: the oldest start a "
            + "watch may ask for").register(registry);
  }

  /** The Prometheus text exposition of every series; called on the HTTP endpoint's threads. */
  String scrape() {
    return registry.scrape();
  }

  PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Observer to give the node's {@link raftkv.reads.ReadPath}. */
  ReadObserver readObserver() {
    return reads;
  }

  /** Observer to give the node's {@link WatchHub}. */
  WatchObserver watchObserver() {
    return watches;
  }

  /** Interceptor for the raftkv gRPC services. */
  ServerInterceptor grpcInterceptor() {
    return interceptor;
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
