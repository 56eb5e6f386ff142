package raftkv.core;

import com.alipay.sofa.jraft.Closure;
import com.alipay.sofa.jraft.Status;
import java.util.concurrent.CompletableFuture;
import raftkv.v1.internal.Outcome;

/**
 * The closure of one proposed command: completes its future with the applied outcome, or
 * exceptionally with a {@link RaftFailure}. Completed once, by jraft's threads.
 */
final class Proposal implements Closure {
  final CompletableFuture<Outcome> future = new CompletableFuture<>();

  /** Called by the state machine after the entry's batch is written. */
  void applied(Outcome outcome) {
    future.complete(outcome);
  }

  /** Called by jraft when the entry will not be applied by this node for this caller. */
  @Override
  public void run(Status status) {
    if (!status.isOk()) {
      future.completeExceptionally(RaftFailure.from(status));
    }
  }
}
