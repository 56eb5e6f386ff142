package raftkv.core;

import com.alipay.sofa.jraft.Status;
import com.alipay.sofa.jraft.error.RaftError;

/**
 * Why jraft did not complete a proposal, a ReadIndex or a membership change, classified by
 * what a caller should do next. Immutable.
 *
 * <p>The message is for the client: what happened and what to do, in words that do not
 * depend on jraft or Bolt (their texts name internal classes, such as "Fail to send a RPC
 * request:com.alipay.remoting..." or "Server thread pool busy"). jraft's own status is kept in
 * {@link #detail()} for the server's log.
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
  private final String detail;

  public RaftFailure(Kind kind, String message) {
    this(kind, message, message);
  }

  private RaftFailure(Kind kind, String message, String detail) {
    super(message, null, false, false);
    this.kind = kind;
    this.detail = detail;
  }

  public Kind kind() {
    return kind;
  }

  /** jraft's status (code and text) when the failure came from jraft; else the message. */
  public String detail() {
    return detail;
  }

  /** The failure a jraft status stands for, with a message for the client. */
  public static RaftFailure from(Status status) {
    RaftError error = status.getRaftError();
    String detail = (error == null ? "code " + status.getCode() : error.name()) + ": "
        + status.getErrorMsg();
    if (error == null) {
      return new RaftFailure(Kind.UNAVAILABLE, LEADER_UNREACHABLE, detail);
    }
    return switch (error) {
      case EBUSY -> new RaftFailure(Kind.BUSY, busy(status.getErrorMsg()), detail);
      case EPERM, ENEWLEADER, ELEADERREMOVED, ELEADERCONFLICT, ETRANSFERLEADERSHIP ->
          new RaftFailure(Kind.NOT_LEADER, "this node is not the leader, or stopped leading "
              + "before the request completed", detail);
      // A follower's ReadIndex that the leader did not confirm comes with code -1 (UNKNOWN).
      case UNKNOWN, EINTERNAL, ETIMEDOUT, EAGAIN, EHOSTDOWN, ERAFTTIMEDOUT, ECANCELED, EINTR ->
          new RaftFailure(Kind.UNAVAILABLE, LEADER_UNREACHABLE, detail);
      case ESHUTDOWN, ESTOP, ENODESHUTDOWN -> new RaftFailure(Kind.UNAVAILABLE,
          "this node is stopping; try another node", detail);
      case ESTATEMACHINE -> new RaftFailure(Kind.UNAVAILABLE, "this node's state machine has "
          + "failed and the node needs a restart; try another node", detail);
      case ECATCHUP -> new RaftFailure(Kind.UNAVAILABLE, "the new member did not catch up "
          + "with the leader's log in time; check that it is running and reachable, then retry",
          detail);
      // Refusals of a membership or leadership change: jraft's own words name the peer and
      // the configuration, which is what the operator needs.
      default -> new RaftFailure(Kind.UNAVAILABLE, "the Raft group refused: " + detail, detail);
    };
  }

  /** What jraft's EBUSY texts (1.4.1) mean to a client. */
  private static String busy(String jraft) {
    String text = jraft == null ? "" : jraft;
    if (text.contains("too many tasks") || text.contains("log manager is busy")) {
      return "the leader's apply queue is full";
    }
    if (text.contains("too many read-index requests")) {
      return "this node's queue of linearizable reads is full";
    }
    if (text.contains("transferring leadership")) {
      return "leadership is being handed to another node";
    }
    if (text.contains("configuration")) {
      return "another membership change is under way";
    }
    if (text.contains("snapshot")) {
      return "this node is saving, loading or installing a snapshot";
    }
    return "the node is busy";
  }

  private static final String LEADER_UNREACHABLE = "the leader could not be reached or did not "
      + "confirm its leadership in time (a leader change or a network problem); retry shortly";
}
