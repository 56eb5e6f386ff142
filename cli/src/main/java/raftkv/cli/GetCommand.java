package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import raftkv.client.KvClient;
import raftkv.v1.GetRequest;
import raftkv.v1.GetResponse;

@Command(name = "get", mixinStandardHelpOptions = true,
    description = "Reads KEY. Prints its value; nothing (and found=false with --json) when "
        + "missing.",
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv get --cluster /tmp/kv color",
        "  raftkv get --cluster /tmp/kv color --consistency eventual --json",
        "  raftkv get --endpoints 127.0.0.1:9004 --consistency session --token \"$T\" post",
        "  raftkv get --endpoints 127.0.0.1:9004 --consistency bounded:500 post"})
final class GetCommand extends DataCommand {
  @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8 text).")
  String key;

  @Mixin Consistencies read;

  @Override
  void run(KvClient client) {
    GetResponse r = session.blocking().get(GetRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8(key)).setRead(read.readOptions()).build());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("found", r.getFound());
    json.put("value", r.getFound() ? r.getKv().getValue().toStringUtf8() : null);
    json.put("version", r.getKv().getVersion());
    json.put("createIndex", r.getKv().getCreateIndex());
    Json.meta(json, r.getMeta());
    json.put("token", session.token());
    if (output.json || r.getFound()) {
      output.print(json, r.getKv().getValue().toStringUtf8());
      if (!output.json) {
        System.err.println("(served by " + r.getMeta().getServedBy() + " at index "
            + r.getMeta().getAppliedIndex() + "; token " + session.token() + ")");
      }
    } else {
      System.err.println("(key not found; served by " + r.getMeta().getServedBy() + " at index "
          + r.getMeta().getAppliedIndex() + "; token " + session.token() + ")");
    }
  }
}
