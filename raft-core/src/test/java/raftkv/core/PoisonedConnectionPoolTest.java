package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static raftkv.core.Commands.smallOptions;

import com.alipay.remoting.Connection;
import com.alipay.remoting.ConnectionManager;
import com.alipay.remoting.Url;
import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcFactory;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.alipay.sofa.jraft.rpc.RpcRequests.PingRequest;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bolt 1.6.12 can leave a connection pool holding only a dead connection (a peer that
 * accepts and at once closes a connection races Bolt's creation of the pool), after which
 * {@code checkConnection(addr, true, true)} — what jraft's leader calls every 500 ms to
 * re-add a replicator — never connects again for as long as Bolt keeps the pool (10
 * minutes). These tests put a dead connection into a pool through Bolt's public API while
 * the peer is reachable: jraft's plain client stays disconnected, raftkv's heals within
 * seconds, over plain TCP and TLS.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoisonedConnectionPoolTest {
  /** jraft's own interval between checks of a missing replicator (NodeImpl.checkDeadNodes). */
  private static final Duration JRAFT_CHECK_INTERVAL = Duration.ofMillis(500);

  @TempDir static Path keys;
  private static Path keyStore;
  @TempDir Path dataDir;
  private final List<RaftNode> nodes = new ArrayList<>();
  private final List<RpcClient> clients = new ArrayList<>();

  @BeforeAll
  static void keyStore() throws Exception {
    keyStore = Keytool.selfSigned(keys, "group");
  }

  @AfterEach
  void close() {
    clients.forEach(RpcClient::shutdown);
    nodes.forEach(RaftNode::close);
  }

  private static String freeAddress() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return "127.0.0.1:" + socket.getLocalPort();
    }
  }

  /** A reachable Raft peer: a single-voter node, serving Bolt on its Raft port. */
  private Endpoint peer(RaftTlsOptions tls) throws Exception {
    String address = freeAddress();
    RaftNode node = RaftNode.start(new RaftNodeOptions("peer", address, dataDir.resolve("peer"),
        List.of(address), List.of(), 1000, 10, 3600, smallOptions(), "", tls));
    nodes.add(node);
    await().atMost(Duration.ofSeconds(30)).until(node::isLeader);
    return new Endpoint("127.0.0.1", Integer.parseInt(address.substring(address.indexOf(':') + 1)));
  }

  /** A Raft client as jraft's node builds it, through the factory the SPI chose (raftkv's). */
  private RpcClient raftkvClient(RaftTlsOptions tls) {
    RaftRpcFactory factory = RpcFactoryHelper.rpcFactory();
    RpcOptions options = withoutBoltReconnect(new RaftTls.TlsNodeOptions(tls));
    RpcClient client = factory.createRpcClient(factory.defaultJRaftClientConfigHelper(options));
    client.init(options);
    clients.add(client);
    return client;
  }

  /** jraft's Bolt client without raftkv's healing, as BoltRaftRpcFactory builds it. */
  private RpcClient unhealedClient() {
    RpcClient client = new BoltRpcClient(new com.alipay.remoting.rpc.RpcClient());
    client.init(withoutBoltReconnect(new RpcOptions()));
    clients.add(client);
    return client;
  }

  /**
   * Bolt's reconnect manager (on in jraft by default) reacts to the poisoning connection's
   * close and, depending on timing, builds a pool with a live connection before or beside the
   * dead one: that is why the race poisons a pool only sometimes. Off here, so that the pool
   * holds the dead connection alone every time; the healing does not rely on it.
   */
  private static <T extends RpcOptions> T withoutBoltReconnect(T options) {
    options.setEnableBoltReconnect(false);
    return options;
  }

  /**
   * Leaves the client's pool for {@code peer} holding one connection that is closed, as the
   * race does: the connection's close is handled while no pool exists (Bolt closes it as
   * "standalone"), then the connection is added to a pool.
   */
  private static void poison(RpcClient client, Endpoint peer) throws Exception {
    com.alipay.remoting.rpc.RpcClient bolt = ((BoltRpcClient) client).getRpcClient();
    ConnectionManager manager = bolt.getConnectionManager();
    Url url = bolt.getAddressParser().parse(peer.toString());
    Connection connection = manager.create(url);
    connection.getChannel().close();
    // Netty runs the inactive handlers (Bolt's remove, which finds no pool and closes the
    // connection as "standalone") in its deregistration task, and marks the channel
    // unregistered only after them.
    await("close handled").atMost(Duration.ofSeconds(10))
        .until(() -> !connection.getChannel().isRegistered());
    assertThat(connection.isFine()).as("connection closed").isFalse();
    manager.add(connection, url.getUniqueKey());
    assertThat(manager.count(url.getUniqueKey())).as("dead connection pooled").isEqualTo(1);
  }

  private static boolean pingAnswered(RpcClient client, Endpoint peer) {
    PingRequest ping = PingRequest.newBuilder().setSendTimestamp(System.currentTimeMillis())
        .build();
    try {
      return ((ErrorResponse) client.invokeSync(peer, ping, 5_000)).getErrorCode() == 0;
    } catch (Exception failed) {
      return false;
    }
  }

  @Test
  void withoutHealingAPoisonedPoolNeverReconnectsAlthoughThePeerIsReachable() throws Exception {
    Endpoint peer = peer(RaftTlsOptions.OFF);
    RpcClient plain = unhealedClient();
    poison(plain, peer);

    // The reproduction is real: jraft's periodic check keeps failing with the peer up.
    await("unhealed check stays failed").during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10)).pollInterval(JRAFT_CHECK_INTERVAL)
        .until(() -> !plain.checkConnection(peer, true));
    assertThat(pingAnswered(plain, peer)).as("unhealed call").isFalse();
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aPoisonedPoolIsDroppedAndTheNextConnectionCheckConnects(boolean tls) throws Exception {
    RaftTlsOptions options = tls ? RaftTlsOptions.mutual(keyStore, Keytool.PASSWORD)
        : RaftTlsOptions.OFF;
    Endpoint peer = peer(options);
    RpcClient client = raftkvClient(options);
    poison(client, peer);

    await("connection check succeeds").atMost(Duration.ofSeconds(10))
        .pollInterval(JRAFT_CHECK_INTERVAL).until(() -> client.checkConnection(peer, true));
    assertThat(pingAnswered(client, peer)).as("call after healing").isTrue();
  }

  @ParameterizedTest(name = "tls={0}")
  @ValueSource(booleans = {false, true})
  void aCallThroughAPoisonedPoolFailsOnceThenTheNextCallConnects(boolean tls) throws Exception {
    RaftTlsOptions options = tls ? RaftTlsOptions.mutual(keyStore, Keytool.PASSWORD)
        : RaftTlsOptions.OFF;
    Endpoint peer = peer(options);
    RpcClient client = raftkvClient(options);
    poison(client, peer);

    assertThat(pingAnswered(client, peer)).as("call through the poisoned pool").isFalse();
    assertThat(pingAnswered(client, peer)).as("next call, after healing").isTrue();
  }

  @Test
  void aPeerThatIsDownCostsOneConnectionAttemptPerCheckAsBefore() throws Exception {
    Endpoint down = new Endpoint("127.0.0.1",
        Integer.parseInt(freeAddress().substring("127.0.0.1:".length())));
    RpcClient client = raftkvClient(RaftTlsOptions.OFF);
    com.alipay.remoting.rpc.RpcClient bolt = ((BoltRpcClient) client).getRpcClient();

    // Bolt's asynchronous creation fails and removes the pool itself; nothing piles up.
    for (int check = 0; check < 5; check++) {
      assertThat(client.checkConnection(down, true)).isFalse();
      await("pool of the down peer dropped").atMost(Duration.ofSeconds(10))
          .until(() -> bolt.getConnectionManager().count(down.toString()) == 0);
    }
    assertThat(bolt.getAllManagedConnections().values().stream().mapToInt(List::size).sum())
        .isZero();
  }
}
