package raftkv.client;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import raftkv.v1.Consistency;
import raftkv.v1.TxnRequest;

/**
 * Decides which node each attempt of a call goes to. This is the one place that knows about
 * node roles: read replica selection (learners, session tokens, lag) belongs here, behind
 * {@link Route}, and the retry loop stays as it is.
 *
 * <p>Thread-safe. The believed leader is shared by all calls: the first call that learns of a
 * new leader (from a hint) or of a dead one (from a failure) moves every later call.
 */
final class Router {
  /** Where a call may be served. */
  enum Route {
    /** Only the leader serves it: writes and linearizable reads. */
    LEADER,
    /** Any node serves it at once: eventual reads. */
    ANY
  }

  private static final Pattern HOST_PORT = Pattern.compile("[^\\s,]+:\\d{1,5}");

  private final List<String> endpoints;
  private final AtomicReference<String> leader;
  private final AtomicInteger rotation = new AtomicInteger();

  /** @param endpoints non-empty, without duplicates */
  Router(List<String> endpoints) {
    this.endpoints = List.copyOf(endpoints);
    this.leader = new AtomicReference<>(this.endpoints.get(0));
  }

  /** Whether {@code endpoint} looks like "host:port", the only form endpoints and hints take. */
  static boolean isHostPort(String endpoint) {
    return HOST_PORT.matcher(endpoint).matches();
  }

  static Route forRead(Consistency level) {
    // UNSPECIFIED means LINEARIZABLE on the server; an unknown level goes to the leader, which
    // refuses it with a message better than anything the client could say.
    return level == Consistency.EVENTUAL ? Route.ANY : Route.LEADER;
  }

  static boolean writes(TxnRequest txn) {
    return txn.getSuccessList().stream().anyMatch(Router::writes)
        || txn.getFailureList().stream().anyMatch(Router::writes);
  }

  private static boolean writes(raftkv.v1.RequestOp op) {
    return op.hasPut() || op.hasDelete();
  }

  List<String> endpoints() {
    return endpoints;
  }

  String believedLeader() {
    return leader.get();
  }

  /** The node a call's first attempt goes to. */
  String first(Route route) {
    return switch (route) {
      case LEADER -> leader.get();
      // One rotation shared by all calls spreads reads evenly; with one endpoint it pins them.
      case ANY -> endpoints.get(Math.floorMod(rotation.getAndIncrement(), endpoints.size()));
    };
  }

  /**
   * The node to try after {@code failed} could not serve a call.
   *
   * @param hintedLeader the leader's address named by {@code failed}, or null if it named none
   */
  String afterFailure(Route route, String failed, String hintedLeader) {
    if (hintedLeader != null) {
      leader.set(hintedLeader);
    } else if (route == Route.LEADER) {
      // Only the first call to see the believed leader fail moves the belief on; a call that
      // fails later on the same node follows it rather than skipping one more node.
      leader.compareAndSet(failed, successor(failed));
    }
    return switch (route) {
      case LEADER -> leader.get();
      case ANY -> successor(failed);
    };
  }

  private String successor(String endpoint) {
    int i = endpoints.indexOf(endpoint);
    // A learned leader outside the list that went away: start over from the list.
    return i < 0 ? endpoints.get(0) : endpoints.get((i + 1) % endpoints.size());
  }
}
