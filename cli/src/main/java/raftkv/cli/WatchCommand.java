package raftkv.cli;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.client.WatchListener;
import raftkv.client.Watcher;
import raftkv.v1.WatchEvent;
import raftkv.v1.WatchRequest;
import raftkv.v1.WatchResponse;

/**
 * {@code raftkv watch}: prints the changes to a key, a prefix or a range as they come, one
 * line each, until killed, {@code --count} changes or {@code --timeout}. The client library
 * resumes the watch on another node when its stream breaks; {@code --verbose} says so on
 * stderr.
 */
@Command(name = "watch", mixinStandardHelpOptions = true,
    resourceBundle = "raftkv.cli.WatchCommand",
    description = {"Prints every change to KEY, to the keys under --prefix, or to a range, as "
        + "it is committed, one line each (PUT key = value (index N) / DELETE key (index N)), "
        + "in index order, each once. Starts from now unless --after-index or --after-token "
        + "says where; a start older than the history the node keeps is refused, naming the "
        + "oldest index it can start after.",
        "Served by a replica, learners first (name a learner alone in --endpoints to pin it). "
            + "When the stream breaks (node down, node restarted, watcher too slow) the watch "
            + "resumes on a node of the cluster right after the last change printed.",
        "Runs until killed, until --count changes were printed (exit 0), or until --timeout "
            + "passes (exit 0; exit 1 if --count changes had not all come)."},
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv watch --cluster /tmp/kv color",
        "  raftkv watch --endpoints 127.0.0.1:9004 --prefix services/ --json",
        "  raftkv watch --cluster /tmp/kv --prefix jobs/ --after-index 1200",
        "  raftkv watch --cluster /tmp/kv --range-start a --range-end m --count 1 \\",
        "      --timeout 30s",
        "  T=$(raftkv put --cluster /tmp/kv --json color red | jq -r .token)",
        "  raftkv watch --cluster /tmp/kv --after-token \"$T\" color"})
final class WatchCommand implements Callable<Integer> {
  static final Duration MIN_PROGRESS = Duration.ofMillis(100);
  static final Duration MAX_PROGRESS = Duration.ofMinutes(10);

  @Mixin Connection connection;

  @Parameters(index = "0", arity = "0..1", paramLabel = "KEY",
      description = "The one key to watch (UTF-8 text); or use --prefix or --range-start.")
  String key;

  @Option(names = "--prefix", paramLabel = "P",
      description = "Watch every key that starts with P.")
  String prefix;

  @Option(names = "--range-start", paramLabel = "A",
      description = "Watch the keys from A (inclusive) ...")
  String rangeStart;

  @Option(names = "--range-end", paramLabel = "B",
      description = "... to B (exclusive); default: to the last key. Needs --range-start.")
  String rangeEnd;

  @Option(names = "--after-index", paramLabel = "N",
      description = "Start with the changes after log index N (0: all the history kept).")
  Long afterIndex;

  @Option(names = "--after-token", paramLabel = "TOKEN",
      description = "Start with the changes after a session token (printed by put, get, or "
          + "this verb's --json); the node first catches up to it.")
  String afterToken;

  @Option(names = "--progress-interval", paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "How often an idle stream gets a progress notification (the node's "
          + "applied index), from 100ms to 10m; " + DurationConverter.FORMS
          + "; default: the server's (5s).")
  Duration progressInterval;

  @Option(names = "--progress",
      description = "Also print the progress notifications (with --json: a PROGRESS object).")
  boolean progress;

  @Option(names = "--count", paramLabel = "N",
      description = "Exit 0 once N changes were printed.")
  Long count;

