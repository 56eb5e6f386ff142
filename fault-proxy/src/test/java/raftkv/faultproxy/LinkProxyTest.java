package raftkv.faultproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static raftkv.faultproxy.TestNet.addr;
import static raftkv.faultproxy.TestNet.assertClosedByPeer;
import static raftkv.faultproxy.TestNet.assertEcho;
import static raftkv.faultproxy.TestNet.closeQuietly;
import static raftkv.faultproxy.TestNet.connect;
import static raftkv.faultproxy.TestNet.echoesThrough;
import static raftkv.faultproxy.TestNet.freePort;
import static raftkv.faultproxy.TestNet.proxyThreads;
import static raftkv.faultproxy.TestNet.writeQuietly;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinkProxyTest {

  private final List<AutoCloseable> resources = new ArrayList<>();
  private String name;
  private TestNet.EchoServer echo;
  private InetSocketAddress listen;

  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    name = "t-" + info.getTestMethod().orElseThrow().getName();
    echo = track(new TestNet.EchoServer());
    listen = addr("127.0.0.11", freePort());
  }

  @AfterEach
  void tearDown() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      closeQuietly(resources.get(i));
    }
    assertThat(proxyThreads(name)).isEmpty();
  }

  private <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }

  private LinkProxy startProxy() throws IOException {
    return track(LinkProxy.start(name, listen, echo.address(), new Random(42)));
  }

  private Socket client(LinkProxy proxy) throws IOException {
    return track(connect(proxy.listenAddress()));
  }

  @Test
  void passForwardsLargePayloadBothWaysByteExact() throws Exception {
    LinkProxy proxy = startProxy();
    assertThat(proxy.mode()).isEqualTo(LinkMode.PASS);
    byte[] payload = new byte[5 * 1024 * 1024];
    new Random(7).nextBytes(payload);
    Socket s = client(proxy);

    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        OutputStream out = s.getOutputStream();
        for (int off = 0; off < payload.length; off += 10_000) {
          out.write(payload, off, Math.min(10_000, payload.length - off));
        }
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    byte[] back = s.getInputStream().readNBytes(payload.length);
    writer.get();

    assertThat(back).isEqualTo(payload);
    await().untilAsserted(() ->
        assertThat(proxy.bytesForwarded()).isEqualTo(2L * payload.length));
    assertThat(proxy.openConnections()).isEqualTo(1);
    assertThat(echo.bytesReceived()).isEqualTo(payload.length);
  }

  @Test
  void cutClosesExistingConnectionsAndNewOnesGetNothingThrough() throws Exception {
    LinkProxy proxy = startProxy();
    Socket a = client(proxy);
    Socket b = client(proxy);
    assertEcho(a, "a".getBytes());
    assertEcho(b, "b".getBytes());
    assertThat(proxy.openConnections()).isEqualTo(2);
    int acceptedBefore = echo.accepted();

    proxy.cut();

    assertThat(proxy.mode()).isEqualTo(LinkMode.CUT);
    assertClosedByPeer(a);
    assertClosedByPeer(b);
    await().until(() -> proxy.openConnections() == 0 && echo.openConnections() == 0);
    long receivedBefore = echo.bytesReceived();
    for (int i = 0; i < 3; i++) {
      Socket c;
      try {
        c = client(proxy);
      } catch (IOException refused) {
        continue;
      }
      writeQuietly(c, "lost".getBytes());
      assertClosedByPeer(c);
    }
    assertThat(echo.accepted()).isEqualTo(acceptedBefore);
    assertThat(echo.bytesReceived()).isEqualTo(receivedBefore);
    assertThat(proxy.openConnections()).isZero();
    await().until(() -> proxy.refusedConnections() == 3);
  }

  @Test
  void passAfterCutLetsNewConnectionsThrough() throws Exception {
    LinkProxy proxy = startProxy();
    proxy.cut();
    assertThat(echoesThrough(proxy.listenAddress())).isFalse();

    proxy.pass();

    assertThat(proxy.mode()).isEqualTo(LinkMode.PASS);
    assertThat(echoesThrough(proxy.listenAddress())).isTrue();
    Socket s = client(proxy);
    assertEcho(s, "healed".getBytes());
  }

  @Test
  void cutDiscardsDelayedBytesNotYetForwarded() throws Exception {
    LinkProxy proxy = startProxy();
    Socket s = client(proxy);
    assertEcho(s, "x".getBytes());
    long received = echo.bytesReceived();
    proxy.delay(Duration.ofMinutes(10), Duration.ZERO);
    s.getOutputStream().write("held back".getBytes());

    proxy.cut();

    assertClosedByPeer(s);
    await().until(() -> proxy.openConnections() == 0 && echo.openConnections() == 0);
    assertThat(echo.bytesReceived()).isEqualTo(received);
  }

  @Test
  void delayHoldsEachDirectionAtLeastTheFixedDelayAndAppliesToOpenConnections() throws Exception {
    LinkProxy proxy = startProxy();
    Socket s = client(proxy);
    assertEcho(s, "before".getBytes());
    Duration fixed = Duration.ofMillis(300);

    proxy.delay(fixed, Duration.ofMillis(50));

    assertThat(proxy.mode()).isEqualTo(new LinkMode.Delay(fixed, Duration.ofMillis(50)));
    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      assertEcho(s, ("delayed-" + i).getBytes());
      long tookNanos = System.nanoTime() - start;
      // request and answer each wait at least the fixed delay
      assertThat(tookNanos).isGreaterThanOrEqualTo(2 * fixed.toNanos());
    }
    long start = System.nanoTime();
    assertThat(echoesThrough(proxy.listenAddress())).isTrue();
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(2 * fixed.toNanos());

    proxy.pass();
    assertEcho(s, "after".getBytes());
  }

  @Test
  void delayWithJitterPreservesOrderOfManySmallWrites() throws Exception {
    LinkProxy proxy = startProxy();
    proxy.delay(Duration.ofMillis(5), Duration.ofMillis(30));
    Socket s = client(proxy);
    int count = 2_000;

    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      try {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        for (int i = 0; i < count; i++) {
          out.writeInt(i); // one small write (and, with TCP_NODELAY, mostly one segment) each
        }
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    DataInputStream in = new DataInputStream(s.getInputStream());
    for (int i = 0; i < count; i++) {
      assertThat(in.readInt()).isEqualTo(i);
    }
    writer.get();
    assertThat(proxy.bytesForwarded()).isEqualTo(2L * 4 * count);
  }

  @Test
  void dropOneCutsEveryConnectionOnItsFirstChunkButStillAcceptsNewOnes() throws Exception {
    LinkProxy proxy = startProxy();
    proxy.drop(1.0);
    assertThat(proxy.mode()).isEqualTo(new LinkMode.Drop(1.0));

    for (int i = 1; i <= 3; i++) {
      Socket s = client(proxy);
      int n = i;
      // accepted and connected through to the target...
      await().until(() -> echo.accepted() == n);
      writeQuietly(s, "dropped".getBytes());
      // ...and cut on the first chunk, which never reaches the target
      assertClosedByPeer(s);
    }
    await().until(() -> proxy.openConnections() == 0 && echo.openConnections() == 0);
    assertThat(echo.bytesReceived()).isZero();
    assertThat(proxy.bytesForwarded()).isZero();
  }

  @Test
  void dropZeroForwardsEverything() throws Exception {
    LinkProxy proxy = startProxy();
    proxy.drop(0.0);
    Socket s = client(proxy);
    for (int i = 0; i < 200; i++) {
      assertEcho(s, ("chunk-" + i).getBytes());
    }
    assertThat(proxy.openConnections()).isEqualTo(1);
  }

  @Test
  void dropHalfCutsAConnectionSoonAndNewConnectionsAreStillAccepted() throws Exception {
    LinkProxy proxy = startProxy();
    Socket s = client(proxy);
    assertEcho(s, "ok".getBytes());
    proxy.drop(0.5);

    int roundTrips = 0;
    boolean cut = false;
    while (!cut && roundTrips < 200) { // survives 400 chunks with probability 2^-400
      try {
        s.getOutputStream().write(1);
        cut = s.getInputStream().read() < 0;
      } catch (IOException reset) {
        cut = true;
      }
      roundTrips++;
    }
    assertThat(cut).as("cut within 200 round trips").isTrue();
    await().until(() -> proxy.openConnections() == 0);

    int accepted = echo.accepted();
    client(proxy);
    await().until(() -> echo.accepted() == accepted + 1);
  }

  @Test
  void twoLinksOnOnePortWithDifferentLoopbackAddressesAreIndependent() throws Exception {
    TestNet.EchoServer other = track(new TestNet.EchoServer());
    int port = listen.getPort();
    LinkProxy first = track(LinkProxy.start(name + "-1", addr("127.0.0.11", port),
        echo.address()));
    LinkProxy second = track(LinkProxy.start(name + "-2", addr("127.0.0.12", port),
        other.address()));
    try {
      assertThat(first.listenAddress().getPort()).isEqualTo(second.listenAddress().getPort());

      assertThat(echoesThrough(first.listenAddress())).isTrue();
      assertThat(echo.accepted()).isEqualTo(1);
      assertThat(other.accepted()).isZero();
      assertThat(echoesThrough(second.listenAddress())).isTrue();
      assertThat(other.accepted()).isEqualTo(1);

      Socket viaSecond = client(second);
      assertEcho(viaSecond, "open".getBytes());
      first.cut();

      assertThat(echoesThrough(first.listenAddress())).isFalse();
      assertThat(echoesThrough(second.listenAddress())).isTrue();
      assertEcho(viaSecond, "still open".getBytes());
      assertThat(second.mode()).isEqualTo(LinkMode.PASS);
    } finally {
      first.close();
      second.close();
      assertThat(proxyThreads(name + "-1")).isEmpty();
      assertThat(proxyThreads(name + "-2")).isEmpty();
    }
  }

  @Test
  void targetDownClosesTheAcceptedConnection() throws Exception {
    InetSocketAddress nobody = addr("127.0.0.1", freePort());
    LinkProxy proxy = track(LinkProxy.start(name, listen, nobody));
    Socket s = client(proxy);
    writeQuietly(s, "anyone?".getBytes());

    assertClosedByPeer(s);
    await().until(() -> proxy.openConnections() == 0);
    assertThat(proxy.bytesForwarded()).isZero();
  }

  @Test
  void closeEndsEveryThreadClosesConnectionsAndFreesTheAddress() throws Exception {
    LinkProxy proxy = startProxy();
    Socket idle = client(proxy);
    assertEcho(idle, "idle".getBytes());
    Socket busy = client(proxy);
    assertEcho(busy, "busy".getBytes());
    proxy.delay(Duration.ofMinutes(10), Duration.ZERO);
    busy.getOutputStream().write("parked in a delayed writer".getBytes());
    await().until(() -> proxy.openConnections() == 2);
    assertThat(proxyThreads(name)).hasSizeGreaterThanOrEqualTo(1 + 2 * 4);

    proxy.close();

    assertThat(proxyThreads(name)).isEmpty();
    assertThat(proxy.openConnections()).isZero();
    assertClosedByPeer(idle);
    assertClosedByPeer(busy);
    proxy.close(); // idempotent

    LinkProxy again = track(LinkProxy.start(name, listen, echo.address()));
    assertThat(echoesThrough(again.listenAddress())).isTrue();
    again.close();
    assertThat(proxyThreads(name)).isEmpty();
  }

  @Test
  void listeningOnATakenAddressFailsWithTheAddressInTheMessage() throws Exception {
    startProxy();
    assertThatThrownBy(() -> LinkProxy.start(name + "-dup", listen, echo.address()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(listen.toString());
    assertThat(proxyThreads(name + "-dup")).isEmpty();
  }

  @Test
  void modesAreValidated() throws Exception {
    LinkProxy proxy = startProxy();
    assertThatThrownBy(() -> proxy.drop(1.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> proxy.drop(-0.1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> proxy.drop(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> proxy.delay(Duration.ofMillis(-1), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> proxy.delay(Duration.ZERO, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(proxy.mode()).isEqualTo(LinkMode.PASS);
    assertThat(proxy.name()).isEqualTo(name);
  }
}
