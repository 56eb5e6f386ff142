package raftkv.reads;

/**
 * This node is no longer in the group's configuration (a removed learner), so it cannot
 * know how stale it is and refuses every read that claims freshness. EVENTUAL reads,
 * which claim nothing, are still served. Immutable.
 */
public final class RemovedFromCluster extends RuntimeException {
  public RemovedFromCluster() {
    super("this node was removed from the cluster's configuration and no longer serves reads "
        + "that claim freshness; use another node", null, false, false);
  }
}
