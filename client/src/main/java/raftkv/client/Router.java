package raftkv.client;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import raftkv.v1.Consistency;
import raftkv.v1.LagPolicy;
import raftkv.v1.ReadMeta;
import raftkv.v1.ReplicaLagging;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;
import raftkv.v1.TxnRequest;

/**
 * Decides which node each attempt of a call goes to; the only place that knows about node
 * roles and indexes. The retry loop ({@link RetryingCall}) asks it where to go first and where
 * to go after each failure, and does what it says.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>{@link Route#LEADER} (writes, LINEARIZABLE reads): the believed leader, initially the
 *       first endpoint, moved by NotLeader hints and by failures of the believed leader only.
 *   <li>{@link Route#REPLICA} (SESSION, BOUNDED_STALENESS, EVENTUAL reads): the replica tiers of
 *       the {@link ReadPreference} (learners and followers as the last Status poll reported
 *       them; nodes whose role is unknown or that just failed are left out), then the leader
 *       (the node reporting LEADER with the highest term, else the believed leader). A read
 *       goes to the first tier with a node it may use, rotating within the tier. A SESSION read
 *       first looks, tier by tier, for a replica already known to have applied its token's
 *       index, so that it need not wait; failing that it takes the first tier as usual. With
 *       one endpoint, or before any role is known, the tiers are the endpoints as configured.
 *   <li>A lagging refusal (ReplicaLagging) of a FALLBACK read moves it to the next node of
 *       the same order that has not refused it, ending with the leader; under WAIT and FAIL it
 *       is final.
 * </ul>
 *
 * <p>What it knows of each endpoint (node id, role, term, last known applied index) comes from
 * Admin.Status polls ({@link #observeStatus}), from ReadMeta of read responses, from write
 * responses and from lagging refusals. Applied indexes only grow here while the node id
 * stays the same.
 *
 * <p>Thread-safe. The knowledge and the believed leader are shared by all calls; a {@link
 * ReadPlan} belongs to one call.
 */
final class Router {
  /** Where a call may be served. */
  enum Route {
    /** Only the leader serves it: writes and linearizable reads. */
    LEADER,
    /** A replica may serve it: SESSION, BOUNDED_STALENESS and EVENTUAL reads. */
    REPLICA
  }

  /**
   * What one replica-served read needs, and the nodes that refused it as lagging. Belongs to
   * one call, whose attempts use it one after another (each started by the end of the one
   * before), so it needs no lock of its own.
   */
  static final class ReadPlan {
    private final Consistency level;
    private final long neededIndex;
    private final LagPolicy policy;
    private final Set<String> refused = new HashSet<>();

    /**
     * @param neededIndex the session token's index for SESSION, else 0
     * @param policy the policy the request carries (defaults already applied)
     */
    ReadPlan(Consistency level, long neededIndex, LagPolicy policy) {
      this.level = Objects.requireNonNull(level, "level");
      this.neededIndex = neededIndex;
      this.policy = Objects.requireNonNull(policy, "policy");
    }

    Consistency level() {
      return level;
    }

    long neededIndex() {
      return neededIndex;
    }

    LagPolicy policy() {
      return policy;
    }

    /** Whether {@code endpoint} already refused this read as lagging. */
    boolean refusedBy(String endpoint) {
      return refused.contains(endpoint);
    }
  }

  /**
   * What the client knows of the node at one endpoint. Immutable.
   *
   * @param nodeId empty until a Status answer names it
   * @param role {@link Role#ROLE_UNSPECIFIED} when unknown, or when the node just failed
   */
  record NodeView(String nodeId, Role role, long term, long appliedIndex) {
    boolean serves() {
      return role == Role.LEADER || role == Role.FOLLOWER || role == Role.LEARNER;
    }

    NodeView withRole(Role newRole) {
      return new NodeView(nodeId, newRole, term, appliedIndex);
    }

    NodeView withApplied(long index) {
      return index <= appliedIndex ? this : new NodeView(nodeId, role, term, index);
    }
  }

  private static final Pattern HOST_PORT = Pattern.compile("[^\\s,]+:\\d{1,5}");
  private static final Runnable NOTHING = () -> { };

  private final List<String> endpoints;
  private final ReadPreference preference;
  private final AtomicReference<String> leader;
  private final AtomicInteger rotation = new AtomicInteger();
  private final Map<String, NodeView> views = new ConcurrentHashMap<>();
  private final Map<String, String> endpointOfNode = new ConcurrentHashMap<>();
  private volatile Runnable onStale = NOTHING;

  /** A router with the default preference; @param endpoints non-empty, without duplicates */
  Router(List<String> endpoints) {
    this(endpoints, ReadPreference.LEARNERS_FIRST);
  }

