package raftkv.server;

/**
 * The node's HTTP endpoint for Prometheus metrics ({@code /metrics}), liveness
 * ({@code /health}) and readiness ({@code /ready}). Immutable.
 *
 * @param listenAddress host:port of the HTTP endpoint; empty: no endpoint
 * @param readyMaxLagMs a follower or learner is ready only while its lag behind the
 *     leader's commit index is at most this many milliseconds (a leader must be known too)
 */
public record MetricsConfig(String listenAddress, long readyMaxLagMs) {

  public static final long DEFAULT_READY_MAX_LAG_MS = 5_000;

  /** No HTTP endpoint. */
  public static final MetricsConfig OFF = new MetricsConfig("", DEFAULT_READY_MAX_LAG_MS);

  public MetricsConfig {
    listenAddress = listenAddress == null ? "" : listenAddress;
  }

  public boolean enabled() {
    return !listenAddress.isEmpty();
  }

  /** Throws {@link IllegalArgumentException} naming the field, its value and the rule broken. */
  public MetricsConfig validate() {
    if (enabled()) {
      int colon = listenAddress.lastIndexOf(':');
      int port;
      try {
        port = colon < 1 ? -1 : Integer.parseInt(listenAddress.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("metrics-listen '" + listenAddress
            + "' must be host:port with a port in 0..65535");
      }
    }
    if (readyMaxLagMs < 1) {
      throw new IllegalArgumentException("ready-max-lag-ms must be >= 1, got " + readyMaxLagMs);
    }
    return this;
  }
}
