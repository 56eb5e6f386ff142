package raftkv.faultproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.faultproxy.TestNet.addr;
import static raftkv.faultproxy.TestNet.assertClosedByPeer;
import static raftkv.faultproxy.TestNet.assertEcho;
import static raftkv.faultproxy.TestNet.closeQuietly;
import static raftkv.faultproxy.TestNet.connect;
import static raftkv.faultproxy.TestNet.echoesThrough;
import static raftkv.faultproxy.TestNet.freePort;
import static raftkv.faultproxy.TestNet.proxyThreads;
import static raftkv.faultproxy.TestNet.proxyThreadsOfLinksStartingWith;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Four "nodes" n1..n4, each an echo server at its real port; link a→b listens on
 * 127.0.0.(10+a) at b's advertised port, as the chaos tool wires them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetworkTest {

  private static final List<String> NODES = List.of("n1", "n2", "n3", "n4");

  private final Map<String, TestNet.EchoServer> servers = new LinkedHashMap<>();
  private final List<Socket> sockets = new ArrayList<>();
  private Network network;

  @BeforeEach
  void setUp() throws IOException {
    network = Network.create(1234L);
    Map<String, Integer> advertised = new LinkedHashMap<>();
    for (String n : NODES) {
      servers.put(n, new TestNet.EchoServer());
      advertised.put(n, freePort());
    }
    for (String from : NODES) {
      for (String to : NODES) {
        if (!from.equals(to)) {
          network.addLink(from, to, addr(loopbackOf(from), advertised.get(to)),
              servers.get(to).address());
        }
      }
    }
  }

  @AfterEach
  void tearDown() {
    sockets.forEach(TestNet::closeQuietly);
    closeQuietly(network);
    servers.values().forEach(TestNet::closeQuietly);
    assertThat(proxyThreadsOfLinksStartingWith("n")).isEmpty();
  }

  private static String loopbackOf(String node) {
    return "127.0.0." + (10 + Integer.parseInt(node.substring(1)));
  }

  private LinkProxy link(String from, String to) {
    return network.link(from, to).orElseThrow();
  }

  private Socket open(String from, String to) throws IOException {
    Socket s = connect(link(from, to).listenAddress());
    sockets.add(s);
    assertEcho(s, (from + "->" + to).getBytes());
    return s;
  }

  /** Every link's mode and actual traffic agree with {@code cut(from, to)}. */
  private void assertCutExactly(BiPredicate<String, String> cut) {
    for (String from : NODES) {
      for (String to : NODES) {
        if (from.equals(to)) {
          continue;
        }
        LinkProxy l = link(from, to);
        boolean expectCut = cut.test(from, to);
        assertThat(l.mode()).as("mode of %s", l.name())
            .isEqualTo(expectCut ? LinkMode.CUT : LinkMode.PASS);
        assertThat(echoesThrough(l.listenAddress())).as("traffic on %s", l.name())
            .isEqualTo(!expectCut);
      }
    }
  }

  @Test
  void everyLinkReachesItsTargetNode() throws IOException {
    assertThat(network.links()).hasSize(12);
    assertCutExactly((from, to) -> false);
    for (String n : NODES) {
      assertThat(servers.get(n).accepted()).isEqualTo(3);
    }
    assertThat(link("n2", "n3").listenAddress().getAddress().getHostAddress())
        .isEqualTo("127.0.0.12");
    assertThat(link("n2", "n3").listenAddress().getPort())
        .isEqualTo(link("n1", "n3").listenAddress().getPort());
  }

  @Test
  void partitionCutsExactlyTheLinksBetweenTheSidesBothWays() throws IOException {
    Socket across = open("n1", "n3");
    Socket within = open("n1", "n2");
    Socket outside = open("n4", "n1");

    network.partition(Set.of("n1", "n2"), Set.of("n3"));

    assertClosedByPeer(across);
    assertEcho(within, "still".getBytes());
    assertEcho(outside, "still".getBytes());
    Set<String> a = Set.of("n1", "n2");
    Set<String> b = Set.of("n3");
    assertCutExactly((from, to) -> a.contains(from) && b.contains(to)
        || b.contains(from) && a.contains(to));

    network.heal();
    assertCutExactly((from, to) -> false);
  }

  @Test
  void partitionRejectsANodeOnBothSides() {
    assertThatThrownBy(() -> network.partition(Set.of("n1", "n2"), Set.of("n2", "n3")))
        .isInstanceOf(IllegalArgumentException.class);
    assertCutExactly((from, to) -> false);
  }

  @Test
  void isolateCutsEveryLinkFromAndToTheNode() throws IOException {
    Socket out = open("n2", "n4");
    Socket in = open("n3", "n2");
    Socket other = open("n3", "n4");

    network.isolate("n2");

    assertClosedByPeer(out);
    assertClosedByPeer(in);
    assertEcho(other, "unaffected".getBytes());
    assertCutExactly((from, to) -> from.equals("n2") || to.equals("n2"));

    network.heal();
    assertCutExactly((from, to) -> false);
  }

  @Test
  void cutOneWayCutsOnlyThatDirection() throws IOException {
    Socket reverse = open("n2", "n1");

    network.cutOneWay("n1", "n2");

    assertEcho(reverse, "n2 still reaches n1".getBytes());
    assertCutExactly((from, to) -> from.equals("n1") && to.equals("n2"));
    assertThatThrownBy(() -> network.cutOneWay("n1", "n9"))
        .isInstanceOf(NoSuchElementException.class);
  }

  @Test
  void delayAllAndDropAllSetEveryLinkAndHealResetsThem() throws IOException {
    Duration fixed = Duration.ofMillis(100);
    network.delayAll(fixed, Duration.ofMillis(10));
    assertThat(network.links()).allSatisfy(l ->
        assertThat(l.mode()).isEqualTo(new LinkMode.Delay(fixed, Duration.ofMillis(10))));
    long start = System.nanoTime();
    open("n3", "n1");
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(2 * fixed.toNanos());

    network.dropAll(1.0);
    assertThat(network.links()).allSatisfy(l ->
        assertThat(l.mode()).isEqualTo(new LinkMode.Drop(1.0)));
    assertThat(echoesThrough(link("n1", "n4").listenAddress())).isFalse();

    network.heal();
    assertCutExactly((from, to) -> false);
  }

  @Test
  void removeNodeClosesAndForgetsItsLinks() throws IOException {
    Socket toRemoved = open("n1", "n4");
    Socket fromRemoved = open("n4", "n2");
    Socket kept = open("n1", "n2");
    LinkProxy gone = link("n4", "n3");

    network.removeNode("n4");

    assertThat(network.links()).hasSize(6);
    assertThat(network.link("n1", "n4")).isEmpty();
    assertThat(network.link("n4", "n1")).isEmpty();
    assertThat(proxyThreadsOfLinksStartingWith("n4->")).isEmpty();
    assertThat(proxyThreads("n1->n4")).isEmpty();
    assertClosedByPeer(toRemoved);
    assertClosedByPeer(fromRemoved);
    assertThat(echoesThrough(gone.listenAddress())).isFalse();
    assertEcho(kept, "kept".getBytes());
  }

  @Test
  void closeClosesEveryLink() throws IOException {
    Socket s = open("n1", "n2");
    network.close();
    assertThat(network.links()).isEmpty();
    assertThat(proxyThreadsOfLinksStartingWith("n")).isEmpty();
    assertClosedByPeer(s);
    network.close();
    assertThatThrownBy(() -> network.addLink("n1", "n2", addr("127.0.0.11", freePort()),
        servers.get("n2").address())).isInstanceOf(IllegalStateException.class);
  }
}
