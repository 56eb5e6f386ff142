package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** jraft's failures, classified by what the caller should do next. */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RaftFailureTest {
  @Test
  void aFullApplyQueueIsBusyNotAnOutage() {
    assertThat(RaftFailure.from(new Status(RaftError.EBUSY, "Node is busy, has too many tasks")).kind())
        .isEqualTo(RaftFailure.Kind.BUSY);
  }

  @Test
  void aDeposedOrNonLeaderNodeSendsTheCallerToTheLeader() {
    for (RaftError e : new RaftError[] {RaftError.EPERM, RaftError.ENEWLEADER, RaftError.ELEADERREMOVED}) {
      assertThat(RaftFailure.from(new Status(e, "x")).kind()).as("%s", e).isEqualTo(RaftFailure.Kind.NOT_LEADER);
    }
  }

  @Test
  void aStoppingNodeIsUnavailable() {
    assertThat(RaftFailure.from(new Status(RaftError.ESHUTDOWN, "x")).kind())
        .isEqualTo(RaftFailure.Kind.UNAVAILABLE);
  }
}
