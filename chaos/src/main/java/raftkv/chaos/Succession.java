package raftkv.chaos;

import java.time.Duration;
import java.util.Optional;
import raftkv.v1.Role;
import raftkv.v1.StatusResponse;

/**
 * Waits, while a partition has cut a leader off, until the voters on the other side have
 * elected a successor and committed writes in its term. A partition healed before that tests
 * only an election, or not even one: the workload's writes must reach the new leader while
 * the old one may still answer reads, or a stale read cannot be told from a fresh one. On a
 * fast machine this is over within the fault's hold; on a loaded one it is what keeps the
 * fault meaningful, whatever the machine's speed. Stateless.
 */
final class Succession {
  /**
   * Entries the successor must commit in its term. Counted in entries, not time, so that the
   * workload's writes land on the new side however slowly the machine runs; 10 writes touch
   * most of an epoch's 8 keys. At load average 25 on 2 cores, 20 took 25 s.
   */
  static final int ENTRIES = 10;

  /** Ends a wait for a cluster that cannot elect or commit; the note says so. */
  static final Duration MAX_WAIT = Duration.ofSeconds(60);

  private Succession() {}

  /**
   * Polls the voters other than {@code deposed} until one leads in a term after {@code
   * deposedTerm} and has committed {@link #ENTRIES} entries since it was first seen leading,
   * or {@link #MAX_WAIT} has passed.
   *
   * @return what was observed, for the fault's note
   */
  static String awaitCommits(ChaosCluster cluster, ChaosNode deposed, long deposedTerm)
      throws InterruptedException {
    long deadline = System.nanoTime() + MAX_WAIT.toNanos();
    String leaderId = null;
    long term = -1;
    long firstCommit = 0;
    while (System.nanoTime() < deadline) {
      for (ChaosNode node : cluster.followers(deposed)) {
        Optional<StatusResponse> status = cluster.status(node);
        if (status.isEmpty() || status.get().getRole() != Role.LEADER
            || status.get().getTerm() <= deposedTerm) {
          continue;
        }
        if (!node.id.equals(leaderId) || status.get().getTerm() != term) {
          leaderId = node.id;
          term = status.get().getTerm();
          firstCommit = status.get().getCommitIndex();
        } else if (status.get().getCommitIndex() - firstCommit >= ENTRIES) {
          return "successor " + leaderId + " in term " + term + " committed " + ENTRIES
              + " entries";
        }
      }
      Thread.sleep(100); // another process electing and committing: poll its status again
    }
    return leaderId == null
        ? "no successor elected within " + MAX_WAIT.toSeconds() + " s"
        : "successor " + leaderId + " in term " + term + " committed fewer than " + ENTRIES
            + " entries within " + MAX_WAIT.toSeconds() + " s";
  }
}
