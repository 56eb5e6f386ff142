package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.v1.AdminGrpc;
import raftkv.v1.Consistency;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;
import raftkv.v1.KVGrpc;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;
import raftkv.v1.ReadOptions;
import raftkv.v1.StatusRequest;
import raftkv.v1.StatusResponse;
import raftkv.v1.TxnRequest;
import raftkv.v1.TxnResponse;
import raftkv.v1.WriteId;

/**
 * The per-attempt timeout: an attempt at a node that accepts calls but never answers them (a
 * paused or cut-off node) is given up after the attempt timeout plus the wait budget, and the
 * call moves to another node within its own deadline, a write keeping its write id.
 */
class AttemptTimeoutTest {
  private static final String HUNG = "h:1";
  /** Long enough for a hung attempt, a backoff and a good one, however busy the machine. */
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  private static final Duration ATTEMPT_TIMEOUT = Duration.ofMillis(300);
  private static final Duration WAIT_BUDGET = Duration.ofMillis(50);

  private final FakeCluster cluster = new FakeCluster();
  private final List<KvClient> clients = new CopyOnWriteArrayList<>();
  private HungNode hung;

  @AfterEach
  void tearDown() {
    clients.forEach(KvClient::close);
    if (hung != null) {
      hung.stop();
    }
    cluster.close();
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aWriteStuckOnAHungNodeMovesOnAndSucceedsAtTheLeaderUnderTheSameWriteId()
      throws Exception {
    hung = new HungNode();
    FakeNode leader = cluster.node("l:2");
    KvClient client = client(ATTEMPT_TIMEOUT, HUNG, "l:2");

    CompletableFuture<PutResponse> call = client.async().withDeadline(DEADLINE).put("k", "v");

    // Success is only possible before the call's deadline: after it the call fails.
    PutResponse response = call.get(DEADLINE.toMillis() + 2000, TimeUnit.MILLISECONDS);
    assertThat(response.getIndex()).isEqualTo(1);
    assertThat(hung.writeIds).hasSize(1);
    WriteId first = hung.writeIds.get(0);
    assertThat(first.getClientId()).isEqualTo(client.clientId());
    assertThat(first.getSequence()).isEqualTo(1);
    assertThat(leader.writeIds).as("write ids at the leader").containsExactly(first);
    assertThat(leader.count(PutRequest.class)).isEqualTo(1);
    assertThat(client.dispatcher().router().believedLeader()).isEqualTo("l:2");
    // The abandoned attempt does not linger on the hung node.
    await().atMost(Duration.ofSeconds(3)).until(() -> hung.cancelled.get() == 1);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void withoutAnAttemptTimeoutTheWriteWaitsOnTheHungNodeUntilTheCallDeadline()
      throws IOException {
    hung = new HungNode();
    FakeNode leader = cluster.node("l:2");
    KvClient client = client(Duration.ZERO, HUNG, "l:2");
    assertThat(client.dispatcher().attemptTimeoutNanos()).isZero();

    CompletableFuture<PutResponse> call = client.async().withDeadline(DEADLINE).put("k", "v");

    assertThatThrownBy(() -> call.get(DEADLINE.toMillis() + 2000, TimeUnit.MILLISECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(KvException.class, e -> {
          assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
          // Only said once the call's own deadline has expired.
          assertThat(e.getMessage())
              .startsWith("DEADLINE_EXCEEDED: no answer within 3s after 1 attempt at h:1");
        });
    assertThat(hung.received).hasSize(1);
    assertThat(leader.received).isEmpty();
    assertThat(client.dispatcher().router().believedLeader()).isEqualTo(HUNG);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aLinearizableReadStuckOnAHungNodeMovesOnAndFollowsTheHintToTheLeader()
      throws Exception {
    hung = new HungNode();
    FakeNode follower = cluster.node("f:2").followerOf("l:3");
    FakeNode leader = cluster.node("l:3");
    KvClient client = client(ATTEMPT_TIMEOUT, HUNG, "f:2", "l:3");
    GetRequest read = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setRead(ReadOptions.newBuilder().setConsistency(Consistency.LINEARIZABLE)).build();

    CompletableFuture<GetResponse> call = client.async().withDeadline(DEADLINE).get(read);

    GetResponse response = call.get(DEADLINE.toMillis() + 2000, TimeUnit.MILLISECONDS);
    assertThat(response.getMeta().getServedBy()).isEqualTo("id-l:3");
    assertThat(response.getKv().getValue().toStringUtf8()).isEqualTo("from l:3");
    assertThat(hung.received).singleElement().isInstanceOfSatisfying(GetRequest.class,
        g -> assertThat(g.getRead().getConsistency()).isEqualTo(Consistency.LINEARIZABLE));
    assertThat(follower.count(GetRequest.class)).isEqualTo(1);
    assertThat(leader.count(GetRequest.class)).isEqualTo(1);
    assertThat(leader.readOptions()).extracting(ReadOptions::getConsistency)
        .containsExactly(Consistency.LINEARIZABLE);
    assertThat(client.dispatcher().router().believedLeader()).isEqualTo("l:3");
    await().atMost(Duration.ofSeconds(3)).until(() -> hung.cancelled.get() == 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT-0.001S", "PT-2S", "PT0.000000001S", "PT0.001S", "PT0.099S",
      "PT0.099999999S"})
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void attemptTimeoutsThatAreNegativeOrUnder100MsAreRefusedNamingTheLimit(String given) {
    Duration timeout = Duration.parse(given);
    KvClient.Builder builder = KvClient.builder();

    assertThatThrownBy(() -> builder.attemptTimeout(timeout))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 100 ms")
        .hasMessageContaining("0 (none)")
        .hasMessageEndingWith("got " + timeout);
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.SECONDS)
  void zeroAndTimeoutsFrom100MsAreAcceptedAndTheWaitBudgetIsAddedToThem() {
    assertThatThrownBy(() -> KvClient.builder().attemptTimeout(null))
        .isInstanceOf(NullPointerException.class).hasMessage("timeout");
    assertThatCode(() -> KvClient.builder().attemptTimeout(Duration.ZERO)
        .attemptTimeout(Duration.ofMillis(100)).attemptTimeout(Duration.ofMinutes(5)))
        .doesNotThrowAnyException();

    KvClient limited = cluster.client(FakeCluster.builder().attemptTimeout(Duration.ofMillis(100))
        .waitBudget(Duration.ofMillis(250)), "a:1");
    KvClient unlimited = cluster.client(FakeCluster.builder().attemptTimeout(Duration.ZERO), "a:1");
    KvClient byDefault = cluster.client(FakeCluster.builder(), "a:1");

    assertThat(limited.dispatcher().attemptTimeoutNanos())
        .isEqualTo(Duration.ofMillis(350).toNanos());
    assertThat(unlimited.dispatcher().attemptTimeoutNanos()).isZero();
    assertThat(byDefault.dispatcher().attemptTimeoutNanos())
        .isEqualTo(KvClient.DEFAULT_ATTEMPT_TIMEOUT.plus(KvClient.DEFAULT_WAIT_BUDGET).toNanos());
  }

  /**
   * A client of the fakes in which {@link #HUNG} is served by {@link #hung}; it never polls
   * status, so writes and linearizable reads start at the first endpoint.
   */
  private KvClient client(Duration attemptTimeout, String... endpoints) {
    ChannelFactory fakes = cluster.channelFactory();
    ChannelFactory factory =
        endpoint -> endpoint.equals(HUNG) ? hung.channel() : fakes.create(endpoint);
    KvClient client = FakeCluster.builder().statusInterval(Duration.ZERO)
        .attemptTimeout(attemptTimeout).waitBudget(WAIT_BUDGET)
        .endpoints(List.of(endpoints)).channelFactory(factory).build();
    clients.add(client);
    return client;
  }

  /**
   * A node that takes every call (KV and Admin) and never answers it, as a paused process or
   * one behind a partition that still holds its connections does. Records the KV requests and
   * their write ids, and counts the calls the client gave up on.
   */
  private static final class HungNode {
    final List<Object> received = new CopyOnWriteArrayList<>();
    final List<WriteId> writeIds = new CopyOnWriteArrayList<>();
    final AtomicInteger cancelled = new AtomicInteger();
    private final String serverName = "hung-" + UUID.randomUUID();
    private final Server server;

    HungNode() throws IOException {
      server = InProcessServerBuilder.forName(serverName).directExecutor()
          .addService(new Kv()).addService(new Admin()).build().start();
    }

    ManagedChannel channel() {
      return InProcessChannelBuilder.forName(serverName).build();
    }

    void stop() {
      server.shutdownNow();
    }

    private void hang(Object request, WriteId id, StreamObserver<?> out) {
      received.add(request);
      if (id != null) {
        writeIds.add(id);
      }
      ((ServerCallStreamObserver<?>) out).setOnCancelHandler(cancelled::incrementAndGet);
    }

    private final class Kv extends KVGrpc.KVImplBase {
      @Override
      public void put(PutRequest request, StreamObserver<PutResponse> out) {
        hang(request, request.hasWriteId() ? request.getWriteId() : null, out);
      }

      @Override
      public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
        hang(request, request.hasWriteId() ? request.getWriteId() : null, out);
      }

      @Override
      public void get(GetRequest request, StreamObserver<GetResponse> out) {
        hang(request, null, out);
      }

      @Override
      public void range(RangeRequest request, StreamObserver<RangeResponse> out) {
        hang(request, null, out);
      }

      @Override
      public void txn(TxnRequest request, StreamObserver<TxnResponse> out) {
        hang(request, request.hasWriteId() ? request.getWriteId() : null, out);
      }
    }

    private final class Admin extends AdminGrpc.AdminImplBase {
      @Override
      public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
        // Never answered either; not counted, as the client may ask in the background.
      }
    }
  }
}
