package raftkv.client;

/**
 * Which nodes serve the reads a replica may serve (SESSION, BOUNDED_STALENESS and EVENTUAL),
 * in which order. LINEARIZABLE reads and writes always go to the leader.
 *
 * <p>The client learns each node's role from {@code Admin.Status}, asked of every endpoint
 * in the background. A read goes to the first group that has a node able to take it; a
 * lagging refusal under {@link raftkv.v1.LagPolicy#FALLBACK} moves it on along the same
 * order, always ending with the leader. Until the client knows any role (or with a single
 * endpoint) reads go over the endpoints as configured.
 */
public enum ReadPreference {
  /** Learners, then followers, then the leader: keeps reads off the voters. The default. */
  LEARNERS_FIRST,
  /** Followers, then learners, then the leader. */
  FOLLOWERS_FIRST,
  /** The leader only; the read's level still applies there. */
  LEADER_ONLY
}
