package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static raftkv.core.Commands.b;
import static raftkv.core.Commands.put;
import static raftkv.core.Commands.smallOptions;

import com.alipay.sofa.jraft.option.RpcOptions;
import com.alipay.sofa.jraft.rpc.RaftRpcFactory;
import com.alipay.sofa.jraft.rpc.RpcClient;
import com.alipay.sofa.jraft.rpc.RpcRequests.ErrorResponse;
import com.alipay.sofa.jraft.rpc.RpcRequests.PingRequest;
import com.alipay.sofa.jraft.util.Endpoint;
import com.alipay.sofa.jraft.util.RpcFactoryHelper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import raftkv.v1.internal.Outcome;

/**
 * Raft traffic over TLS (Bolt's SSL options, set per node by {@link RaftTls}): a TLS group
 * works, its Raft port answers no plain-TCP client, its server refuses a client without a
 * trusted certificate, and a node without TLS or with an untrusted certificate cannot join.
 * TLS and plain nodes run side by side in this JVM, as the setting is per node.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RaftTlsTest {
  private static final String PASSWORD = Keytool.PASSWORD;

  @TempDir static Path keys;
  /**
   * One self-signed key shared by a group's nodes: it is their key and their trust. (The
   * group test uses per-node keys signed by a CA instead.)
   */
  private static Path groupKeyStore;
  /** Another self-signed key, which the group does not trust. */
  private static Path strangerKeyStore;

  @TempDir Path dataDir;
  private final List<RaftNode> nodes = new ArrayList<>();

  @BeforeAll
  static void keyStores() throws Exception {
    groupKeyStore = Keytool.selfSigned(keys, "group");
    strangerKeyStore = Keytool.selfSigned(keys, "stranger");
  }

  @AfterEach
  void closeNodes() {
    nodes.forEach(RaftNode::close);
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static List<String> addresses(int count) throws Exception {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      addresses.add("127.0.0.1:" + freePort());
    }
    return addresses;
  }

  private RaftNode start(String nodeId, String self, List<String> voters, RaftTlsOptions tls) {
    RaftNode node = RaftNode.start(new RaftNodeOptions(nodeId, self, dataDir.resolve(nodeId),
        voters, List.of(), 1000, 10, 3600, smallOptions(), "", tls));
    nodes.add(node);
    return node;
  }

  private static RaftNode awaitLeader(List<RaftNode> among) {
    return await("a leader among " + among.size() + " nodes").atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> among.stream().filter(RaftNode::isLeader).findFirst(), Optional::isPresent)
        .orElseThrow();
  }

  private static long writeAndAwaitOn(RaftNode leader, List<RaftNode> replicas) throws Exception {
    Outcome outcome = leader.propose(Commands.command(put("k", "over-tls"), "tls-test", 1, 0,
        System.currentTimeMillis())).get(15, TimeUnit.SECONDS);
    assertThat(outcome.getTxn().getSucceeded()).isTrue();
    long index = outcome.getTxn().getIndex();
    await("the write (index " + index + ") applied on every node").atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> replicas.stream().allMatch(n -> n.store().appliedIndex() >= index));
    for (RaftNode replica : replicas) {
      assertThat(replica.store().get(b("k")).result().getValue().toStringUtf8())
          .isEqualTo("over-tls");
    }
    return index;
  }

  /**
   * The production layout: a CA that signs Raft certificates only; each node's key store holds
   * its own key with the CA-signed chain, and the CA's certificate as a trusted entry.
   */
  private static List<Path> caSignedKeyStores(String... nodeIds) throws Exception {
    Path caStore = keys.resolve("ca.p12");
    Path caCert = keys.resolve("ca.crt");
    Keytool.run("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=raftkv-test-ca", "-ext", "bc:c", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", caStore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
    Keytool.run("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(),
        "-storepass", PASSWORD, "-file", caCert.toString());
    List<Path> stores = new ArrayList<>();
    for (String nodeId : nodeIds) {
      Path store = keys.resolve(nodeId + "-ca-signed.p12");
      Path request = keys.resolve(nodeId + ".csr");
      Path signed = keys.resolve(nodeId + ".crt");
      String[] storeArgs = {"-keystore", store.toString(), "-storepass", PASSWORD};
      Keytool.run(concat(new String[] {"-genkeypair", "-alias", nodeId, "-keyalg", "EC",
          "-groupname", "secp256r1", "-dname", "CN=raftkv-test-" + nodeId, "-validity", "2",
          "-storetype", "PKCS12", "-keypass", PASSWORD}, storeArgs));
      Keytool.run(concat(new String[] {"-certreq", "-alias", nodeId, "-file", request.toString()},
          storeArgs));
      Keytool.run("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(),
          "-storepass", PASSWORD, "-validity", "2", "-infile", request.toString(),
          "-outfile", signed.toString());
      Keytool.run(concat(new String[] {"-importcert", "-noprompt", "-alias", "raft-ca",
          "-file", caCert.toString()}, storeArgs));
      Keytool.run(concat(new String[] {"-importcert", "-alias", nodeId, "-file", signed.toString()},
          storeArgs));
      stores.add(store);
    }
    return stores;
  }

  private static String[] concat(String[] first, String[] second) {
    String[] all = java.util.Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, all, first.length, second.length);
    return all;
  }

  @Test
  void aGroupWithMutualTlsAndCaSignedKeysElectsALeaderAndCommitsAWriteOnEveryNode()
      throws Exception {
    List<String> voters = addresses(3);
    List<Path> keyStores = caSignedKeyStores("n1", "n2", "n3");
    List<RaftNode> group = IntStream.range(0, 3)
        .mapToObj(i -> start("n" + (i + 1), voters.get(i), voters,
            RaftTlsOptions.mutual(keyStores.get(i), PASSWORD)))
        .toList();

    writeAndAwaitOn(awaitLeader(group), group);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"plain TCP", "TLS with an untrusted certificate"})
  void aNodeWithoutTlsOrWithAnUntrustedCertificateCannotJoinTheGroup(String outsider)
      throws Exception {
    List<String> voters = addresses(3);
    RaftTlsOptions tls = RaftTlsOptions.mutual(groupKeyStore, PASSWORD);
    List<RaftNode> trusted = List.of(start("n1", voters.get(0), voters, tls),
        start("n2", voters.get(1), voters, tls));
    RaftNode third = start("n3", voters.get(2), voters, outsider.equals("plain TCP")
        ? RaftTlsOptions.OFF : RaftTlsOptions.mutual(strangerKeyStore, PASSWORD));

    // Two trusted voters of three are a quorum: the group works without the third.
    long index = writeAndAwaitOn(awaitLeader(trusted), trusted);

    // The leader sends heartbeats every 100 ms; none reaches the third node, which knows no
    // leader and receives no entry. (It cannot win an election either: its votes fail too.)
    await("the third node stays outside the group").during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> third.leaderRaftAddress() == null && third.lastLogIndex() < index
            && !third.isLeader());
    assertThat(third.store().appliedIndex()).isZero();
  }

  /** A Bolt protocol-1 heartbeat request (Bolt 1.6.12 RpcCommandEncoder's layout). */
  private static byte[] boltHeartbeat() {
    return ByteBuffer.allocate(22)
        .put((byte) 1) // protocol code: RpcProtocol.PROTOCOL_CODE
        .put((byte) 1) // type: request
        .putShort((short) 0) // command code: heartbeat
        .put((byte) 1) // command version
        .putInt(42) // request id
        .put((byte) 1) // serializer: hessian2
        .putInt(1000) // timeout ms
        .putShort((short) 0).putShort((short) 0).putInt(0) // class, header, content lengths
        .array();
  }

  /** The first two bytes answered to {@code frame} (fewer at EOF), or the error that ended it. */
  private record Reply(byte[] head, IOException error) {
    @Override
    public String toString() {
      return "Reply[head=" + java.util.HexFormat.of().formatHex(head) + ", error=" + error + "]";
    }

    boolean isBoltResponse() {
      return head.length == 2 && head[0] == 1 && head[1] == 0; // protocol 1, type response
    }

    /** The server neither answered nor closed: it hung, which would prove nothing. */
    boolean timedOut() {
      return error instanceof SocketTimeoutException;
    }

    boolean isTlsAlertOrClose() {
      return head.length == 0 || head[0] == 0x15; // TLS record type 21: alert
    }
  }

  private static Reply exchange(Socket socket, byte[] frame) {
    try (socket) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(frame);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      return new Reply(in.readNBytes(2), null);
    } catch (IOException e) {
      return new Reply(new byte[0], e);
    }
  }

  private static Socket plainSocket(String address) throws IOException {
    Endpoint endpoint = parse(address);
    return new Socket(endpoint.getIp(), endpoint.getPort());
  }

  /**
   * A JDK TLS client that trusts the group's certificate and presents {@code clientKeyStore}'s
   * key, or no certificate at all when it is null.
   */
  private static Socket tlsSocket(String address, Path clientKeyStore) throws Exception {
    KeyManager[] keyManagers = null;
    if (clientKeyStore != null) {
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(load(clientKeyStore), PASSWORD.toCharArray());
      keyManagers = kmf.getKeyManagers();
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(load(groupKeyStore));
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers, tmf.getTrustManagers(), null);
    Endpoint endpoint = parse(address);
    return context.getSocketFactory().createSocket(endpoint.getIp(), endpoint.getPort());
  }

  private static KeyStore load(Path file) throws Exception {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      keyStore.load(in, PASSWORD.toCharArray());
    }
    return keyStore;
  }

  private static Endpoint parse(String address) {
    int colon = address.lastIndexOf(':');
    return new Endpoint(address.substring(0, colon),
        Integer.parseInt(address.substring(colon + 1)));
  }

  @Test
  void aTlsRaftPortGivesNoBoltAnswerToAPlainClientWhileAPlainNodeInTheSameJvmDoes()
      throws Exception {
    String tlsAddress = addresses(1).get(0);
    String plainAddress = addresses(1).get(0);
    RaftTlsOptions tls = RaftTlsOptions.mutual(groupKeyStore, PASSWORD);
    awaitLeader(List.of(start("tls", tlsAddress, List.of(tlsAddress), tls)));
    awaitLeader(List.of(start("plain", plainAddress, List.of(plainAddress), RaftTlsOptions.OFF)));

    // The frame is valid Bolt: the plain node answers it...
    assertThat(exchange(plainSocket(plainAddress), boltHeartbeat()).isBoltResponse()).isTrue();
    // ... and the TLS node closes the connection (or sends a TLS alert): no Bolt byte back.
    Reply fromTls = exchange(plainSocket(tlsAddress), boltHeartbeat());
    assertThat(fromTls.isBoltResponse()).isFalse();
    assertThat(fromTls.isTlsAlertOrClose()).as("reply %s", fromTls).isTrue();
    assertThat(fromTls.timedOut()).isFalse();

    // jraft's own client: plain, its ping fails; built by our factory for a TLS node, it works.
    RaftRpcFactory factory = RpcFactoryHelper.rpcFactory();
    PingRequest ping = PingRequest.newBuilder().setSendTimestamp(System.currentTimeMillis())
        .build();
    RpcClient plainClient = factory.createRpcClient(
        factory.defaultJRaftClientConfigHelper(new RpcOptions()));
    plainClient.init(new RpcOptions());
    RaftTls.TlsNodeOptions tlsNodeOptions = new RaftTls.TlsNodeOptions(tls);
    RpcClient tlsClient = factory.createRpcClient(
        factory.defaultJRaftClientConfigHelper(tlsNodeOptions));
    tlsClient.init(tlsNodeOptions);
    try {
      assertThatThrownBy(() -> plainClient.invokeSync(parse(tlsAddress), ping, 5000))
          .isInstanceOf(com.alipay.sofa.jraft.error.RemotingException.class);
      assertThat(((ErrorResponse) tlsClient.invokeSync(parse(tlsAddress), ping, 5000))
          .getErrorCode()).isZero();
      assertThatThrownBy(() -> tlsClient.invokeSync(parse(plainAddress), ping, 5000))
          .isInstanceOf(com.alipay.sofa.jraft.error.RemotingException.class);
    } finally {
      plainClient.shutdown();
      tlsClient.shutdown();
    }
  }

  @Test
  void aServerRequiringClientAuthAnswersOnlyClientsWithATrustedCertificate() throws Exception {
    String mutualAddress = addresses(1).get(0);
    String serverOnlyAddress = addresses(1).get(0);
    awaitLeader(List.of(start("mutual", mutualAddress, List.of(mutualAddress),
        RaftTlsOptions.mutual(groupKeyStore, PASSWORD))));
    awaitLeader(List.of(start("server-only", serverOnlyAddress, List.of(serverOnlyAddress),
        new RaftTlsOptions(groupKeyStore, PASSWORD, false))));

    // Bolt over TLS, with the group's certificate: answered.
    assertThat(exchange(tlsSocket(mutualAddress, groupKeyStore), boltHeartbeat())
        .isBoltResponse()).isTrue();
    // No client certificate, or one the server does not trust: refused.
    for (Path clientKey : new Path[] {null, strangerKeyStore}) {
      Reply refused = exchange(tlsSocket(mutualAddress, clientKey), boltHeartbeat());
      assertThat(refused.isBoltResponse()).as("client key %s", clientKey).isFalse();
      assertThat(refused.timedOut()).as("client key %s: %s", clientKey, refused).isFalse();
    }
    // Without requireClientAuth the same cert-less client is answered: encryption only.
    assertThat(exchange(tlsSocket(serverOnlyAddress, null), boltHeartbeat()).isBoltResponse())
        .isTrue();
  }

  @Test
  void theTlsSettingIsValidatedNamingFieldValueAndRuleAndItsPasswordIsNeverPrinted()
      throws Exception {
    RaftTlsOptions valid = RaftTlsOptions.mutual(groupKeyStore, PASSWORD);
    assertThat(valid.validate()).isSameAs(valid);
    assertThat(valid.toString()).doesNotContain(PASSWORD).contains(groupKeyStore.toString());
    assertThat(RaftTlsOptions.OFF.validate().enabled()).isFalse();

    Path missing = keys.resolve("missing.p12");
    assertThatThrownBy(() -> RaftTlsOptions.mutual(missing, PASSWORD).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("raft-tls-keystore").hasMessageContaining(missing.toString())
        .hasMessageContaining("not a readable file");
    assertThatThrownBy(() -> RaftTlsOptions.mutual(groupKeyStore, "wrong").validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("raft-tls-keystore").hasMessageContaining(groupKeyStore.toString())
        .hasMessageContaining("does not open as PKCS12 with raft-tls-password-file")
        .message().doesNotContain("wrong");
    assertThatThrownBy(() -> new RaftTlsOptions(null, "", true).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("raft-tls-client-auth require");

    // A key store with the group's certificate as a trusted entry but no key of its own.
    Path certificate = keys.resolve("group.crt");
    Path trustOnly = keys.resolve("trust-only.p12");
    Keytool.run("-exportcert", "-alias", "group", "-keystore", groupKeyStore.toString(),
        "-storepass", PASSWORD, "-file", certificate.toString());
    Keytool.run("-importcert", "-noprompt", "-alias", "group", "-file", certificate.toString(),
        "-storetype", "PKCS12", "-keystore", trustOnly.toString(), "-storepass", PASSWORD);
    assertThatThrownBy(() -> RaftTlsOptions.mutual(trustOnly, PASSWORD).validate())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(trustOnly.toString()).hasMessageContaining("no private key entry");

    // Through the node options, which reject it before anything starts.
    String self = "127.0.0.1:8081";
    RaftNodeOptions plain = new RaftNodeOptions("n1", self, dataDir, List.of(self), List.of(),
        1000, 10, 3600, smallOptions());
    assertThat(plain.raftTls()).isEqualTo(RaftTlsOptions.OFF);
    assertThat(new RaftNodeOptions("n1", self, dataDir, List.of(self), List.of(), 1000, 10,
        3600, smallOptions(), "").raftTls()).isEqualTo(RaftTlsOptions.OFF);
    assertThatThrownBy(() -> RaftNode.start(
        plain.withRaftTls(RaftTlsOptions.mutual(missing, PASSWORD))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("raft-tls-keystore");
    assertThat(plain.withRaftTls(valid).toString()).doesNotContain(PASSWORD);
  }
}
