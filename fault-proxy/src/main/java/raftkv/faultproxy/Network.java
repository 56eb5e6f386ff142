package raftkv.faultproxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directed links between nodes, one {@link LinkProxy} per (from, to), and faults over
 * groups of them. Link A→B carries every connection A opens to B (A's requests and B's answers).
 * Thread-safe.
 */
public final class Network implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Network.class);

  private record Key(String from, String to) {}

  private final Random random;
  private final Map<Key, LinkProxy> links = new LinkedHashMap<>();
  private boolean closed;

  private Network(Random random) {
    this.random = random;
  }

  /** A network whose links draw jitter and drops from an unseeded random. */
  public static Network create() {
    return new Network(new Random());
  }

  /** A network whose links draw jitter and drops from randoms seeded by {@code random}. */
  public static Network create(Random random) {
    return new Network(Objects.requireNonNull(random, "random"));
  }

  /** {@link #create(Random)} with {@code new Random(seed)}. */
  public static Network create(long seed) {
    return new Network(new Random(seed));
  }

  /**
   * Starts the proxy for link {@code from→to}, named {@code from->to}, in mode PASS.
   *
   * @throws IllegalStateException if the link exists or the network is closed
   */
  public synchronized LinkProxy addLink(String from, String to, InetSocketAddress listen,
      InetSocketAddress target) throws IOException {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (closed) {
      throw new IllegalStateException("network closed");
    }
    if (from.equals(to)) {
      throw new IllegalArgumentException("link from a node to itself: " + from);
    }
    Key key = new Key(from, to);
    if (links.containsKey(key)) {
      throw new IllegalStateException("link " + from + "->" + to + " already exists");
    }
    LinkProxy proxy = LinkProxy.start(from + "->" + to, listen, target, new Random(random.nextLong()));
    links.put(key, proxy);
    return proxy;
  }

  public synchronized Optional<LinkProxy> link(String from, String to) {
    return Optional.ofNullable(links.get(new Key(from, to)));
  }

  /** Every link, in the order added. */
  public synchronized List<LinkProxy> links() {
    return List.copyOf(links.values());
  }

  /** Cuts every link from and to {@code node}. */
  public synchronized void isolate(String node) {
    log.debug("isolate {}", node);
    apply(k -> k.from.equals(node) || k.to.equals(node), LinkProxy::cut);
  }

  /** Cuts the links between the two sides, both ways; links within a side, or to others, are untouched. */
  public synchronized void partition(Set<String> side, Set<String> other) {
    for (String n : side) {
      if (other.contains(n)) {
        throw new IllegalArgumentException("node " + n + " on both sides of a partition");
      }
    }
    log.debug("partition {} | {}", side, other);
    apply(k -> side.contains(k.from) && other.contains(k.to)
        || other.contains(k.from) && side.contains(k.to), LinkProxy::cut);
  }

  /**
   * Cuts link {@code from→to} only: {@code from} can no longer reach {@code to}, while the
   * connections {@code to} opens to {@code from} (link {@code to→from}) still pass.
   *
   * @throws NoSuchElementException if there is no such link
   */
  public synchronized void cutOneWay(String from, String to) {
    LinkProxy proxy = links.get(new Key(from, to));
    if (proxy == null) {
      throw new NoSuchElementException("no link " + from + "->" + to);
    }
    proxy.cut();
  }

  public synchronized void delayAll(Duration fixed, Duration jitter) {
    LinkMode.delay(fixed, jitter); // validate before touching any link
    apply(k -> true, p -> p.delay(fixed, jitter));
  }

  public synchronized void dropAll(double p) {
    LinkMode.drop(p);
    apply(k -> true, l -> l.drop(p));
  }

  /** Every link back to PASS. */
  public synchronized void heal() {
    log.debug("heal");
    apply(k -> true, LinkProxy::pass);
  }

  /** Closes and forgets every link from and to {@code node} (the node left the cluster). */
  public synchronized void removeNode(String node) {
    List<LinkProxy> removed = new ArrayList<>();
    links.entrySet().removeIf(e -> {
      boolean match = e.getKey().from.equals(node) || e.getKey().to.equals(node);
      if (match) {
        removed.add(e.getValue());
      }
      return match;
    });
    removed.forEach(LinkProxy::close);
  }

  /** Closes every link. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    links.values().forEach(LinkProxy::close);
    links.clear();
  }

  private void apply(Predicate<Key> which, Consumer<LinkProxy> action) {
    links.forEach((k, p) -> {
      if (which.test(k)) {
        action.accept(p);
      }
    });
  }
}
