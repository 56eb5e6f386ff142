package raftkv.cli;

import com.google.protobuf.ByteString;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import raftkv.client.KvClient;
import raftkv.v1.PutRequest;
import raftkv.v1.PutResponse;

@Command(name = "put", mixinStandardHelpOptions = true,
    description = "Sets KEY to VALUE (or to standard input when VALUE is omitted). "
        + "Prints the log index the write was applied at.",
    footerHeading = "%nExamples:%n",
    footer = {"  raftkv put --cluster /tmp/kv color blue",
        "  echo -n '{\"big\": \"json\"}' | raftkv put --endpoints 127.0.0.1:9001 doc",
        "  export RAFTKV_CLUSTER=/tmp/kv; raftkv put color blue",
        "  T=$(raftkv put --json post hello | jq -r .token)   # its session token",
        "  raftkv put --cluster /tmp/kv --lease \"$LEASE\" services/web-1 10.0.0.1:8080"})
final class PutCommand extends DataCommand {
  @Parameters(index = "0", paramLabel = "KEY", description = "The key (UTF-8 text).")
  String key;

  @Parameters(index = "1", arity = "0..1", paramLabel = "VALUE",
      description = "The value (UTF-8 text); omitted: standard input, byte for byte.")
  String value;

  @Option(names = "--lease", paramLabel = "ID",
      description = "Attach the key to this lease (from 'raftkv lease grant'): the key is "
          + "deleted when the lease expires or is revoked. A lease that does not exist fails "
          + "the put.")
  Long lease;

  @Override
  void run(KvClient client) throws Exception {
    if (lease != null && lease < 1) {
      throw new IllegalArgumentException("--lease must be a lease id (1 or more), got " + lease);
    }
    ByteString bytes = value != null ? ByteString.copyFromUtf8(value) : ByteString.readFrom(System.in);
    PutResponse r = session.blocking().put(PutRequest.newBuilder()
        .setKey(ByteString.copyFromUtf8(key)).setValue(bytes)
        .setLease(lease == null ? 0 : lease).build());
    output.print(Map.of("index", r.getIndex(), "token", session.token()),
        "OK index " + r.getIndex() + " token " + session.token());
  }
}
