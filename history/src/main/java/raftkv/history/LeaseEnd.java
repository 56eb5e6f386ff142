package raftkv.history;

import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * One lease that ended during a run (revoked, or expired by the leader) and the keys it deleted
 * when it ended: all of them, at one log index. Immutable.
 *
 * <p>The recorder must give each key to at most one lease per run, and nothing but that lease's
 * end may delete it (the chaos lease holder writes fresh keys for every lease), so a DELETE of
 * the key is this lease's end.
 *
 * @param lease the lease id (the index of its grant)
 * @param index the index it ended at when known (a revoke's response); 0 = not known (expiry)
 * @param attached keys surely attached when it ended (their put with the lease was acknowledged)
 * @param maybeAttached keys whose put with the lease had an unknown outcome: deleted at the
 *     lease's end if that put was applied; never in {@code attached}
 */
public record LeaseEnd(long lease, How how, long index, Set<String> attached,
    Set<String> maybeAttached) {

  /** Why the lease ended. */
  public enum How { REVOKED, EXPIRED }

  public LeaseEnd {
    Objects.requireNonNull(how, "how");
    if (lease <= 0 || index < 0) {
      throw new IllegalArgumentException("lease id > 0 and index >= 0, got " + lease + " and "
          + index);
    }
    attached = Set.copyOf(attached);
    Set<String> maybe = new HashSet<>(maybeAttached);
    maybe.removeAll(attached);
    maybeAttached = Set.copyOf(maybe);
  }

  /** Whether the lease's end may have deleted {@code key}. */
  boolean mayDelete(String key) {
    return attached.contains(key) || maybeAttached.contains(key);
  }

  /** {@code lease 12 (expired)} or {@code lease 12 (revoked at index 45)}. */
  String describe() {
    return "lease " + lease + " (" + how.name().toLowerCase(Locale.ROOT)
        + (index > 0 ? " at index " + index : "") + ")";
  }
}
