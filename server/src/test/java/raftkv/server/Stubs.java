package raftkv.server;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import raftkv.v1.AdminGrpc;
import raftkv.v1.KVGrpc;
import raftkv.v1.LeaseGrpc;

/** Raw gRPC stubs per endpoint, for tests that check exact statuses. Closes its channels. */
final class Stubs implements AutoCloseable {
  private final List<ManagedChannel> channels = new ArrayList<>();

  KVGrpc.KVBlockingStub kv(String endpoint) {
    return KVGrpc.newBlockingStub(channel(endpoint)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  LeaseGrpc.LeaseBlockingStub lease(String endpoint) {
    return LeaseGrpc.newBlockingStub(channel(endpoint)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** For the LeaseKeepAlive stream; no deadline, so it lives as long as the test needs it. */
  LeaseGrpc.LeaseStub leaseStream(String endpoint) {
    return LeaseGrpc.newStub(channel(endpoint));
  }

  AdminGrpc.AdminBlockingStub admin(String endpoint) {
    return AdminGrpc.newBlockingStub(channel(endpoint)).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** A new plaintext channel to {@code endpoint}, closed with the others. */
  ManagedChannel channel(String endpoint) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext()
        .maxInboundMessageSize(16 << 20).build();
    channels.add(channel);
    return channel;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
