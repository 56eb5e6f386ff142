package raftkv.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import raftkv.v1.HistoryCompacted;
import raftkv.v1.NodeRemoved;
import raftkv.v1.NotLeader;
import raftkv.v1.ReplicaLagging;

/**
 * A call failed for good: the server refused it, or no node answered within the call's
 * deadline, or the client was closed.
 *
 * <p>{@link #code()} says which; {@link #serverMessage()} is the description that came with
 * the status (for a deadline, that of the last refusal before time ran out, if there was one).
 * The message is meant for people: it names the code and the description, for a deadline how
 * many attempts were made and at which endpoints, and for a node that could not be reached
 * the address and the cause ("connection refused to 127.0.0.1:7000") rather than gRPC's "io
 * exception".
 *
 * <p>Typed details: {@link #leaderHint()} when a node refused for not being the leader;
 * {@link #replicaLagging()} when a read failed with FAILED_PRECONDITION because the replica
 * had not caught up with what the read needs (under the WAIT or FAIL lag policy, or under
 * FALLBACK once the leader too could not serve it); {@link #historyCompacted()} when a watch
 * asked for changes older than the node keeps.
 *
 * <p>Immutable.
 */
public final class KvException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String serverMessage;
  private final NotLeader leaderHint;
  private final ReplicaLagging replicaLagging;

  KvException(Status.Code code, String serverMessage, NotLeader leaderHint, String message,
      Throwable cause) {
    this(code, serverMessage, leaderHint, null, message, cause);
  }

  private KvException(Status.Code code, String serverMessage, NotLeader leaderHint,
      ReplicaLagging replicaLagging, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.serverMessage = serverMessage == null ? "" : serverMessage;
    this.leaderHint = leaderHint;
    this.replicaLagging = replicaLagging;
  }

  /** The gRPC status code of the failure. */
  public Status.Code code() {
    return code;
  }

  /** The status description as received; empty when there was none. */
  public String serverMessage() {
    return serverMessage;
  }

  /** The leader a node named when it refused the call for not being the leader, if any. */
  public Optional<NotLeader> leaderHint() {
    return Optional.ofNullable(leaderHint);
  }

  /**
   * Why a replica could not serve a read: its node id, the index it had applied, the index
   * the read needed (0 for a bounded-staleness read) and its lag behind the leader. Present on
   * FAILED_PRECONDITION failures of SESSION and BOUNDED_STALENESS reads, and on a
   * DEADLINE_EXCEEDED whose last refusal was such a failure.
   */
  public Optional<ReplicaLagging> replicaLagging() {
    return Optional.ofNullable(replicaLagging);
  }

  /**
   * Why a watch was refused with OUT_OF_RANGE: the node no longer keeps the changes it asked
   * for; {@code compacted_through} is the smallest start index the node still serves.
   */
  public Optional<HistoryCompacted> historyCompacted() {
    if (code != Status.Code.OUT_OF_RANGE) {
      return Optional.empty();
    }
    for (Throwable t = getCause(); t != null; t = t.getCause()) {
      Optional<HistoryCompacted> found = detail(t, HistoryCompacted.class);
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  /** The failure of one gRPC call to {@code endpoint}, naming it if it could not be reached. */
  static KvException of(Throwable failure, String endpoint) {
    if (failure instanceof KvException kv) {
      return kv;
    }
    if (refusedConnection(failure)) {
      return new KvException(Status.Code.UNAVAILABLE, "", null,
          "UNAVAILABLE: " + refusedTo(List.of(endpoint)), failure);
    }
    return of(failure);
  }

  /**
   * Every node the call could go to is one it must not try again: nothing listens at its
   * address, or it was removed from the cluster. Failing now says why; waiting for the deadline
   * would only hide it.
   *
   * @param unusable each such endpoint with the failure that ruled it out, in the order found
   */
  static KvException nowhereToGo(Map<String, Throwable> unusable) {
    List<String> refused = new ArrayList<>();
    List<String> others = new ArrayList<>();
    String serverMessage = "";
    Throwable last = null;
    for (Map.Entry<String, Throwable> e : unusable.entrySet()) {
      last = e.getValue();
      if (refusedConnection(e.getValue())) {
        refused.add(e.getKey());
      } else {
        Status status = Status.fromThrowable(e.getValue());
        serverMessage = status.getDescription() == null ? "" : status.getDescription();
        others.add(serverMessage + " (at " + e.getKey() + ")");
      }
    }
    List<String> reasons = new ArrayList<>();
    if (!refused.isEmpty()) {
      reasons.add(refusedTo(refused));
    }
    reasons.addAll(others);
    String message = reasons.size() == 1 ? reasons.get(0)
        : "no node can serve the call: " + String.join("; ", reasons);
    return new KvException(Status.Code.UNAVAILABLE, serverMessage, null, null,
        "UNAVAILABLE: " + message, last);
  }

  private static String refusedTo(List<String> endpoints) {
    return endpoints.size() == 1
        ? "connection refused to " + endpoints.get(0) + " (nothing listens on that port)"
        : "connection refused to every endpoint: " + String.join(", ", endpoints)
            + " (nothing listens on those ports)";
  }

  /**
   * Whether the call failed because its node refused the TCP connection: nothing listens at
   * the address. gRPC reports that as UNAVAILABLE "io exception" with the socket's exception
   * as the status's cause. A connect timeout is not a refusal: a node cut off by the network
   * may come back.
   */
  static boolean refusedConnection(Throwable failure) {
    Status status = Status.fromThrowable(failure);
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    // Netty's AnnotatedConnectException and the JDK's both extend ConnectException, and both
    // carry the operating system's words for ECONNREFUSED. A depth limit guards against cycles.
    Throwable t = status.getCause();
    for (int depth = 0; t != null && depth < 10; depth++, t = t.getCause()) {
      if (t instanceof ConnectException && t.getMessage() != null
          && t.getMessage().toLowerCase(Locale.ROOT).contains("connection refused")) {
        return true;
      }
    }
    return false;
  }

  /** The NodeRemoved detail of an UNAVAILABLE failure: the node left the cluster for good. */
  static Optional<NodeRemoved> nodeRemoved(Throwable failure) {
    if (Status.fromThrowable(failure).getCode() != Status.Code.UNAVAILABLE) {
      return Optional.empty();
    }
    return detail(failure, NodeRemoved.class);
  }

  /** The failure of one gRPC call, as it came. */
  static KvException of(Throwable failure) {
    if (failure instanceof KvException kv) {
      return kv;
    }
    Status status = Status.fromThrowable(failure);
    String description = status.getDescription();
    return new KvException(status.getCode(), description, notLeader(failure).orElse(null),
        replicaLagging(failure).orElse(null), describe(status), failure);
  }

  /**
   * The call's deadline ran out while it was still being tried.
   *
   * @param lastRefusal the last failure that was not the deadline itself, if any: it says why
   *     the earlier attempts did not succeed
   * @param cause the attempt cut short by the deadline, if one was
   */
  static KvException deadline(Duration timeout, int attempts, Collection<String> endpoints,
      Throwable lastRefusal, Throwable cause) {
    StringBuilder message = new StringBuilder("DEADLINE_EXCEEDED: no answer within ")
        .append(human(timeout)).append(" after ").append(attempts)
        .append(attempts == 1 ? " attempt" : " attempts");
    if (!endpoints.isEmpty()) {
      message.append(" at ").append(String.join(", ", endpoints));
    }
    String description = null;
    NotLeader hint = null;
    ReplicaLagging lagging = null;
    if (lastRefusal != null) {
      Status last = Status.fromThrowable(lastRefusal);
      description = last.getDescription();
      hint = notLeader(lastRefusal).orElse(null);
      lagging = replicaLagging(lastRefusal).orElse(null);
      message.append("; last failure: ").append(describe(last));
    }
    return new KvException(Status.Code.DEADLINE_EXCEEDED, description, hint, lagging,
        message.toString(), cause != null ? cause : lastRefusal);
  }

  static KvException closed() {
    return new KvException(Status.Code.CANCELLED, "", null, "CANCELLED: the client is closed",
        null);
  }

  /** The same failure, rethrown on the caller's thread so that its stack shows the caller. */
  KvException rethrown() {
    return new KvException(code, serverMessage, leaderHint, replicaLagging, getMessage(), this);
  }

  static Optional<NotLeader> notLeader(Throwable failure) {
    return detail(failure, NotLeader.class);
  }

  /** The ReplicaLagging detail of a FAILED_PRECONDITION failure, if it carries one. */
  static Optional<ReplicaLagging> replicaLagging(Throwable failure) {
    if (Status.fromThrowable(failure).getCode() != Status.Code.FAILED_PRECONDITION) {
      return Optional.empty();
    }
    return detail(failure, ReplicaLagging.class);
  }

  private static <T extends com.google.protobuf.Message> Optional<T> detail(Throwable failure,
      Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(failure);
    if (status == null) {
      return Optional.empty();
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(type)) {
        try {
          return Optional.of(detail.unpack(type));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  private static String describe(Status status) {
    if (refusedConnection(status.asRuntimeException())) {
      return "UNAVAILABLE: connection refused";
    }
    String description = status.getDescription();
    if (description == null || description.isEmpty()) {
      return status.getCode().name() + (status.getCause() == null ? ""
          : ": " + status.getCause());
    }
    return status.getCode().name() + ": " + description;
  }

  private static String human(Duration d) {
    long millis = d.toMillis();
    return millis % 1000 == 0 && millis > 0 ? millis / 1000 + "s" : millis + "ms";
  }
}
