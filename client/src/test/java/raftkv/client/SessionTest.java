package raftkv.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import raftkv.token.SessionToken;
import raftkv.v1.Consistency;
import raftkv.v1.GetRequest;
import raftkv.v1.LagPolicy;
import raftkv.v1.PutResponse;
import raftkv.v1.RangeRequest;
import raftkv.v1.ReadOptions;
import raftkv.v1.RequestOp;
import raftkv.v1.TxnRequest;

/** Sessions: a token that only moves forward, carried by every read of the session. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SessionTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private static long index(String token) {
    return SessionToken.parse(token).index();
  }

  @Test
  void aNewSessionHasAnEmptyTokenUntilItsFirstAnswer() {
    cluster.node("l:1").appliedIndex(41);
    KvClient client = cluster.client("l:1");
    Session session = client.newSession();

    assertThat(session.token()).isEmpty();
    PutResponse put = session.blocking().put("k", "v");

    assertThat(session.token()).isEqualTo(put.getSessionToken()).isEqualTo(FakeNode.token(42));
  }

  @Test
  void theTokenMergesWritesAndReadsAndNeverGoesBackwards() {
    FakeNode leader = cluster.node("l:1").appliedIndex(10);
    FakeNode follower = cluster.node("f:2").followerOf("l:1").appliedIndex(5);
    FakeNode learner = cluster.node("r:3").learnerOf("l:1").appliedIndex(5);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "f:2", "r:3"));
    Session session = client.newSession();

    session.blocking().put("k", "v");
    assertThat(index(session.token())).isEqualTo(11);

    // An eventual read from a replica behind the session's index leaves the token alone.
    assertThat(session.blocking().get("k", Consistency.EVENTUAL).getMeta().getAppliedIndex())
        .isEqualTo(5);
    assertThat(index(session.token())).isEqualTo(11);

    session.blocking().delete("k");
    assertThat(index(session.token())).isEqualTo(12);
    session.blocking().txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setPut(RequestOp.Put.newBuilder().setKey(ByteString.copyFromUtf8("t")))).build());
    assertThat(index(session.token())).isEqualTo(13);

    // A replica that has since applied more moves the token forward through a read's meta.
    learner.appliedIndex(20);
    follower.appliedIndex(20);
    session.blocking().get("k");
    assertThat(index(session.token())).isEqualTo(20);
    session.blocking().range(RangeRequest.getDefaultInstance());
    session.blocking().txn(TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder()
        .setGet(RequestOp.Get.newBuilder().setKey(ByteString.copyFromUtf8("t")))).build());
    assertThat(index(session.token())).isEqualTo(20);

    // The leader's next write is at 14, behind what the session has seen: no step back.
    assertThat(session.blocking().put("k", "v").getIndex()).isEqualTo(14);
    assertThat(index(session.token())).isEqualTo(20);
    assertThat(leader.appliedIndex()).isEqualTo(14);
  }

  @Test
  void anAnswerThatArrivesLateDoesNotMoveTheTokenBack() {
    FakeNode leader = cluster.node("l:1");
    KvClient client = cluster.client("l:1");
    Session session = client.newSession();

    CompletableFuture<PutResponse> early = session.async().put("hold-1", "v");
    await().until(() -> leader.holds("hold-1"));
    session.blocking().put("k", "v");
    assertThat(index(session.token())).isEqualTo(2);

    leader.release("hold-1");
    assertThat(early.join().getIndex()).isEqualTo(1);

    assertThat(index(session.token())).isEqualTo(2);
  }

  @Test
  void underConcurrentCallsTheTokenOnlyGrowsAndHoldsEachAnswerByTheTimeItsCallerSeesIt()
      throws InterruptedException {
    FakeNode leader = cluster.node("l:1");
    cluster.node("r:2").learnerOf("l:1").appliedIndex(0);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "r:2"));
    Session session = client.newSession();
    ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    CountDownLatch sampled = new CountDownLatch(1);

    Thread sampler = new Thread(() -> {
      long last = 0;
      while (writing.get()) {
        String token = session.token();
        long now = token.isEmpty() ? 0 : index(token);
        if (now < last) {
          violations.add("token went from " + last + " back to " + now);
        }
        last = now;
        sampled.countDown();
        Thread.yield();
      }
    });
    sampler.start();
    sampled.await();
    List<CompletableFuture<?>> calls = new ArrayList<>();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread writer = new Thread(() -> {
        for (int i = 0; i < 50; i++) {
          CompletableFuture<?> call = session.async().put("k", "v").thenAccept(put -> {
            if (index(session.token()) < put.getIndex()) {
              violations.add("put at " + put.getIndex() + " answered before it was merged");
            }
          });
          // Reads of an eventual replica at 0 hand out tokens behind the session's.
          CompletableFuture<?> read = session.async().get("k", Consistency.EVENTUAL);
          synchronized (calls) {
            calls.add(call);
            calls.add(read);
          }
        }
      });
      writer.start();
      writers.add(writer);
    }
    for (Thread writer : writers) {
      writer.join();
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
    writing.set(false);
    sampler.join();

    assertThat(violations).isEmpty();
    assertThat(leader.appliedIndex()).isEqualTo(200);
    assertThat(index(session.token())).isEqualTo(200);
  }

  @Test
  void aSessionReadIsSentAtSessionWithTheTokenAndTheClientsLagSettings() {
    cluster.node("l:1").appliedIndex(6);
    FakeNode learner = cluster.node("r:2").learnerOf("l:1").appliedIndex(8);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "r:2"));
    Session session = client.newSession();
    String afterWrite = session.blocking().put("k", "v").getSessionToken();

    session.blocking().get("k");
    session.blocking().get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k"))
        .setRead(ReadOptions.newBuilder().setWaitBudgetMs(250).setLagPolicy(LagPolicy.WAIT))
        .build());
    session.async().range(RangeRequest.getDefaultInstance()).join();

    assertThat(learner.readOptions()).hasSize(3);
    ReadOptions plain = learner.readOptions().get(0);
    assertThat(plain.getConsistency()).isEqualTo(Consistency.SESSION);
    assertThat(plain.getSessionToken()).isEqualTo(afterWrite);
    assertThat(plain.getLagPolicy()).isEqualTo(LagPolicy.FALLBACK);
    assertThat(plain.getWaitBudgetMs()).isEqualTo(1000);
    ReadOptions own = learner.readOptions().get(1);
    assertThat(own.getConsistency()).isEqualTo(Consistency.SESSION);
    assertThat(own.getLagPolicy()).isEqualTo(LagPolicy.WAIT);
    assertThat(own.getWaitBudgetMs()).isEqualTo(250);
    // The first read's answer (the learner at 8) moved the token on from the write's 7.
    assertThat(afterWrite).isEqualTo(FakeNode.token(7));
    assertThat(learner.readOptions().get(2).getSessionToken()).isEqualTo(FakeNode.token(8));
  }

  @Test
  void anExplicitLevelInASessionIsRespectedAndItsAnswerStillMerges() {
    FakeNode leader = cluster.node("l:1").appliedIndex(9);
    FakeNode learner = cluster.node("r:2").learnerOf("l:1").appliedIndex(3);
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "r:2"));
    Session session = client.newSession();

    session.blocking().get("k", Consistency.EVENTUAL);
    assertThat(index(session.token())).isEqualTo(3);
    session.blocking().get("k", Consistency.LINEARIZABLE);

    assertThat(learner.readOptions()).singleElement().satisfies(o -> {
      assertThat(o.getConsistency()).isEqualTo(Consistency.EVENTUAL);
      assertThat(o.getSessionToken()).isEmpty();
    });
    assertThat(leader.readOptions()).singleElement().satisfies(
        o -> assertThat(o.getConsistency()).isEqualTo(Consistency.LINEARIZABLE));
    assertThat(index(session.token())).isEqualTo(9);
  }

  @Test
  void theClientsOwnFacetsStayOutsideAnySessionAndReadLinearizablyByDefault() {
    FakeNode leader = cluster.node("l:1");
    FakeNode learner = cluster.node("r:2").learnerOf("l:1");
    KvClient client = FakeCluster.rolesKnown(cluster.client("l:1", "r:2"));
    Session session = client.newSession();

    client.blocking().put("k", "v");
    client.blocking().get("k");
    client.blocking().get(GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build());

    assertThat(session.token()).isEmpty();
    assertThat(learner.received).isEmpty();
    assertThat(leader.readOptions()).extracting(ReadOptions::getConsistency)
        .containsExactly(Consistency.LINEARIZABLE, Consistency.CONSISTENCY_UNSPECIFIED);
  }

  @Test
  void aSessionResumedFromItsTokenByAnotherClientReadsWithThatToken() {
    cluster.node("l:1").appliedIndex(30);
    FakeNode learner = cluster.node("r:2").learnerOf("l:1").appliedIndex(31);
    KvClient writer = cluster.client("l:1", "r:2");
    Session first = writer.newSession();
    first.blocking().put("profile", "new");
    String handedOver = first.token();

    KvClient reader = FakeCluster.rolesKnown(cluster.client("l:1", "r:2"));
    Session second = reader.session(handedOver);

    assertThat(second.token()).isEqualTo(handedOver);
    second.blocking().get("profile");
    assertThat(learner.readOptions()).singleElement().satisfies(o -> {
      assertThat(o.getConsistency()).isEqualTo(Consistency.SESSION);
      assertThat(o.getSessionToken()).isEqualTo(handedOver);
    });
    assertThat(reader.clientId()).isNotEqualTo(writer.clientId());
  }

  @Test
  void aMalformedTokenIsRefusedByClientSessionNamingTheProblem() {
    KvClient client = cluster.client("l:1");

    assertThatThrownBy(() -> client.session("rkv1.not-a-token"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed session token 'rkv1.not-a-token'")
        .hasMessageContaining("38 characters");
    assertThatThrownBy(() -> client.session("rkv1.0123456789abcdef.zzzzzzzzzzzzzzzz"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed session token");
    assertThatThrownBy(() -> client.session(null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(client.session("").token()).as("an empty token is a new session").isEmpty();
  }

  @Test
  void aSessionFacetWithAnotherDeadlineStaysInTheSession() {
    cluster.node("l:1");
    KvClient client = cluster.client("l:1");
    Session session = client.newSession();

    session.blocking().withDeadline(java.time.Duration.ofSeconds(1)).put("k", "v");
    session.async().withDeadline(java.time.Duration.ofSeconds(1)).put("k", "v").join();

    assertThat(index(session.token())).isEqualTo(2);
  }
}