  /** @param endpoints non-empty, without duplicates */
  Router(List<String> endpoints, ReadPreference preference) {
    this.endpoints = List.copyOf(endpoints);
    this.preference = Objects.requireNonNull(preference, "preference");
    this.leader = new AtomicReference<>(this.endpoints.get(0));
  }

  /**
   * Runs {@code action} whenever a failure suggests the known roles are out of date; it must
   * not block (the poller only schedules a poll).
   */
  void onStale(Runnable action) {
    this.onStale = Objects.requireNonNull(action, "action");
  }

  /** Whether {@code endpoint} looks like "host:port", the only form endpoints and hints take. */
  static boolean isHostPort(String endpoint) {
    return HOST_PORT.matcher(endpoint).matches();
  }

  static Route forRead(Consistency level) {
    // UNSPECIFIED means LINEARIZABLE on the server; an unknown level goes to the leader, which
    // refuses it with a message better than anything the client could say.
    return switch (level) {
      case SESSION, BOUNDED_STALENESS, EVENTUAL -> Route.REPLICA;
      default -> Route.LEADER;
    };
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

  ReadPreference preference() {
    return preference;
  }

  /** With a single endpoint every replica-served read goes there, and no roles are needed. */
  boolean pinned() {
    return endpoints.size() == 1;
  }

  String believedLeader() {
    return leader.get();
  }

  /** What is known of {@code endpoint}, if anything. */
  Optional<NodeView> view(String endpoint) {
    return Optional.ofNullable(views.get(endpoint));
  }

  /**
   * The node a replica-served read falls back to last: the node that reported LEADER in the
   * highest term, else the believed leader.
   */
  String readLeader() {
    String best = null;
    long bestTerm = -1;
    for (String endpoint : endpoints) {
      NodeView v = views.get(endpoint);
      if (v != null && v.role() == Role.LEADER && v.term() > bestTerm) {
        best = endpoint;
        bestTerm = v.term();
      }
    }
    return best != null ? best : leader.get();
  }

  /** The node a call's first attempt goes to; {@code plan} is null for {@link Route#LEADER}. */
  String first(Route route, ReadPlan plan) {
    if (route == Route.LEADER) {
      return leader.get();
    }
    String target = choose(plan, null);
    // A fresh plan has refused nothing, so the leader at least is always there.
    return target != null ? target : readLeader();
  }

  /**
   * The node to try after {@code failed} could not be reached or had no leader to offer.
   *
   * @param plan the read's plan for {@link Route#REPLICA}, null for {@link Route#LEADER}
   * @param hintedLeader the leader's address named by {@code failed}, or null if it named none
   */
  String afterFailure(Route route, ReadPlan plan, String failed, String hintedLeader) {
    if (hintedLeader != null) {
      leader.set(hintedLeader);
    } else {
      if (route == Route.LEADER) {
        // Only the first call to see the believed leader fail moves the belief on; a call that
        // fails later on the same node follows it rather than skipping one more node.
        leader.compareAndSet(failed, successor(failed));
      }
      if (!pinned()) {
        // Keep reads away from it until a poll finds it serving again.
        views.computeIfPresent(failed, (e, v) -> v.withRole(Role.ROLE_UNSPECIFIED));
      }
    }
    onStale.run();
    if (route == Route.LEADER) {
      return leader.get();
    }
    String next = choose(plan, failed);
    if (next == null) {
      next = choose(plan, null);
    }
    return next != null ? next : failed;
  }

  /**
   * Where a call goes instead of {@code proposed} when that is one of the nodes the call must
   * not try again ({@code unusable}: nothing listens there, or it left the cluster): for a
   * replica-served read the next node of its order, else the next configured endpoint.
   *
   * @param proposed the node this router named for the next attempt, or null if none
   * @return {@code proposed} if it is usable, else another usable node, or null if every
   *     configured endpoint is unusable
   */
  String avoiding(Route route, ReadPlan plan, String proposed, Set<String> unusable) {
    if (proposed != null && !unusable.contains(proposed)) {
      return proposed;
    }
    if (route == Route.REPLICA) {
      String next = chooseSkipping(plan, unusable::contains);
      if (next != null) {
        return next;
      }
    }
    int start = proposed == null ? -1 : endpoints.indexOf(proposed);
    for (int i = 1; i <= endpoints.size(); i++) {
      String candidate = endpoints.get(Math.floorMod(start + i, endpoints.size()));
      if (!unusable.contains(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /**
   * {@code refused} answered the read with a ReplicaLagging refusal: where the read goes next,
   * or null if nowhere (its policy is not FALLBACK, or every node in its order has refused).
   */
  String afterLagging(ReadPlan plan, String refused, ReplicaLagging lagging) {
    observeApplied(refused, lagging.getAppliedIndex());
    plan.refused.add(refused);
    if (plan.policy() != LagPolicy.FALLBACK) {
      return null;
    }
    return choose(plan, null);
  }

  /** An Admin.Status answer from {@code endpoint}. */
  void observeStatus(String endpoint, StatusResponse status) {
    String nodeId = status.getNodeId();
    NodeView previous = views.get(endpoint);
    views.compute(endpoint, (e, old) -> {
      long applied = status.getAppliedIndex();
      if (old != null && old.nodeId().equals(nodeId)) {
        applied = Math.max(applied, old.appliedIndex());
      }
      return new NodeView(nodeId, status.getRole(), status.getTerm(), applied);
    });
    if (previous != null && !previous.nodeId().isEmpty() && !previous.nodeId().equals(nodeId)) {
      // Another node now answers at this endpoint.
      endpointOfNode.remove(previous.nodeId(), endpoint);
    }
    if (!nodeId.isEmpty()) {
      endpointOfNode.put(nodeId, endpoint);
    }
  }

  /** An Admin.Status question to {@code endpoint} failed: keep reads away until it answers. */
  void statusFailed(String endpoint) {
    views.computeIfPresent(endpoint, (e, v) -> v.withRole(Role.ROLE_UNSPECIFIED));
  }

  /** {@code endpoint} has applied at least {@code index} (it answered a write or a read). */
  void observeApplied(String endpoint, long index) {
    views.compute(endpoint, (e, old) -> old == null
        ? new NodeView("", Role.ROLE_UNSPECIFIED, 0, index) : old.withApplied(index));
  }

  /** A read's ReadMeta: its serving node (found by id) has applied its applied_index. */
  void observeServed(ReadMeta meta) {
    String endpoint = endpointOfNode.get(meta.getServedBy());
    if (endpoint != null) {
      observeApplied(endpoint, meta.getAppliedIndex());
    }
  }

  /**
   * The node a replica-served read goes to next, skipping the nodes that refused it and
   * {@code avoid}; null if none is left.
   */
  private String choose(ReadPlan plan, String avoid) {
    return chooseSkipping(plan, e -> e.equals(avoid));
  }

  /** {@link #choose(ReadPlan, String)}, skipping every node {@code avoid} accepts. */
  private String chooseSkipping(ReadPlan plan, Predicate<String> avoid) {
    Predicate<String> usable = e -> !plan.refused.contains(e) && !avoid.test(e);
    List<List<String>> tiers = tiers();
    if (plan.level() == Consistency.SESSION && plan.neededIndex() > 0) {
      for (List<String> tier : tiers) {
        String known = rotate(tier, usable.and(e -> appliedIndex(e) >= plan.neededIndex()));
        if (known != null) {
          return known;
        }
      }
    }
    for (List<String> tier : tiers) {
      String any = rotate(tier, usable);
      if (any != null) {
        return any;
      }
    }
    String last = readLeader();
    return usable.test(last) ? last : null;
  }

  /** The replica tiers in preference order, the leader not included. */
  private List<List<String>> tiers() {
    if (pinned()) {
      return List.of(endpoints);
    }
    if (preference == ReadPreference.LEADER_ONLY) {
      return List.of();
    }
    List<String> learners = new ArrayList<>();
    List<String> followers = new ArrayList<>();
    boolean anyKnown = false;
    for (String endpoint : endpoints) {
      NodeView v = views.get(endpoint);
      if (v == null || !v.serves()) {
        continue;
      }
      anyKnown = true;
      if (v.role() == Role.LEARNER) {
        learners.add(endpoint);
      } else if (v.role() == Role.FOLLOWER) {
        followers.add(endpoint);
      }
    }
    if (!anyKnown) {
      // Nothing learned yet (or every node just failed): the endpoints as configured.
      return List.of(endpoints);
    }
    return preference == ReadPreference.LEARNERS_FIRST
        ? List.of(learners, followers) : List.of(followers, learners);
  }

  private long appliedIndex(String endpoint) {
    NodeView v = views.get(endpoint);
    return v == null ? 0 : v.appliedIndex();
  }

  /** One of {@code tier}'s nodes that pass {@code filter}, taking turns; null if none does. */
  private String rotate(List<String> tier, Predicate<String> filter) {
    List<String> candidates = new ArrayList<>(tier.size());
    for (String endpoint : tier) {
      if (filter.test(endpoint)) {
        candidates.add(endpoint);
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    // One rotation shared by all calls spreads reads evenly; with one candidate it pins them.
    return candidates.get(Math.floorMod(rotation.getAndIncrement(), candidates.size()));
  }

  private String successor(String endpoint) {
    int i = endpoints.indexOf(endpoint);
    // A learned leader outside the list that went away: start over from the list.
    return i < 0 ? endpoints.get(0) : endpoints.get((i + 1) % endpoints.size());
  }
}
