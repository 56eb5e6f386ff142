package raftkv.history;

import java.util.List;
import java.util.Objects;

/**
 * What one watcher received, as one logical stream: after automatic resumes, the events of every
 * underlying call in the order received, from the first call's start to the last position any
 * call reported. Immutable.
 *
 * <p>The stream claims every change to its keys with an index in (startIndex, finalPosition],
 * each once and in index order; {@link WatchChecker} judges that claim.
 *
 * @param watcher a name unique among the run's watchers (appears in violations)
 * @param startIndex S: the stream promises the changes after this index (the start token's
 *     index, the index asked for, or the created message's position for a start "from now")
 * @param finalPosition P: the last position the stream reported; {@code >= startIndex}
 * @param events every event received, in the order received
 */
public record WatchStream(String watcher, WatchedKeys keys, long startIndex, long finalPosition,
    List<Event> events) {

  public WatchStream {
    Objects.requireNonNull(watcher, "watcher");
    Objects.requireNonNull(keys, "keys");
    if (startIndex < 0 || finalPosition < startIndex) {
      throw new IllegalArgumentException("watcher " + watcher + ": need 0 <= start index <="
          + " final position, got " + startIndex + " and " + finalPosition);
    }
    events = List.copyOf(events);
  }

  /** Whether the stream claims every change to {@code key} at {@code index}. */
  public boolean covers(String key, long index) {
    return index > startIndex && index <= finalPosition && keys.covers(key);
  }

  /** {@code watcher w1 (prefix "e1-", (10, 50])}. */
  String describe() {
    return "watcher " + watcher + " (" + keys + ", (" + startIndex + ", " + finalPosition + "])";
  }

  /**
   * One change as a watch reports it. Immutable.
   *
   * @param value the value a PUT wrote; null for a DELETE
   * @param index the log index that made the change
   */
  public record Event(Type type, String key, String value, long index) {

    public enum Type { PUT, DELETE }

    public Event {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(key, "key");
      if ((type == Type.PUT) != (value != null)) {
        throw new IllegalArgumentException("a PUT carries a value, a DELETE none");
      }
      if (index <= 0) throw new IllegalArgumentException("an event's index is > 0, got " + index);
    }

    public static Event put(String key, String value, long index) {
      return new Event(Type.PUT, key, value, index);
    }

    public static Event delete(String key, long index) {
      return new Event(Type.DELETE, key, null, index);
    }

    /** Whether both describe the same change (type, key, value), whatever their indexes. */
    boolean sameChange(Event other) {
      return type == other.type && key.equals(other.key) && Objects.equals(value, other.value);
    }

    /** {@code PUT k "v" at index 40} or {@code DELETE k at index 40}. */
    @Override
    public String toString() {
      return type + " " + key + (value == null ? "" : " \"" + value + '"') + " at index " + index;
    }
  }
}
