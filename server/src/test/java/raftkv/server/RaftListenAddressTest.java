package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
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
  private final List<TcpForwarder> forwarders = new ArrayList<>();

  @AfterEach
  void stopForwarders() throws IOException {
    for (TcpForwarder forwarder : forwarders) {
      forwarder.close();
    }
  }

  private ServerConfig forwarded(ServerConfig config) {
    String identity = config.self().raftAddress();
    int identityPort = Integer.parseInt(identity.substring(identity.lastIndexOf(':') + 1));
    int listenPort = MiniCluster.freePort();
    try {
      forwarders.add(new TcpForwarder(identityPort, listenPort));
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
    assertThat(forwarders).allMatch(f -> f.accepted() > 0, "carried a connection");

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
