package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
    RaftFailure busy = new RaftFailure(RaftFailure.Kind.BUSY, "EBUSY: Node is busy, has too many tasks");
    io.grpc.Status status = errors.toStatus(new CompletionException(busy)).getStatus();
    assertThat(status.getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("apply queue is full").contains("retry after a backoff");
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
