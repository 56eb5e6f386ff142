package raftkv.core;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;

/**
 * Why jraft did not complete a proposal or a ReadIndex, classified by what a caller should
 * do next. Immutable.
 */
public final class RaftFailure extends RuntimeException {
  /** What the caller should do. */
  public enum Kind {
    /** This node is not (or no longer) the leader: go to the leader. For a write the
     * outcome is unknown (a deposed leader's entry may still commit), so retry with the
     * same write id. */
    NOT_LEADER,
    /** jraft's apply queue is full: back off. Nothing was proposed. */
    BUSY,
    /** The node is stopping, starting or broken: try another node. */
    UNAVAILABLE
  }

  private final Kind kind;

  public RaftFailure(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  static RaftFailure from(Status status) {
    RaftError error = status.getRaftError();
    Kind kind;
    if (error == RaftError.EBUSY) {
      kind = Kind.BUSY;
    } else if (error == RaftError.EPERM || error == RaftError.ENEWLEADER
        || error == RaftError.ELEADERREMOVED || error == RaftError.ELEADERCONFLICT) {
      kind = Kind.NOT_LEADER;
    } else {
      kind = Kind.UNAVAILABLE;
    }
    return new RaftFailure(kind, error + ": " + status.getErrorMsg());
  }
}
