package raftkv.reads;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import org.rocksdb.RocksDBException;
import raftkv.core.RaftNode;
import raftkv.v1.Consistency;

/**
 * Decides when this node may serve a read at a given consistency level, then runs it on
 * the read executor against the local store.
 *
 * <ul>
 *   <li>LINEARIZABLE (and UNSPECIFIED): a ReadIndex round through the leader (ReadOnlySafe:
 *       a quorum confirms leadership); jraft completes it once this node has applied the
 *       returned index, so the local store holds every write acknowledged before the read.
 *   <li>EVENTUAL: served at once, on the caller's thread, from whatever this node has
 *       applied (a local RocksDB read: no Raft, nothing to wait for).
 * </ul>
 *
 * <p>Thread-safety: safe from any thread; never waits on Raft. Reads that follow a ReadIndex
 * run on the executor given at construction, never on jraft's threads.
 */
public final class ReadPath {
  private final RaftNode node;
  private final Executor readExecutor;

  public ReadPath(RaftNode node, Executor readExecutor) {
    this.node = node;
    this.readExecutor = readExecutor;
  }

  /**
   * Runs {@code read} once {@code level} admits this node. The future fails with
   * {@link raftkv.core.RaftFailure} when admission fails, and with
   * {@link RocksDBException} (wrapped in a {@link CompletionException}) when the read does.
   *
   * @throws IllegalArgumentException for a level this node does not serve
   */
  public <T> CompletableFuture<T> read(Consistency level, StoreRead<T> read) {
    switch (level) {
      case LINEARIZABLE:
      case CONSISTENCY_UNSPECIFIED:
        return node.readIndex().thenApplyAsync(index -> run(read), readExecutor);
      case EVENTUAL:
        try {
          return CompletableFuture.completedFuture(read.read(node.store()));
        } catch (RocksDBException | RuntimeException e) {
          return CompletableFuture.failedFuture(e);
        }
      default:
        throw new IllegalArgumentException("unsupported consistency level " + level);
    }
  }

  private <T> T run(StoreRead<T> read) {
    try {
      return read.read(node.store());
    } catch (RocksDBException e) {
      throw new CompletionException(e);
    }
  }
}
