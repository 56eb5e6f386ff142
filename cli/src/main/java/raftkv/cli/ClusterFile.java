package raftkv.cli;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code DIR/cluster.json}: what {@code raftkv cluster start} launched, so that other verbs
 * ({@code --cluster DIR}) can find the nodes and, for a {@code --secure} cluster, the files
 * they authenticate with. Immutable value; read and written whole.
 *
 * @param nodes the node processes
 * @param caFile PEM CA that signed the nodes' certificates; null: the nodes speak plaintext
 * @param tokenFile file holding the admin bearer token; null: no authentication
 * @param clientCertFile PEM client certificate of the admin, or null
 * @param clientKeyFile its PKCS#8 key, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ClusterFile(List<Node> nodes, String caFile, String tokenFile, String clientCertFile,
    String clientKeyFile) {
  static final String NAME = "cluster.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One launched node process; {@code command} relaunches it on the same addresses and data.
   * {@code metricsAddress}: host:port of its HTTP /metrics, /health and /ready (null in files
   * written before nodes had one).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  record Node(String id, String role, String raftAddress, String grpcAddress, long pid,
      String dataDir, String logFile, List<String> command, String metricsAddress) {
    Node withPid(long newPid) {
      return new Node(id, role, raftAddress, grpcAddress, newPid, dataDir, logFile, command,
          metricsAddress);
    }
  }

  /** A cluster of plaintext nodes without authentication. */
  static ClusterFile plaintext(List<Node> nodes) {
    return new ClusterFile(nodes, null, null, null, null);
  }

  static ClusterFile read(Path dir) {
    Path file = dir.resolve(NAME);
    if (!Files.isRegularFile(file)) {
      throw new UncheckedIOException("no cluster in " + dir + ": " + file + " does not exist "
          + "(was 'raftkv cluster start --dir " + dir + "' run?)",
          new java.nio.file.NoSuchFileException(file.toString()));
    }
    try {
      return JSON.readValue(file.toFile(), ClusterFile.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  void write(Path dir) {
    try {
      Path tmp = dir.resolve(NAME + ".tmp");
      JSON.writeValue(tmp.toFile(), this);
      Files.move(tmp, dir.resolve(NAME), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Node node(String id) {
    return nodes.stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow(
        () -> new IllegalArgumentException("no node '" + id + "' in the cluster; nodes are "
            + nodes.stream().map(Node::id).toList()));
  }

  List<String> grpcAddresses() {
    return nodes.stream().map(Node::grpcAddress).toList();
  }

  ClusterFile replace(Node updated) {
    return new ClusterFile(nodes.stream().map(n -> n.id().equals(updated.id()) ? updated : n).toList(),
        caFile, tokenFile, clientCertFile, clientKeyFile);
  }
}
