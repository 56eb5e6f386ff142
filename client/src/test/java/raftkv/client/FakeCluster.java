package raftkv.client;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Fake nodes and the clients that talk to them, over in-process channels keyed by endpoint
 * name. An endpoint without a started node behaves like a node that is down: every call to it
 * fails with UNAVAILABLE. Names are prefixed per instance so that test classes running side by
 * side never see each other's servers. Close it after each test.
 */
final class FakeCluster implements AutoCloseable {
  private final String prefix = UUID.randomUUID() + "/";
  private final Map<String, FakeNode> nodes = new ConcurrentHashMap<>();
  private final List<KvClient> clients = new CopyOnWriteArrayList<>();
  /** Endpoints the clients opened channels to, in order. */
  final List<String> opened = new CopyOnWriteArrayList<>();
  final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();

  FakeNode node(String endpoint) {
    return nodes.computeIfAbsent(endpoint, e -> {
      try {
        return new FakeNode(prefix + e, e);
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    });
  }

  ChannelFactory channelFactory() {
    return endpoint -> {
      opened.add(endpoint);
      ManagedChannel channel = InProcessChannelBuilder.forName(prefix + endpoint)
          .maxInboundMessageSize(ChannelFactory.MAX_INBOUND_MESSAGE_BYTES).build();
      channels.add(channel);
      return channel;
    };
  }

  /** A client with fast backoff (1 to 20 ms) and a 5 s default deadline. */
  KvClient client(String... endpoints) {
    return client(KvClient.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(20))
        .defaultDeadline(Duration.ofSeconds(5)), endpoints);
  }

  /** A client from {@code builder}, talking to the fakes; no endpoints = the builder's. */
  KvClient client(KvClient.Builder builder, String... endpoints) {
    if (endpoints.length > 0) {
      builder.endpoints(List.of(endpoints));
    }
    KvClient client = builder.channelFactory(channelFactory()).build();
    clients.add(client);
    return client;
  }

  @Override
  public void close() {
    List<RuntimeException> failures = new ArrayList<>();
    for (KvClient client : clients) {
      try {
        client.close();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    nodes.values().forEach(FakeNode::stop);
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }
}
