package raftkv.server;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import raftkv.v1.AdminGrpc;
import raftkv.v1.KVGrpc;

/**
 * Certificates, keys and tokens generated into a test's temporary directory with {@link
 * LocalCertificates}, and raw stubs that use them (exact gRPC statuses, no client retries).
 * Not thread-safe; {@link #close} shuts the channels down.
 */
final class SecureFixture implements AutoCloseable {
  static final String READ_TOKEN = "read-token-0123456789";
  static final String READWRITE_TOKEN = "readwrite-token-0123456789";
  static final String ADMIN_TOKEN = "admin-token-0123456789";

  final Path ca;
  final Path nodeCert;
  final Path nodeKey;
  final Path clientCert;
  final Path clientKey;
  /** Subject of {@link #clientCert}, RFC 2253. */
  final String clientSubject;
  final Path tokens;
  private final List<ManagedChannel> channels = new ArrayList<>();

  SecureFixture(Path dir) {
    LocalCertificates authority = LocalCertificates.newAuthority("test-ca");
    ca = dir.resolve("ca.pem");
    authority.writeCaCertificate(ca);
    nodeCert = dir.resolve("node.pem");
    nodeKey = dir.resolve("node-key.pem");
    authority.issueNode("node", nodeCert, nodeKey);
    clientCert = dir.resolve("client.pem");
    clientKey = dir.resolve("client-key.pem");
    clientSubject = authority.issueClient("test-client", clientCert, clientKey);
    tokens = dir.resolve("tokens");
    try {
      Files.writeString(tokens, String.join("\n",
          "# test tokens",
          READ_TOKEN + " read reader",
          READWRITE_TOKEN + " readwrite writer",
          "",
          ADMIN_TOKEN + " admin operator", ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  TlsConfig tls(TlsConfig.ClientAuth clientAuth) {
    return new TlsConfig(nodeCert, nodeKey, clientAuth == TlsConfig.ClientAuth.NONE ? null : ca,
        clientAuth);
  }

  /** A TLS channel trusting the CA, with the client certificate if {@code withCertificate}. */
  ManagedChannel tlsChannel(String endpoint, boolean withCertificate) {
    try {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder().trustManager(ca.toFile());
      if (withCertificate) {
        tls.keyManager(clientCert.toFile(), clientKey.toFile());
      }
      return channel(endpoint, tls.build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  ManagedChannel plaintextChannel(String endpoint) {
    return channel(endpoint, InsecureChannelCredentials.create());
  }

  static KVGrpc.KVBlockingStub kv(ManagedChannel channel, String token) {
    return withToken(KVGrpc.newBlockingStub(channel), token);
  }

  static AdminGrpc.AdminBlockingStub admin(ManagedChannel channel, String token) {
    return withToken(AdminGrpc.newBlockingStub(channel), token);
  }

  /** {@code stub} with a deadline and, unless {@code token} is null, the bearer token. */
  static <S extends AbstractStub<S>> S withToken(S stub, String token) {
    S timed = stub.withDeadlineAfter(10, TimeUnit.SECONDS);
    if (token == null) {
      return timed;
    }
    Metadata headers = new Metadata();
    headers.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
    return timed.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private ManagedChannel channel(String endpoint, ChannelCredentials credentials) {
    ManagedChannel channel = Grpc.newChannelBuilder(endpoint, credentials).build();
    channels.add(channel);
    return channel;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
