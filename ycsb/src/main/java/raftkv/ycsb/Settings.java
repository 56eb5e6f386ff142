package raftkv.ycsb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import raftkv.client.KvClient;

/**
 * The binding's {@code raftkv.*} properties, validated. Immutable; equal settings share one
 * {@link KvClient} (see {@link SharedClients}).
 *
 * @param endpoints the nodes' client API addresses
 * @param caCert PEM CA of a secure cluster's nodes, or null for plaintext
 * @param clientCert PEM client certificate, or null
 * @param clientKey its PKCS#8 key, or null
 * @param bearerToken the token a secure cluster requires, or null
 * @param level the level of every read and scan
 * @param deadline the time each operation may take, retries included
 */
record Settings(List<String> endpoints, Path caCert, Path clientCert, Path clientKey,
    String bearerToken, ReadLevel level, Duration deadline) {
  static final String ENDPOINTS = "raftkv.endpoints";
  static final String CLUSTER = "raftkv.cluster";
  static final String DEADLINE_MS = "raftkv.deadline.ms";
  static final long DEFAULT_DEADLINE_MS = 10_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Reads {@code raftkv.endpoints} ("host:port,host:port") or {@code raftkv.cluster} (the
   * directory of {@code raftkv cluster start --dir}, whose cluster.json names the nodes and,
   * for a {@code --secure} cluster, the CA, client certificate and token file), {@code
   * raftkv.consistency} and {@code raftkv.deadline.ms}.
   *
   * @throws IllegalArgumentException saying which property is wrong and what it accepts
   * @throws UncheckedIOException if cluster.json or its token file cannot be read
   */
  static Settings from(Properties p) {
    String endpoints = p.getProperty(ENDPOINTS);
    String cluster = p.getProperty(CLUSTER);
    ReadLevel level = ReadLevel.parse(p.getProperty(ReadLevel.PROPERTY, ReadLevel.DEFAULT));
    Duration deadline = Duration.ofMillis(deadlineMillis(p.getProperty(DEADLINE_MS)));
    if (endpoints != null && cluster != null) {
      throw new IllegalArgumentException("give " + ENDPOINTS + " or " + CLUSTER + ", not both");
    }
    if (endpoints != null) {
      List<String> list = new ArrayList<>();
      for (String e : endpoints.split(",")) {
        if (!e.isBlank()) {
          list.add(e.strip());
        }
      }
      return new Settings(List.copyOf(list), null, null, null, null, level, deadline);
    }
    if (cluster != null) {
      return fromClusterDir(Path.of(cluster), level, deadline);
    }
    throw new IllegalArgumentException("say where the cluster is: -p " + ENDPOINTS
        + "=HOST:PORT,... or -p " + CLUSTER + "=DIR (a 'raftkv cluster start --dir DIR')");
  }

  KvClient connect() {
    KvClient.Builder b = KvClient.builder().endpoints(endpoints).defaultDeadline(deadline);
    if (caCert != null) {
      if (clientCert != null) {
        b.tls(caCert, clientCert, clientKey);
      } else {
        b.tls(caCert);
      }
    }
    if (bearerToken != null) {
      b.bearerToken(bearerToken);
    }
    return b.build();
  }

  /** Reads DIR/cluster.json as {@code raftkv --cluster DIR} does. */
  private static Settings fromClusterDir(Path dir, ReadLevel level, Duration deadline) {
    Path file = dir.resolve("cluster.json");
    JsonNode json;
    try {
      json = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + " (was 'raftkv cluster start --dir "
          + dir + "' run?)", e);
    }
    List<String> endpoints = new ArrayList<>();
    for (JsonNode node : json.path("nodes")) {
      endpoints.add(node.path("grpcAddress").asText());
    }
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException(file + " names no nodes");
    }
    String tokenFile = text(json, "tokenFile");
    return new Settings(List.copyOf(endpoints), path(text(json, "caFile")),
        path(text(json, "clientCertFile")), path(text(json, "clientKeyFile")),
        tokenFile == null ? null : firstLine(Path.of(tokenFile)), level, deadline);
  }

  private static long deadlineMillis(String value) {
    if (value == null) {
      return DEFAULT_DEADLINE_MS;
    }
    try {
      long ms = Long.parseLong(value.strip());
      if (ms > 0) {
        return ms;
      }
    } catch (NumberFormatException e) {
      // the message below says what is expected
    }
    throw new IllegalArgumentException(DEADLINE_MS + " must be a positive whole number of "
        + "milliseconds, got '" + value + "'");
  }

  private static String text(JsonNode json, String field) {
    JsonNode v = json.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static Path path(String file) {
    return file == null ? null : Path.of(file);
  }

  private static String firstLine(Path file) {
    try {
      return Files.readString(file).strip().lines().findFirst().orElse("").strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the token file " + file, e);
    }
  }
}
