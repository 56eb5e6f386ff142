package raftkv.core;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.core.Replicator;
import com.alipay.sofa.jraft.entity.PeerId;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the leader's replicators from jraft's public surfaces: the per-replicator gauges in the
 * node's metric registry (state, consecutive errors, log lag; jraft registers them when it
 * starts a replicator and removes them when it destroys one, so no gauges means no
 * replicator) and the {@link Replicator.ReplicatorStateListener} callbacks, which carry the
 * error of each failed RPC. NodeImpl keeps its replicator group private; these are what jraft
 * offers instead.
 *
 * <p>Thread-safety: safe from any thread. The listener runs on jraft's closure threads and
 * only stores a string. {@link #status} reads volatile fields through the gauges, except
 * {@code log-lags}, which takes the log manager's read lock briefly: call it from a timer,
 * never from a per-request path.
 */
final class Replicators implements Replicator.ReplicatorStateListener {
  private static final String STATE = "state";
  private static final String ERRORS = "consecutive-error-times";
  private static final String LOG_LAGS = "log-lags";

  private final String groupId;
  /** Last failure text per peer endpoint ({@code host:port}); cleared when a replicator starts. */
  private final Map<String, String> lastErrors = new ConcurrentHashMap<>();

  Replicators(String groupId) {
    this.groupId = groupId;
  }

  /**
   * The replicator for the peer at this Raft address in {@code registry}, or empty when the
   * leader has none (not leader, the peer is not a member, or jraft could not connect to it
   * to start one).
   */
  Optional<ReplicatorStatus> status(MetricRegistry registry, String raftAddress) {
    if (registry == null) {
      return Optional.empty();
    }
    String prefix = "replicator-" + groupId + "/" + PeerId.parsePeer(raftAddress) + ".";
    Map<String, Metric> metrics = registry.getMetrics();
    Long state = longValue(metrics.get(prefix + STATE));
    Long errors = longValue(metrics.get(prefix + ERRORS));
    Long lag = longValue(metrics.get(prefix + LOG_LAGS));
    if (state == null || errors == null || lag == null) {
      return Optional.empty();
    }
    ReplicatorStatus.Phase phase = phase(state);
    if (phase == null) {
      return Optional.empty();
    }
    return Optional.of(new ReplicatorStatus(phase, errors, Math.max(0, lag),
        lastErrors.getOrDefault(endpoint(raftAddress), "")));
  }

  private static Long longValue(Metric metric) {
    try {
      return metric instanceof Gauge<?> gauge && gauge.getValue() instanceof Long value
          ? value : null;
    } catch (RuntimeException destroyedMeanwhile) {
      return null;
    }
  }

  /** jraft's {@code Replicator.State} by ordinal; null for Destroyed. */
  private static ReplicatorStatus.Phase phase(long ordinal) {
    Replicator.State[] states = Replicator.State.values();
    if (ordinal < 0 || ordinal >= states.length) {
      return null;
    }
    return switch (states[(int) ordinal]) {
      case Created, Probe -> ReplicatorStatus.Phase.PROBING;
      case Snapshot -> ReplicatorStatus.Phase.INSTALLING_SNAPSHOT;
      case Replicate -> ReplicatorStatus.Phase.REPLICATING;
      case Destroyed -> null;
    };
  }

  private static String endpoint(String raftAddress) {
    return PeerId.parsePeer(raftAddress).getEndpoint().toString();
  }

  @Override
  public void onCreated(PeerId peer) {
    lastErrors.remove(peer.getEndpoint().toString());
  }

  @Override
  public void onError(PeerId peer, Status status) {
    if (status != null && status.getErrorMsg() != null) {
      lastErrors.put(peer.getEndpoint().toString(), status.getErrorMsg());
    }
  }

  @Override
  public void onDestroyed(PeerId peer) {
    // Kept: a replicator destroyed because its peer failed may be followed by none at all,
    // and the last error is then the best explanation there is.
  }
}
