package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.testkit.MiniCluster;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.PutResponse;
import raftkv.v1.StatusResponse;

/**
 * Raft identities that are host names and are not where the nodes listen: each identity
 * port is a forwarder to the node's listen port, as the chaos tool's fault proxies are.
 * Every Raft message goes through a forwarder, since nothing else listens on an identity.
 *
 * <p>In-process, every node resolves "localhost" alike. Per-node resolution of one name to
 * different proxies needs a hosts file given to each JVM at start
 * ({@code -Djdk.net.hosts.file}), so it is left to process-level tests.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftListenAddressTest extends ClusterPerTest {
  /** Forwarder in front of each node's Raft identity, by node id. */
  private final Map<String, TcpForwarder> forwarders = new ConcurrentHashMap<>();

  @AfterEach
  void stopForwarders() throws IOException {
    for (TcpForwarder forwarder : forwarders.values()) {
      forwarder.close();
    }
  }

  private ServerConfig forwarded(ServerConfig config) {
    String identity = config.self().raftAddress();
    int identityPort = Integer.parseInt(identity.substring(identity.lastIndexOf(':') + 1));
    int listenPort = MiniCluster.freePort();
    try {
      forwarders.put(config.nodeId(), new TcpForwarder(identityPort, listenPort));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return config.withRaftListenAddress("127.0.0.1:" + listenPort);
  }

  @Test
  void threeVotersNamedByHostNameAndReachedThroughForwardersElectALeaderAndCommitAWrite() {
    cluster = MiniCluster.start(3, 0, dir, "localhost", this::forwarded);
    String leader = cluster.awaitLeader();

    PutResponse put = stubs.kv(cluster.grpcAddress(leader))
        .put(LeaderRedirectTest.put("k", "through the forwarders"));
    GetResponse read = stubs.kv(cluster.grpcAddress(leader))
        .get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build());

    assertThat(put.getIndex()).isPositive();
    assertThat(read.getKv().getValue().toStringUtf8()).isEqualTo("through the forwarders");
    cluster.awaitConverged();
    // The leader dials every follower to replicate. Nobody need dial the leader: a node that
    // wins the first election was never asked for a vote, so its forwarder may stay unused.
    for (String id : cluster.followers()) {
      assertThat(forwarders.get(id).accepted())
          .as("connections through the forwarder in front of follower %s", id)
          .isPositive();
    }

    // Host-name identities map back to members: leader hints and Status name the leader.
    String follower = cluster.followers().get(0);
    StatusResponse status = stubs.admin(cluster.grpcAddress(follower))
        .status(raftkv.v1.StatusRequest.getDefaultInstance());
    assertThat(status.getRaftAddress()).startsWith("localhost:");
    assertThat(status.getLeaderId()).isEqualTo(leader);
    assertThat(status.getLeaderGrpcAddress()).isEqualTo(cluster.grpcAddress(leader));
    assertThat(status.getVotersList()).extracting(raftkv.v1.Member::getId)
        .containsExactly("n1", "n2", "n3");
  }
}
