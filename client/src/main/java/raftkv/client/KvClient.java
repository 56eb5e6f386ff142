package raftkv.client;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import raftkv.token.SessionToken;
import raftkv.v1.LagPolicy;
import raftkv.v1.WatchRequest;

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
 * {@link KvException}), {@link #admin()} (single-node status) and {@link #leases()} (leases
 * and their keep-alives); {@link #watch} streams the changes to keys ({@link Watcher}). {@link #newSession()} and
 * {@link #session(String)} give a {@link Session} with the same facets, whose calls see each
 * other's effects even when replicas serve its reads.
 *
 * <p>Writes and linearizable reads go to the node believed to be the leader, starting with the
 * first endpoint and following the cluster's hints from then on (also to leaders not in the
 * endpoint list). SESSION, BOUNDED_STALENESS and EVENTUAL reads go to replicas in the order
 * of the {@link ReadPreference}, which needs each node's role: with more than one endpoint the
 * client asks every endpoint for its status in the background (at once when built, then every
 * two seconds and after failures). Naming a single endpoint pins those reads to it.
 *
 * <p>Each client has a random id under which its writes are deduplicated by the cluster; it
 * is not shared with, and must not be reused by, any other client.
 *
 * <p>Security: {@link Builder#tls} for TLS (and a client certificate), {@link
 * Builder#bearerToken} for nodes that require authentication; they apply to every facet,
 * {@link #admin()} included.
 *
 * <p>Thread-safe: share one client across threads. It owns a gRPC channel per node it talks
 * to and one daemon timer thread (retries and status polls); {@link #close()} releases them
 * and fails the calls still open with CANCELLED.
 */
public final class KvClient implements AutoCloseable {
  static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  static final Duration DEFAULT_WAIT_BUDGET = Duration.ofSeconds(1);
  static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
  /** The server's limit on a read's wait budget. */
  static final Duration MAX_WAIT_BUDGET = Duration.ofSeconds(60);
  static final Duration DEFAULT_STATUS_INTERVAL = Duration.ofSeconds(2);

  private final Dispatcher dispatcher;
  private final AsyncKv async;
  private final BlockingKv blocking;
  private final AdminApi admin;
  private final LeaseApi leases;
  private final Duration defaultDeadline;

  private KvClient(Builder b) {
    byte[] id = new byte[16];
    new SecureRandom().nextBytes(id);
    Duration statusDeadline = b.defaultDeadline.compareTo(DEFAULT_STATUS_INTERVAL) < 0
        ? b.defaultDeadline : DEFAULT_STATUS_INTERVAL;
    this.dispatcher = new Dispatcher(b.endpoints, b.channels(),
        new Backoff(b.backoffInitial, b.backoffMax), HexFormat.of().formatHex(id),
        b.readPreference, b.lagPolicy, (int) b.waitBudget.toMillis(), b.statusInterval,
        statusDeadline, b.attemptTimeout);
    this.defaultDeadline = b.defaultDeadline;
    this.async = new AsyncKv(dispatcher, b.defaultDeadline, null);
    this.blocking = new BlockingKv(async);
    this.admin = new AdminApi(dispatcher, b.defaultDeadline);
    this.leases = new LeaseApi(dispatcher, b.defaultDeadline);
    dispatcher.startPolling();
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

  /** Leases: grant, revoke, info and keep-alive, under the default deadline. */
  public LeaseApi leases() {
    return leases;
  }

  /**
   * Watches the key, prefix or range {@code request} names, from its start (an index, a
   * token, or now), delivering to {@code listener}; see {@link Watcher}. A watch "from now"
   * that must start again before its first message starts from the new now.
   */
  public Watcher watch(WatchRequest request, WatchListener listener) {
    return Watcher.toListener(dispatcher, null, request, listener);
  }

  /** {@link #watch(WatchRequest, WatchListener)}, pulled through {@link Watcher#events()}. */
  public Watcher watch(WatchRequest request) {
    return Watcher.pulled(dispatcher, null, request);
  }

  /** A new session, which has seen nothing yet: its {@link Session#token()} is "". */
  public Session newSession() {
    return new Session(dispatcher, defaultDeadline, null);
  }

  /**
   * Continues a session from its {@link Session#token()}, which may come from another client
   * or process of the same cluster: the new session's reads see everything the token covers.
   * "" starts a new session.
   *
   * @throws IllegalArgumentException naming what is wrong if {@code token} is not a session
   *     token (a token of another cluster is accepted here; that cluster's nodes refuse it)
   */
  public Session session(String token) {
    if (token != null && token.isEmpty()) {
      return newSession();
    }
    return new Session(dispatcher, defaultDeadline, SessionToken.parse(token));
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
    /** Set by tests only; otherwise built from the TLS and token options. */
    private ChannelFactory channelFactory;
    private Path caCert;
    private Path clientCert;
    private Path clientKey;
    private String bearerToken;
    private Duration backoffInitial = Duration.ofMillis(10);
    private Duration backoffMax = Duration.ofMillis(500);
    private ReadPreference readPreference = ReadPreference.LEARNERS_FIRST;
    private LagPolicy lagPolicy = LagPolicy.FALLBACK;
    private Duration waitBudget = DEFAULT_WAIT_BUDGET;
    private Duration statusInterval = DEFAULT_STATUS_INTERVAL;
    private Duration attemptTimeout = DEFAULT_ATTEMPT_TIMEOUT;

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

    /**
     * Which nodes serve SESSION, BOUNDED_STALENESS and EVENTUAL reads, in which order.
     * {@link ReadPreference#LEARNERS_FIRST} by default.
     */
    public Builder readPreference(ReadPreference preference) {
      this.readPreference = Objects.requireNonNull(preference, "preference");
      return this;
    }

    /**
     * What a SESSION or BOUNDED_STALENESS read does when its replica has not caught up within
     * the wait budget, unless the read's own options say: {@link LagPolicy#FALLBACK} (the
     * default) tries the next node of the {@link ReadPreference} order and finally the leader,
     * all within the call's deadline; {@link LagPolicy#WAIT} fails after the budget and
     * {@link LagPolicy#FAIL} at once, both with a {@link KvException} carrying {@link
     * KvException#replicaLagging()}.
     */
    public Builder lagPolicy(LagPolicy policy) {
      Objects.requireNonNull(policy, "policy");
      if (policy != LagPolicy.WAIT && policy != LagPolicy.FALLBACK && policy != LagPolicy.FAIL) {
        throw new IllegalArgumentException("lag policy must be WAIT, FALLBACK or FAIL, got "
            + policy);
      }
      this.lagPolicy = policy;
      return this;
    }

    /**
     * How long a replica may wait to catch up before refusing a SESSION or BOUNDED_STALENESS
     * read, unless the read's own options say; 1 s by default, at most 60 s, whole
     * milliseconds. Under FALLBACK a replica other than the leader is given at most half of
     * the time the call has left, so that there is time to go elsewhere.
     */
    public Builder waitBudget(Duration budget) {
      Objects.requireNonNull(budget, "budget");
      if (budget.compareTo(Duration.ofMillis(1)) < 0 || budget.compareTo(MAX_WAIT_BUDGET) > 0) {
        throw new IllegalArgumentException(
            "wait budget must be between 1 ms and " + MAX_WAIT_BUDGET.toSeconds() + " s, got "
                + budget);
      }
      this.waitBudget = budget;
      return this;
    }

    /**
     * How long one attempt of a call may go unanswered before the call tries another node,
     * plus the wait budget: 2 s by default. A paused or partitioned node keeps its connections
     * open and never answers; without this limit one attempt would use the call's whole
     * deadline on it. A write tried again elsewhere keeps its write id, so it is applied at
     * most once. {@link Duration#ZERO}: an attempt may use the whole deadline.
     */
    public Builder attemptTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || (!timeout.isZero() && timeout.toMillis() < 100)) {
        throw new IllegalArgumentException(
            "attempt timeout must be 0 (none) or at least 100 ms, got " + timeout);
      }
      this.attemptTimeout = timeout;
      return this;
    }

    /**
     * Speak TLS to the nodes and trust the certificates {@code caCert} (a PEM bundle) signed.
     * The nodes' certificates must name the host of each endpoint (IP or DNS). Default:
     * plaintext.
     */
    public Builder tls(Path caCert) {
      this.caCert = Objects.requireNonNull(caCert, "caCert");
      this.clientCert = null;
      this.clientKey = null;
      return this;
    }

    /**
     * {@link #tls(Path)}, presenting {@code clientCert} (PEM chain) with its key {@code
     * clientKey} (PEM, PKCS#8) to nodes that ask for a client certificate: mutual TLS.
     */
    public Builder tls(Path caCert, Path clientCert, Path clientKey) {
      this.caCert = Objects.requireNonNull(caCert, "caCert");
      this.clientCert = Objects.requireNonNull(clientCert, "clientCert");
      this.clientKey = Objects.requireNonNull(clientKey, "clientKey");
      return this;
    }

    /**
     * Sends {@code authorization: Bearer <token>} with every call, to nodes that require
     * authentication. Use it with {@link #tls}: without TLS anyone on the network path can
     * read the token (the client then logs a warning once).
     *
     * @throws IllegalArgumentException if the token is empty or not printable ASCII without
     *     blanks
     */
    public Builder bearerToken(String token) {
      new BearerToken(token);
      this.bearerToken = token;
      return this;
    }

    /** How often to ask every endpoint for its status; zero = never (for tests). */
    Builder statusInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("status interval must not be negative");
      }
      this.statusInterval = interval;
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
     * A new client. Building never waits for the network, so it never fails because a node is
     * down: with more than one endpoint the first status poll starts in the background, and
     * other channels open on first use.
     *
     * @throws IllegalArgumentException if a TLS file given to {@link #tls} cannot be read
     */
    public KvClient build() {
      if (endpoints == null) {
        throw new IllegalStateException("endpoints(...) is required");
      }
      return new KvClient(this);
    }

    private ChannelFactory channels() {
      if (channelFactory != null) {
        return channelFactory;
      }
      if (caCert == null && bearerToken == null) {
        return ChannelFactory.PLAINTEXT;
      }
      return ChannelFactory.with(
          ClientCredentials.of(caCert, clientCert, clientKey, bearerToken));
    }
  }
}
