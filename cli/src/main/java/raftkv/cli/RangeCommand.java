package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftkv.client.KvClient;
import raftkv.client.KvException;
import raftkv.v1.KeyValue;
import raftkv.v1.RangeRequest;
import raftkv.v1.RangeResponse;

@Command(name = "range", mixinStandardHelpOptions = true,
    description = "Lists keys in byte order: a prefix, or [start, end). Follows continuation "
        + "tokens until --limit keys (default: all) are printed.",
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv range --cluster /tmp/kv --prefix user/",
        "  raftkv range --cluster /tmp/kv --start a --end m --keys-only --limit 100",
        "  raftkv range --cluster /tmp/kv --json --consistency eventual"})
final class RangeCommand extends DataCommand {
  @Option(names = "--prefix", description = "Only keys that start with this text.")
  String prefix;
  @Option(names = "--start", description = "Inclusive start key.") String start;
  @Option(names = "--end", description = "Exclusive end key.") String end;
  @Option(names = "--limit", defaultValue = "0", description = "Most keys to print; 0 = all.")
  int limit;
  @Option(names = "--keys-only", description = "Print keys without their values.")
  boolean keysOnly;
  @picocli.CommandLine.Mixin Consistencies read;

  @Override
  void run(KvClient client) {
    if (limit < 0) {
      throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
    }
    RangeRequest.Builder req = RangeRequest.newBuilder().setKeysOnly(keysOnly)
        .setRead(read.readOptions());
    if (prefix != null) {
      req.setPrefix(ByteString.copyFromUtf8(prefix));
    }
    if (start != null) {
      req.setStart(ByteString.copyFromUtf8(start));
    }
    if (end != null) {
      req.setEnd(ByteString.copyFromUtf8(end));
    }
    List<KeyValue> kvs = new ArrayList<>();
    RangeResponse page;
    boolean serverPages = false;
    int serverPageSize = 0;
    while (true) {
      // Ask for what is left. A node whose page is smaller refuses that; then its own page
      // (limit 0) is smaller than what is left, and once a full page shows its size, what is
      // left is asked for as soon as it fits in one page: no page overshoots --limit.
      int left = limit - kvs.size();
      if (limit == 0) {
        req.setLimit(0);
      } else if (!serverPages) {
        req.setLimit(Math.min(left, 10_000));
      } else {
        req.setLimit(serverPageSize > 0 && left <= serverPageSize ? left : 0);
      }
      try {
        page = session.blocking().range(req.build());
      } catch (KvException e) {
        if (serverPages || e.code() != io.grpc.Status.Code.INVALID_ARGUMENT
            || !e.serverMessage().contains("maximum page")) {
          throw e;
        }
        serverPages = true;
        continue;
      }
      kvs.addAll(page.getKvsList());
      req.setContinuation(page.getContinuation());
      if (serverPages && page.getMore() && req.getLimit() == 0) {
        serverPageSize = Math.max(serverPageSize, page.getKvsCount());
      }
      if (!page.getMore() || (limit > 0 && kvs.size() >= limit)) {
        break;
      }
    }

    Map<String, Object> json = new LinkedHashMap<>();
    json.put("kvs", kvs.stream().map(Json::kv).toList());
    json.put("more", page.getMore());
    json.put("continuation", page.getContinuation());
    Json.meta(json, page.getMeta());
    json.put("token", session.token());
    StringBuilder human = new StringBuilder();
    for (KeyValue kv : kvs) {
      human.append(kv.getKey().toStringUtf8());
      if (!keysOnly) {
        human.append(" = ").append(kv.getValue().toStringUtf8());
      }
      human.append('\n');
    }
    human.append("(").append(Plural.of(kvs.size(), "key")).append(page.getMore() ? ", more" : "")
        .append(")");
    output.print(json, human.toString());
  }
}
