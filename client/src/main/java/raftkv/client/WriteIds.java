package raftkv.client;

import java.util.concurrent.ConcurrentSkipListSet;
import raftkv.v1.WriteId;

/**
 * Hands out the write ids of one client and tracks which are still in flight.
 *
 * <p>Invariant: the {@code acked_below} of every id handed out is at most the lowest sequence
 * still in flight (its own included), because the server forgets the outcomes below it and a
 * retry of a forgotten sequence would be refused. A sequence stays in flight until its call
 * has finished for good (success, final failure, deadline, cancellation): only then will the
 * client never send it again.
 *
 * <p>Thread-safe.
 */
final class WriteIds {
  private final String clientId;
  private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
  // Guarded by this: taking a sequence and registering it must be one step, or a concurrent
  // begin() could see an empty set and compute acked_below past a sequence not yet added.
  private long next = 1;

  WriteIds(String clientId) {
    this.clientId = clientId;
  }

  String clientId() {
    return clientId;
  }

  /** A fresh id whose sequence is in flight until {@link #end} is called with it. */
  synchronized WriteId begin() {
    long sequence = next++;
    inFlight.add(sequence);
    return WriteId.newBuilder()
        .setClientId(clientId)
        .setSequence(sequence)
        .setAckedBelow(inFlight.first())
        .build();
  }

  /** The call that carried {@code sequence} is over; it will not be sent again. */
  void end(long sequence) {
    inFlight.remove(sequence);
  }

  /** What acked_below a write begun now would carry, were it not in flight itself. */
  synchronized long ackedBelow() {
    return inFlight.isEmpty() ? next : inFlight.first();
  }
}
