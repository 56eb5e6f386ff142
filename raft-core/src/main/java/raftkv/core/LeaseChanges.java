package raftkv.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The leases granted and ended by one committed apply batch, handed to
 * {@link NodeEventListener#leasesChanged} after the batch is in the store. Not thread-safe:
 * filled and read on the state machine thread.
 */
public final class LeaseChanges {
  /** A lease granted at index {@code id} with {@code ttlMs}. */
  public record Granted(long id, long ttlMs) {}

  private final List<Granted> granted = new ArrayList<>();
  private final List<Long> ended = new ArrayList<>();

  void granted(long id, long ttlMs) {
    granted.add(new Granted(id, ttlMs));
  }

  void ended(long id) {
    ended.add(id);
  }

  public List<Granted> granted() {
    return granted;
  }

  public List<Long> ended() {
    return ended;
  }

  boolean isEmpty() {
    return granted.isEmpty() && ended.isEmpty();
  }

  void clear() {
    granted.clear();
    ended.clear();
  }
}
