package raftkv.server;

/**
 * Hardening of the client API's transport (gRPC over HTTP/2). Immutable.
 *
 * @param maxInboundMessageBytes largest request message the transport accepts; above it the
 *     call fails with RESOURCE_EXHAUSTED before it reaches the validator. Must exceed the
 *     request limit so that oversized requests get the validator's precise message
 * @param maxInboundMetadataBytes largest header block (metadata) of a call; above it the call
 *     fails with INVALID_ARGUMENT naming the limit ({@link MetadataLimit}); above
 *     {@link MetadataLimit#TRANSPORT_FACTOR} times it the transport itself refuses the headers
 *     (HTTP 431, or a closed connection when far over)
 * @param maxConcurrentCallsPerConnection streams one connection may have open at once
 * @param permitKeepAliveTimeMs clients pinging more often than this are disconnected
 *     (GOAWAY ENHANCE_YOUR_CALM)
 * @param drainMs how long a stopping node lets in-flight calls finish
 */
public record TransportLimits(int maxInboundMessageBytes, int maxInboundMetadataBytes,
    int maxConcurrentCallsPerConnection, long permitKeepAliveTimeMs, long drainMs) {

  public static final TransportLimits DEFAULTS =
      new TransportLimits(8 << 20, 16 << 10, 10_000, 10_000, 5_000);

  /** Throws {@link IllegalArgumentException} naming the field, its value and the rule broken. */
  public TransportLimits validate(Limits requests) {
    if (maxInboundMessageBytes <= requests.maxRequestBytes()) {
      throw new IllegalArgumentException("max-inbound-message-bytes (" + maxInboundMessageBytes
          + ") must be > max-request-bytes (" + requests.maxRequestBytes() + "), so that an "
          + "oversized request is refused with a message naming the limit");
    }
    atLeast("max-inbound-metadata-bytes", maxInboundMetadataBytes, 1024);
    atLeast("max-concurrent-calls-per-connection", maxConcurrentCallsPerConnection, 1);
    atLeast("permit-keepalive-time-ms", permitKeepAliveTimeMs, 1);
    atLeast("drain-ms", drainMs, 0);
    return this;
  }

  private static void atLeast(String field, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
    }
  }
}
