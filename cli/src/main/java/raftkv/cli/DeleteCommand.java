package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import raftkv.client.KvClient;
import raftkv.v1.DeleteRequest;
import raftkv.v1.DeleteResponse;

@Command(name = "delete", aliases = "del", mixinStandardHelpOptions = true,
    description = {"Removes KEY. Prints the index and whether the key existed.",
        "A delete is a write even when KEY is missing: it goes through the Raft log and gets"
            + " an index, as in etcd."},
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv delete --cluster /tmp/kv color",
        "  raftkv del --endpoints 127.0.0.1:9001,127.0.0.1:9002 color --json"})
final class DeleteCommand extends DataCommand {
  @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8 text).")
  String key;

  @Override
  void run(KvClient client) {
    DeleteResponse r = session.blocking().delete(
        DeleteRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("index", r.getIndex());
    json.put("deleted", r.getDeleted());
    json.put("token", session.token());
    output.print(json, (r.getDeleted() ? "deleted" : "no such key") + ", index " + r.getIndex());
  }
}
