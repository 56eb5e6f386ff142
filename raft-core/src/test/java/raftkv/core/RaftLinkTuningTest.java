package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import com.alipay.sofa.jraft.option.NodeOptions;
import com.alipay.sofa.jraft.rpc.InvokeCallback;
import com.alipay.sofa.jraft.rpc.RaftRpcFactory;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.impl.BoltRpcClient;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A command at the API's limit must not make a node's Raft link to a peer refuse the next RPC
 * (a heartbeat, the next batch) while it drains: with jraft's 512 KiB write-buffer mark, one
 * ~2 MiB AppendEntries did, which reset replication and let the leader's lease lapse.
 *
 * <p>The peer here accepts the connection and never reads, as a busy follower does for a
 * while, so what the kernel does not buffer stays in the link's write buffer: deterministic,
 * whatever the load.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RaftLinkTuningTest {
  /** The AppendEntries a 1.5 MiB command (a request at the default limits) can make. */
  private static final int AT_DEFAULT_LIMIT = RaftLinkTuning.MAX_BODY_BYTES + (3 << 19);
  /** The largest AppendEntries: a batch just under the body size plus the largest command. */
  private static final int LARGEST =
      RaftLinkTuning.MAX_BODY_BYTES + RaftLinkTuning.MAX_COMMAND_BYTES;

  private ServerSocket stalledPeer;
  private final Queue<Socket> accepted = new ConcurrentLinkedQueue<>();
  private RpcClient client;
  private Endpoint peer;

  @BeforeEach
  void start() throws IOException {
    stalledPeer = new ServerSocket();
    // Set before bind, so accepted sockets inherit it: the kernel buffers little of what the
    // node sends, and the rest waits in the link's write buffer.
    stalledPeer.setReceiveBufferSize(8 << 10);
    stalledPeer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread acceptor = new Thread(() -> {
      try {
        while (true) {
          accepted.add(stalledPeer.accept());
        }
      } catch (IOException closed) {
        // stop() closed the server socket.
      }
    }, "stalled-peer");
    acceptor.setDaemon(true);
    acceptor.start();
    peer = new Endpoint("127.0.0.1", stalledPeer.getLocalPort());
    // The client jraft builds for a node's replicators: our factory, a node's options.
    RaftRpcFactory factory = RpcFactoryHelper.rpcFactory();
    NodeOptions options = new NodeOptions();
    client = factory.createRpcClient(factory.defaultJRaftClientConfigHelper(options));
    client.init(options);
  }

  @AfterEach
  void stop() throws IOException {
    client.shutdown();
    stalledPeer.close();
    for (Socket s : accepted) {
      s.close();
    }
  }

  @Test
  void appendEntriesAtTheDefaultRequestLimitLeaveTheLinkTakingTheNextRpc() throws Exception {
    // Four: the kernel alone may buffer up to ~4 MiB (tcp_wmem autotuning) of what is sent.
    send(AT_DEFAULT_LIMIT, 4);

    Channel link = awaitStuck(2L << 20);

    assertThat(link.isWritable()).as("the link to the peer takes RPCs").isTrue();
    assertThat(client.checkConnection(peer)).as("jraft's connection check (before every send)")
        .isTrue();
    assertThatCode(() -> send(64, 1)).as("a heartbeat-sized RPC").doesNotThrowAnyException();
  }

  @Test
  void aFullPipelineOfTheLargestEntriesStillLeavesTheLinkTakingRpcs() throws Exception {
    send(LARGEST, RaftLinkTuning.PIPELINE_DEPTH);

    Channel link = awaitStuck((long) LARGEST * (RaftLinkTuning.PIPELINE_DEPTH - 1));

    assertThat(link.isWritable()).isTrue();
    assertThat(RaftLinkTuning.maxInFlightBytes())
        .isLessThan(RaftLinkTuning.WRITE_BUFFER_HIGH_WATER_MARK);
    assertThatCode(() -> send(64, 1)).doesNotThrowAnyException();
  }

  /** Sends {@code count} requests of {@code bytes} bytes, as replicators do, without waiting. */
  private void send(int bytes, int count) throws Exception {
    byte[] body = new byte[bytes];
    InvokeCallback ignored = (result, err) -> { };
    for (int i = 0; i < count; i++) {
      client.invokeAsync(peer, body, null, ignored, 60_000);
    }
  }

  /** The link, once at least {@code bytes} wait in its write buffer (encoded, unsent). */
  private Channel awaitStuck(long bytes) throws Exception {
    Channel channel = ((BoltRpcClient) client).getRpcClient()
        .getConnection(peer.toString(), 5_000).getChannel();
    await("at least " + bytes + " bytes waiting to be sent to the stalled peer")
        .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
        .until(() -> channel.unsafe().outboundBuffer() != null
            && channel.unsafe().outboundBuffer().totalPendingWriteBytes() >= bytes);
    return channel;
  }
}
