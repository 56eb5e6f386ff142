package raftkv.client;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
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
 *
 * <p>Clients poll the nodes' status in the background as real ones do; a test that needs the
 * roles known calls {@link #rolesKnown}, and one that needs them unknown uses {@link
 * #clientWithoutPolling}.
 */
final class FakeCluster implements AutoCloseable {
  private final String prefix = UUID.randomUUID() + "/";
  private final Map<String, FakeNode> nodes = new ConcurrentHashMap<>();
  /** The committed changes every node serves watches over. */
  final FakeHistory history = new FakeHistory();
  /** The leases every node knows: lease id to TTL in ms. */
  final Map<Long, Long> leases = new ConcurrentHashMap<>();
  private final List<KvClient> clients = new CopyOnWriteArrayList<>();
  /** Endpoints the clients opened channels to, in order. */
  final List<String> opened = new CopyOnWriteArrayList<>();
  final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
  /** The endpoint of the node each KV request arrived at, across all nodes, in order. */
  final List<String> arrivals = new CopyOnWriteArrayList<>();

  FakeNode node(String endpoint) {
    return nodes.computeIfAbsent(endpoint, e -> {
      try {
        return new FakeNode(InProcessServerBuilder.forName(prefix + e).directExecutor(), e,
            arrivals).history(history).leases(leases);
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
    });
  }

  /**
   * Waits for a status round of {@code client} (after the one it started when built): the
   * roles and indexes the nodes report now are known, and no poll is in flight.
   */
  static KvClient rolesKnown(KvClient client) {
    client.dispatcher().pollStatus().join();
    return client;
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
    return client(builder(), endpoints);
  }

  /**
   * The builder of {@link #client(String...)}, to add settings to. Status is polled when the
   * client is built and after failures, but not periodically (the interval is longer than any
   * test), so that a test that has waited for {@link #rolesKnown} sees no poll it did not cause.
   */
  static KvClient.Builder builder() {
    return KvClient.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(20))
        .defaultDeadline(Duration.ofSeconds(5)).statusInterval(Duration.ofMinutes(10));
  }

  /** {@link #client(String...)} that never asks for status, so it knows no roles. */
  KvClient clientWithoutPolling(String... endpoints) {
    return client(builder().statusInterval(Duration.ZERO), endpoints);
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
