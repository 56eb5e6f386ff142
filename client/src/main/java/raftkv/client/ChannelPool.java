package raftkv.client;

import io.grpc.ManagedChannel;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One channel per endpoint, opened on first use. Endpoints are not limited to the configured
 * list: a leader hint may name a node the caller never listed, and the client must be able
 * to reach it.
 *
 * <p>Thread-safe. Owns every channel it hands out; after {@link #close} it hands out none.
 */
final class ChannelPool {
  private final ChannelFactory factory;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  // Endpoints that answered at least once: a refusal from one of them is a restart, not a
  // wrong address.
  private final Set<String> answered = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  ChannelPool(ChannelFactory factory) {
    this.factory = factory;
  }

  /**
   * The channel to {@code endpoint}, opening it if needed.
   *
   * @throws IllegalStateException once the pool is closed
   */
  ManagedChannel get(String endpoint) {
    if (closed) {
      throw new IllegalStateException("client is closed");
    }
    ManagedChannel channel = channels.computeIfAbsent(endpoint, factory::create);
    if (closed) {
      // close() may have swept the map before this channel was added: don't leak it.
      channel.shutdownNow();
      throw new IllegalStateException("client is closed");
    }
    return channel;
  }

  /** Records that a server at {@code endpoint} answered a call (with a response or a status). */
  void answered(String endpoint) {
    // Called on every answer: a lock-free look first, since adding takes the bin's lock even
    // when the endpoint is already there.
    if (!answered.contains(endpoint)) {
      answered.add(endpoint);
    }
  }

  /** Whether a server at {@code endpoint} ever answered this client. */
  boolean hasAnswered(String endpoint) {
    return answered.contains(endpoint);
  }

  /**
   * Lets the channel to {@code endpoint} connect on its next call instead of after gRPC's
   * reconnect backoff, which grows to two minutes while a node is down.
   */
  void reconnectNow(String endpoint) {
    ManagedChannel channel = channels.get(endpoint);
    if (channel != null) {
      channel.resetConnectBackoff();
    }
  }

  /**
   * Shuts every channel down: calls in flight get {@code grace} to finish, then are cancelled.
   */
  void close(long graceMillis) {
    closed = true;
    List<ManagedChannel> all = List.copyOf(channels.values());
    all.forEach(ManagedChannel::shutdown);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
    try {
      for (ManagedChannel channel : all) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !channel.awaitTermination(left, TimeUnit.NANOSECONDS)) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    all.forEach(ManagedChannel::shutdownNow);
  }
}
