package raftkv.client;

import raftkv.v1.WatchResponse;

/**
 * Hands each message to a {@link WatchListener} at once, on the thread that received it. As
 * each call returns before the next message is asked for, it never holds more than the one
 * message being delivered.
 */
final class ListenerSink implements WatchSink {
  private final WatchListener listener;
  private final Watcher watcher;

  ListenerSink(WatchListener listener, Watcher watcher) {
    this.listener = listener;
    this.watcher = watcher;
  }

  @Override
  public int room() {
    return 1;
  }

  @Override
  public void accept(WatchResponse response) {
    watcher.delivered(response);
    if (response.getEventsCount() > 0) {
      listener.onEvents(response);
    } else {
      listener.onProgress(response);
    }
  }

  @Override
  public void resumed(KvException cause, long position) {
    listener.onResume(cause, position);
  }

  @Override
  public void ended(KvException error) {
    if (error != null) {
      listener.onError(error);
    }
  }
}