  @Option(names = "--json", description = "Print one JSON object per line per change: type, "
      + "key, value, index, version, lease, position and token (the watch's session token).")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    WatchRequest request = request();
    Duration runFor = Connection.given(spec, "--timeout") ? connection.timeout : null;
    boolean verbose = Failures.verbose(spec.root().commandLine().getParseResult());
    CompletableFuture<Void> enough = new CompletableFuture<>();
    Printer printer = new Printer(verbose, enough);
    try (KvClient client = connection.connect();
        Watcher watcher = client.watch(request, printer)) {
      watcher.done().whenComplete((v, failure) -> {
        if (failure != null) {
          enough.completeExceptionally(failure);
        }
      });
      try {
        if (runFor == null) {
          enough.get();
        } else {
          enough.get(runFor.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (TimeoutException e) {
        if (count != null) {
          throw new IllegalStateException("only " + printer.printed.get() + " of " + count
              + " changes came within " + runFor.toMillis() + " ms");
        }
      } catch (ExecutionException e) {
        throw e.getCause() instanceof KvException kv ? explained(kv) : e;
      }
    }
    return 0;
  }

  /** The request the flags describe; IllegalArgumentException naming what does not fit. */
  WatchRequest request() {
    int selectors = (key != null ? 1 : 0) + (prefix != null ? 1 : 0) + (rangeStart != null ? 1 : 0);
    if (selectors != 1) {
      throw new IllegalArgumentException("say which keys to watch: exactly one of KEY, "
          + "--prefix P or --range-start A" + (selectors == 0 ? "" : ", not " + selectors));
    }
    if (rangeEnd != null && rangeStart == null) {
      throw new IllegalArgumentException("--range-end needs --range-start");
    }
    if (afterIndex != null && afterToken != null) {
      throw new IllegalArgumentException("give --after-index or --after-token, not both");
    }
    if (afterIndex != null && afterIndex < 0) {
      throw new IllegalArgumentException("--after-index must be 0 or more, got " + afterIndex);
    }
    if (count != null && count < 1) {
      throw new IllegalArgumentException("--count must be at least 1, got " + count);
    }
    WatchRequest.Builder b = WatchRequest.newBuilder();
    if (key != null) {
      b.setKey(ByteString.copyFromUtf8(key));
    } else if (prefix != null) {
      if (prefix.isEmpty()) {
        throw new IllegalArgumentException("--prefix must not be empty");
      }
      b.setPrefix(ByteString.copyFromUtf8(prefix));
    } else {
      b.setRangeStart(ByteString.copyFromUtf8(rangeStart));
      if (rangeEnd != null) {
        b.setRangeEnd(ByteString.copyFromUtf8(rangeEnd));
      }
    }
    if (afterIndex != null) {
      b.setStartAfterIndex(afterIndex);
    } else if (afterToken != null) {
      b.setStartAfterToken(afterToken);
    }
    if (progressInterval != null) {
      if (progressInterval.compareTo(MIN_PROGRESS) < 0
          || progressInterval.compareTo(MAX_PROGRESS) > 0) {
        throw new IllegalArgumentException("--progress-interval must be between 100ms and 10m, "
            + "got " + progressInterval.toMillis() + "ms");
      }
      b.setProgressIntervalMs((int) progressInterval.toMillis());
    }
    return b.build();
  }

  /** A compacted start says where the history begins; other failures speak for themselves. */
  private static Exception explained(KvException failure) {
    return failure.historyCompacted().<Exception>map(c -> new IllegalStateException(
        failure.getMessage() + " (the oldest start this node serves is --after-index "
            + c.getCompactedThrough() + ")", failure)).orElse(failure);
  }

  /** Prints each change as it comes; completes {@code enough} after --count of them. */
  private final class Printer implements WatchListener {
    final AtomicLong printed = new AtomicLong();
    private final boolean verbose;
    private final CompletableFuture<Void> enough;

    Printer(boolean verbose, CompletableFuture<Void> enough) {
      this.verbose = verbose;
      this.enough = enough;
    }

    @Override
    public void onEvents(WatchResponse response) {
      StringBuilder out = new StringBuilder();
      for (WatchEvent event : response.getEventsList()) {
        if (enough.isDone()) {
          break;
        }
        out.append(json ? Output.toJson(eventJson(event, response)) : eventText(event))
            .append('\n');
        if (count != null && printed.incrementAndGet() >= count) {
          enough.complete(null);
        }
      }
      System.out.print(out);
      System.out.flush();
    }

    @Override
    public void onProgress(WatchResponse response) {
      if (verbose && response.getCreated()) {
        System.err.println("raftkv watch: watching after index " + response.getPosition()
            + " at " + response.getServedBy());
      }
      if (progress && response.getProgress()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "PROGRESS");
        m.put("position", response.getPosition());
        m.put("token", response.getSessionToken());
        m.put("servedBy", response.getServedBy());
        m.put("appliedIndex", response.getAppliedIndex());
        System.out.println(json ? Output.toJson(m) : "PROGRESS nothing changed up to index "
            + response.getPosition() + " (" + response.getServedBy() + ")");
        System.out.flush();
      }
    }

    @Override
    public void onResume(KvException cause, long position) {
      if (verbose) {
        System.err.println("raftkv watch: the stream broke (" + cause.getMessage()
            + "); resuming after index " + position);
      }
    }
  }

  static String eventText(WatchEvent event) {
    String key = event.getKv().getKey().toStringUtf8();
    return event.getType() == WatchEvent.Type.DELETE
        ? "DELETE " + key + " (index " + event.getIndex() + ")"
        : "PUT " + key + " = " + event.getKv().getValue().toStringUtf8() + " (index "
            + event.getIndex() + ")";
  }

  static Map<String, Object> eventJson(WatchEvent event, WatchResponse response) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", event.getType().name());
    m.put("key", event.getKv().getKey().toStringUtf8());
    boolean put = event.getType() != WatchEvent.Type.DELETE;
    m.put("value", put ? event.getKv().getValue().toStringUtf8() : null);
    m.put("index", event.getIndex());
    if (put) {
      m.put("version", event.getKv().getVersion());
      m.put("lease", event.getKv().getLease());
    }
    m.put("position", response.getPosition());
    m.put("token", response.getSessionToken());
    return m;
  }
}
