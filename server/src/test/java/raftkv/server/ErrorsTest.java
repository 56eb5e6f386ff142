package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import io.grpc.Status.Code;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.rocksdb.RocksDBException;
import raftkv.core.RaftFailure;
import raftkv.v1.internal.RangeCursor;

/** The one registry from failures to the status codes clients act on (docs/design.md, Errors). */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ErrorsTest {
  // Only notLeader() consults the node; these cases never reach it.
  private final Errors errors = new Errors(null, new Members(java.util.List.of()));

  @Test
  void aFullApplyQueueFailsFastWithResourceExhaustedSayingToBackOff() {
    RaftFailure busy = RaftFailure.from(new Status(RaftError.EBUSY, "Node is busy, has too many tasks"));
    io.grpc.Status status = errors.toStatus(new CompletionException(busy)).getStatus();
    assertThat(status.getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("apply queue is full").contains("retry after a backoff");
  }

  /** Texts jraft and Bolt produced for clients when a follower could not reach the leader. */
  @ParameterizedTest
  @MethodSource("transportFailures")
  void aLeaderThatCannotBeReachedIsReportedInUserTermsWithoutJraftInternals(Status jraft) {
    io.grpc.Status status = errors.toStatus(RaftFailure.from(jraft)).getStatus();

    assertThat(status.getCode()).isEqualTo(Code.UNAVAILABLE);
    assertThat(status.getDescription())
        .isEqualTo("the leader could not be reached or did not confirm its leadership in time "
            + "(a leader change or a network problem); retry shortly")
        .doesNotContain("com.alipay").doesNotContain("RPC").doesNotContain("thread pool");
  }

  static Stream<Status> transportFailures() {
    return Stream.of(
        new Status(RaftError.EINTERNAL, "Fail to send a RPC request:com.alipay.remoting.exception."
            + "RemotingException: Check connection failed for address: Origin url [10.0.0.2:7001],"
            + " maybe write overflow!"),
        new Status(RaftError.EINTERNAL, "RPC exception:Server thread pool busy when process "
            + "request com.alipay.sofa.jraft.rpc.RpcRequests$ReadIndexRequest"),
        new Status(RaftError.ETIMEDOUT, "RPC exception:Invoke timeout when invoke with callback."
            + "The address is 10.0.0.2:7001"),
        new Status(-1, "Fail to run ReadIndex task, maybe the leader stepped down."));
  }

  @Test
  void aStoppingNodeAndADeposedLeaderSayWhatToDo() {
    assertThat(errors.toStatus(RaftFailure.from(new Status(RaftError.ESHUTDOWN, "Raft node is "
        + "going to quit."))).getStatus().getDescription())
        .isEqualTo("this node is stopping; try another node");
    RaftFailure deposed = RaftFailure.from(new Status(RaftError.EPERM, "Leader stepped down"));
    assertThat(deposed.kind()).isEqualTo(RaftFailure.Kind.NOT_LEADER);
    assertThat(deposed.detail()).isEqualTo("EPERM: Leader stepped down");
  }

  @Test
  void aRemovedNodeSaysSoWithADetailThatTellsClientsNotToAskItAgain() {
    Errors named = new Errors(null, new Members(java.util.List.of()), "l9", null);
    com.google.rpc.Status status = io.grpc.protobuf.StatusProto.fromThrowable(
        named.toStatus(new CompletionException(new raftkv.reads.RemovedFromCluster())));

    assertThat(status.getCode()).isEqualTo(Code.UNAVAILABLE.value());
    assertThat(status.getMessage()).startsWith("node l9: this node was removed from the cluster");
    assertThat(status.getDetailsList()).singleElement()
        .satisfies(d -> assertThat(d.unpack(raftkv.v1.NodeRemoved.class).getNodeId())
            .isEqualTo("l9"));
  }

  @Test
  void invalidRequestsStorageFailuresAndUnavailableNodesMapToTheirCodes() {
    assertThat(errors.toStatus(new InvalidRequest("key is empty")).getStatus().getCode())
        .isEqualTo(Code.INVALID_ARGUMENT);
    assertThat(errors.toStatus(new CompletionException(new RocksDBException("disk"))).getStatus().getCode())
        .isEqualTo(Code.INTERNAL);
    assertThat(errors.toStatus(new RaftFailure(RaftFailure.Kind.UNAVAILABLE, "stopping")).getStatus().getCode())
        .isEqualTo(Code.UNAVAILABLE);
    assertThat(Errors.rejected("seq 3 already acknowledged").getStatus().getCode())
        .isEqualTo(Code.FAILED_PRECONDITION);
  }

  @Test
  void aPrefixRangeEndsAtTheNextPrefixAndAnAllOnesPrefixIsUnbounded() {
    assertThat(RangeCursors.prefixEnd(ByteString.copyFromUtf8("ab"))).isEqualTo(ByteString.copyFromUtf8("ac"));
    assertThat(RangeCursors.prefixEnd(ByteString.copyFrom(new byte[] {'a', (byte) 0xff})))
        .isEqualTo(ByteString.copyFromUtf8("b"));
    assertThat(RangeCursors.prefixEnd(ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff})))
        .isEqualTo(ByteString.EMPTY);
  }

  @Test
  void aContinuationTokenRoundTripsAndATamperedOneIsRefused() {
    String token = RangeCursors.encode("k5".getBytes(), ByteString.copyFromUtf8("z"));
    RangeCursor cursor = RangeCursors.decode(token);
    assertThat(cursor.getNextStart().toStringUtf8()).isEqualTo("k5");
    assertThat(cursor.getEnd().toStringUtf8()).isEqualTo("z");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RangeCursors.decode("%%%"))
        .isInstanceOf(InvalidRequest.class).hasMessageContaining("continuation is not a token");
  }
}
