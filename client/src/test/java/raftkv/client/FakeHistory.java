package raftkv.client;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import raftkv.v1.KeyValue;
import raftkv.v1.WatchEvent;

/**
 * The committed changes of a fake cluster, one per log index from 1, shared by the {@link
 * FakeNode}s that serve watches over it: each node's watch streams see every change appended
 * while they are open. Thread-safe; subscribers are called under the history's lock, so each
 * sees changes in index order and never two at once.
 */
final class FakeHistory {
  private final List<WatchEvent> changes = new ArrayList<>();
  private final List<Consumer<WatchEvent>> subscribers = new ArrayList<>();

  /** Appends a put of {@code key} (or a delete, for a null value); returns its index. */
  synchronized long append(String key, String value) {
    long index = changes.size() + 1;
    KeyValue.Builder kv = KeyValue.newBuilder().setKey(ByteString.copyFromUtf8(key));
    if (value != null) {
      kv.setValue(ByteString.copyFromUtf8(value)).setVersion(index);
    }
    WatchEvent event = WatchEvent.newBuilder()
        .setType(value == null ? WatchEvent.Type.DELETE : WatchEvent.Type.PUT)
        .setKv(kv).setIndex(index).build();
    changes.add(event);
    for (Consumer<WatchEvent> s : List.copyOf(subscribers)) {
      s.accept(event);
    }
    return index;
  }

  synchronized long last() {
    return changes.size();
  }

  /**
   * Runs {@code backlog} with the changes after {@code index} and subscribes {@code live} to
   * those appended from then on, atomically: nothing is missed or seen twice.
   */
  synchronized void follow(long index, Consumer<List<WatchEvent>> backlog,
      Consumer<WatchEvent> live) {
    backlog.accept(List.copyOf(changes.subList((int) Math.min(index, changes.size()),
        changes.size())));
    subscribers.add(live);
  }

  synchronized void unsubscribe(Consumer<WatchEvent> live) {
    subscribers.remove(live);
  }
}
