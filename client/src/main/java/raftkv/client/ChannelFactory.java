package raftkv.client;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;

/**
 * Opens the channel to one endpoint. Package-private so that tests can substitute in-process
 * channels; the client calls it at most once per endpoint and owns (and shuts down) what it
 * returns.
 */
@FunctionalInterface
interface ChannelFactory {
  /** Responses can be a Range page of up to 4 MiB of keys and values plus framing. */
  int MAX_INBOUND_MESSAGE_BYTES = 8 << 20;

  /** Plaintext gRPC over whichever transport is on the class path (grpc-netty-shaded). */
  ChannelFactory PLAINTEXT = with(InsecureChannelCredentials.create());

  /**
   * Channels with {@code credentials} (TLS, call credentials, or both; see ClientCredentials).
   *
   * <p>Responses are handled on the channel's network threads ({@code directExecutor}): the
   * client's own work per response is short and never blocks, and handing each response to
   * gRPC's default cached pool cost a thread wake-up per call (a quarter of a load tool's CPU
   * went to that pool's hand-off). gRPC's own retry layer is off: the client retries every
   * call itself ({@link Dispatcher}), and the layer buffered every message for nothing.
   */
  static ChannelFactory with(ChannelCredentials credentials) {
    return endpoint -> Grpc.newChannelBuilder(endpoint, credentials)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        .directExecutor()
        .disableRetry()
        .build();
  }

  ManagedChannel create(String endpoint);
}
