package raftkv.server;

import io.prometheus.metrics.instrumentation.dropwizard5.labels.CustomLabelMapper;
import io.prometheus.metrics.instrumentation.dropwizard5.labels.MapperConfig;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.List;

/**
 * Names for jraft's Codahale metrics as {@link io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports}
 * exports them. The bridge's own sanitising keeps colons (legal in Prometheus names, but
 * reserved for recording rules), so jraft's per-replicator metrics such as
 * {@code replicator-raftkv/127.0.0.1:8081.log-lags} came out as
 * {@code replicator_raftkv_127_0_0_1:8081_log_lags}. Here every colon becomes an underscore,
 * and a replicator's metrics also carry the peer as a {@code peer} label, so a query can
 * select by peer ({@code {__name__=~"replicator_raftkv_.*_log_lags"}} by {@code peer}).
 *
 * <p>The peer stays in the name too: the bridge emits one metric per Codahale metric and
 * refuses two with one name, so the per-peer metrics cannot share a name. Stateless and
 * thread-safe.
 */
final class JraftMetricNames extends CustomLabelMapper {
  /** jraft names a replicator's metrics {@code replicator-<group>/<peer>.<metric>}. */
  static final String REPLICATOR_PREFIX = "replicator-";

  JraftMetricNames() {
    // CustomLabelMapper insists on at least one glob rule; both of its methods that use the
    // rules are overridden below, so this one is never consulted.
    super(List.of(new MapperConfig("replicator.*", "replicator", java.util.Map.of())));
  }

  @Override
  public String getName(String dropwizardName) {
    return dropwizardName.replace(':', '_');
  }

  @Override
  public Labels getLabels(String dropwizardName, List<String> labelNames,
      List<String> labelValues) {
    Labels labels = Labels.of(labelNames, labelValues);
    String peer = peerOf(dropwizardName);
    return peer == null ? labels : labels.add("peer", peer);
  }

  /** The peer of a replicator metric ({@code host:port}), or null for other metrics. */
  static String peerOf(String dropwizardName) {
    int slash = dropwizardName.indexOf('/');
    int lastDot = dropwizardName.lastIndexOf('.');
    if (!dropwizardName.startsWith(REPLICATOR_PREFIX) || slash < 0 || lastDot < slash) {
      return null;
    }
    return dropwizardName.substring(slash + 1, lastDot);
  }
}
