package raftkv.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;
import raftkv.client.KvClient;

/** {@code --endpoints} or {@code --cluster}: where a data or admin verb sends its calls. */
final class Connection {
  @Option(names = "--endpoints", split = ",", paramLabel = "HOST:PORT",
      description = "gRPC addresses of cluster nodes. Naming one node pins reads to it.")
  List<String> endpoints;

  @Option(names = "--cluster", paramLabel = "DIR",
      description = "A local cluster started by 'raftkv cluster start --dir DIR'.")
  Path cluster;

  @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class,
      description = "Deadline of the whole command, retries included (default ${DEFAULT-VALUE}).")
  Duration timeout;

  List<String> endpoints() {
    if (endpoints != null && !endpoints.isEmpty()) {
      return endpoints;
    }
    if (cluster != null) {
      return ClusterFile.read(cluster).grpcAddresses();
    }
    throw new IllegalArgumentException("say where the cluster is: --endpoints HOST:PORT,... or --cluster DIR");
  }

  KvClient connect() {
    return KvClient.builder().endpoints(endpoints()).defaultDeadline(timeout).build();
  }
}
