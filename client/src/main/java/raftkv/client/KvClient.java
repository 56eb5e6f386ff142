package raftkv.client;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A connection to one raftkv cluster.
 *
 * <pre>{@code
 * try (KvClient client = KvClient.builder().endpoints("10.0.0.1:7000,10.0.0.2:7000").build()) {
 *   client.blocking().put("k", "v");
 *   client.async().withDeadline(Duration.ofSeconds(1)).get("k").thenAccept(...);
 * }
 * }</pre>
 *
 * <p>The calls live on facets: {@link #async()} (futures), {@link #blocking()} (results, or
 * {@link KvException}) and {@link #admin()} (single-node status). Writes and linearizable
 * reads go to the node believed to be the leader, starting with the first endpoint and
 * following the cluster's hints from then on (also to leaders not in the endpoint list);
 * eventual reads rotate over the endpoints, so naming a single endpoint pins them to it.
 *
 * <p>Each client has a random id under which its writes are deduplicated by the cluster; it
 * is not shared with, and must not be reused by, any other client.
 *
 * <p>Thread-safe: share one client across threads. It owns a gRPC channel per node it talks
 * to and one daemon timer thread; {@link #close()} releases them and fails the calls still
 * open with CANCELLED.
 */
public final class KvClient implements AutoCloseable {
  static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

  private final Dispatcher dispatcher;
  private final AsyncKv async;
  private final BlockingKv blocking;
  private final AdminApi admin;

  private KvClient(Builder b) {
    byte[] id = new byte[16];
    new SecureRandom().nextBytes(id);
    this.dispatcher = new Dispatcher(b.endpoints, b.channelFactory,
        new Backoff(b.backoffInitial, b.backoffMax), HexFormat.of().formatHex(id));
    this.async = new AsyncKv(dispatcher, b.defaultDeadline);
    this.blocking = new BlockingKv(async);
    this.admin = new AdminApi(dispatcher, b.defaultDeadline);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The calls, answered with futures, under the default deadline. */
  public AsyncKv async() {
    return async;
  }

  /** The calls, waited for, under the default deadline. */
  public BlockingKv blocking() {
    return blocking;
  }

  public AdminApi admin() {
    return admin;
  }

  /** The id under which the cluster deduplicates this client's writes: 32 hex digits. */
  public String clientId() {
    return dispatcher.writeIds().clientId();
  }

  /**
   * Closes the channels (calls on the wire get a second to finish), stops the timer, and fails
   * every call still open with CANCELLED. Idempotent.
   */
  @Override
  public void close() {
    dispatcher.close();
  }

  @Override
  public String toString() {
    return "KvClient{id=" + clientId() + ", endpoints=" + dispatcher.router().endpoints() + "}";
  }

  Dispatcher dispatcher() {
    return dispatcher;
  }

  static Duration checkDeadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    return deadline;
  }

  /** Not thread-safe; {@link #build()} may be called more than once, each a new client. */
  public static final class Builder {
    private List<String> endpoints;
    private Duration defaultDeadline = DEFAULT_DEADLINE;
    private ChannelFactory channelFactory = ChannelFactory.PLAINTEXT;
    private Duration backoffInitial = Duration.ofMillis(10);
    private Duration backoffMax = Duration.ofMillis(500);

    private Builder() {}

    /**
     * The nodes' client API addresses, "host:port" each. Writes start at the first; the rest
     * are where the client looks when that fails. Duplicates are dropped.
     */
    public Builder endpoints(List<String> hostPorts) {
      Objects.requireNonNull(hostPorts, "hostPorts");
      Set<String> unique = new LinkedHashSet<>();
      for (String hostPort : hostPorts) {
        String e = Objects.requireNonNull(hostPort, "endpoint").trim();
        if (!Router.isHostPort(e)) {
          throw new IllegalArgumentException("endpoint must be host:port, got '" + hostPort + "'");
        }
        unique.add(e);
      }
      if (unique.isEmpty()) {
        throw new IllegalArgumentException("at least one endpoint is needed");
      }
      this.endpoints = List.copyOf(unique);
      return this;
    }

    /** {@link #endpoints(List)} from "host:port,host:port". */
    public Builder endpoints(String commaSeparated) {
      Objects.requireNonNull(commaSeparated, "commaSeparated");
      List<String> list = new ArrayList<>();
      for (String part : commaSeparated.split(",")) {
        if (!part.isBlank()) {
          list.add(part);
        }
      }
      return endpoints(list);
    }

    /** The time each call may take, retries included, unless a facet says otherwise. 10 s. */
    public Builder defaultDeadline(Duration deadline) {
      this.defaultDeadline = checkDeadline(deadline);
      return this;
    }

    Builder channelFactory(ChannelFactory factory) {
      this.channelFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    Builder backoff(Duration initial, Duration max) {
      new Backoff(initial, max);
      this.backoffInitial = initial;
      this.backoffMax = max;
      return this;
    }

    /**
     * A new client. No connection is made yet: channels open on first use, so building never
     * fails because a node is down.
     */
    public KvClient build() {
      if (endpoints == null) {
        throw new IllegalStateException("endpoints(...) is required");
      }
      return new KvClient(this);
    }
  }
}
