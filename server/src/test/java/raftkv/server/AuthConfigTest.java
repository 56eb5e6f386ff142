package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code auth-cert-roles} is read (subjects contain ',' and '='), how the authentication
 * settings are checked against TLS, and which role each client API method needs.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AuthConfigTest {
  @TempDir Path dir;

  @Test
  void certificateRolesSplitOnSemicolonsAndTakeTheRoleAfterTheLastEquals() {
    Map<String, AccessRole> roles = AuthConfig.parseCertificateRoles(
        " CN=ops,O=Example Inc.,C=DE=admin ; CN=dash\\=board,O=raftkv=read;;");

    assertThat(roles).containsExactly(
        Map.entry("CN=ops,O=Example Inc.,C=DE", AccessRole.ADMIN),
        Map.entry("CN=dash\\=board,O=raftkv", AccessRole.READ));
    assertThat(AuthConfig.parseCertificateRoles("")).isEmpty();
  }

  @Test
  void aCertificateRoleEntryWithoutRoleOrWithAnUnknownRoleIsRefusedNamingIt() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AuthConfig.parseCertificateRoles("CN=a=admin;justtext"))
        .withMessageContaining("'justtext' is not SUBJECT=ROLE");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AuthConfig.parseCertificateRoles("CN=a,O=b=root"))
        .withMessageContaining("'CN=a,O=b=root'").withMessageContaining("read, readwrite, admin");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> AuthConfig.parseCertificateRoles("CN=a=read;CN=a=admin"))
        .withMessageContaining("'CN=a' twice");
  }

  @Test
  void certificateSubjectsMatchWhateverSpacingTheConfigurationUses() {
    assertThat(AuthInterceptor.normalize("CN=ops, O=Example")).isEqualTo("CN=ops,O=Example");
  }

  @Test
  void certificateRolesNeedTlsThatAsksForClientCertificates() throws IOException {
    Path cert = Files.writeString(dir.resolve("c.pem"), "x");
    ServerConfig config = ServerConfig.of("n1",
        List.of(PeerSpec.parse("n1=127.0.0.1:7001/127.0.0.1:9001")), dir.resolve("data"))
        .withAuth(new AuthConfig(true, null, Map.of("CN=ops", AccessRole.ADMIN)));

    assertThatIllegalArgumentException().isThrownBy(config::validate)
        .withMessageContaining("auth-cert-roles").withMessageContaining("tls-client-auth is none");
    assertThat(config.withTls(new TlsConfig(cert, cert, cert, TlsConfig.ClientAuth.OPTIONAL))
        .validate().auth().certificateRoles()).containsKey("CN=ops");
  }

  @Test
  void anInvalidSubjectIsRefusedNamingIt() {
    AuthConfig auth = new AuthConfig(true, null, Map.of("not a name", AccessRole.READ));

    assertThatIllegalArgumentException().isThrownBy(auth::validate)
        .withMessageContaining("auth-cert-roles subject 'not a name'");
  }

  @Test
  void eachMethodNeedsItsRoleAndOtherServicesNeedNone() {
    assertThat(MethodRoles.required("raftkv.v1.KV/Get")).contains(AccessRole.READ);
    assertThat(MethodRoles.required("raftkv.v1.KV/Range")).contains(AccessRole.READ);
    assertThat(MethodRoles.required("raftkv.v1.Admin/Status")).contains(AccessRole.READ);
    assertThat(MethodRoles.required("raftkv.v1.Admin/Digest")).contains(AccessRole.ADMIN);
    for (String write : List.of("Put", "Delete", "Txn")) {
      assertThat(MethodRoles.required("raftkv.v1.KV/" + write)).contains(AccessRole.READWRITE);
    }
    for (String admin : List.of("AddLearner", "RemoveLearner", "AddVoter", "TransferLeadership",
        "Snapshot")) {
      assertThat(MethodRoles.required("raftkv.v1.Admin/" + admin)).contains(AccessRole.ADMIN);
    }
    assertThat(MethodRoles.required("raftkv.v1.KV/Watch")).contains(AccessRole.ADMIN);
    assertThat(MethodRoles.required("grpc.health.v1.Health/Check")).isEmpty();
    assertThat(MethodRoles.required(
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo")).isEmpty();
  }

  @Test
  void aClientCaThatClientAuthNoneWouldIgnoreIsRefusedNamingBothKeys() throws IOException {
    Path cert = Files.writeString(dir.resolve("n1.pem"), "cert");
    Path key = Files.writeString(dir.resolve("n1-key.pem"), "key");
    Path ca = Files.writeString(dir.resolve("ca.pem"), "ca");

    assertThatIllegalArgumentException().isThrownBy(() ->
            new TlsConfig(cert, key, ca, TlsConfig.ClientAuth.NONE).validate())
        .withMessageContaining("tls-client-ca is set (" + ca + ")")
        .withMessageContaining("tls-client-auth is none");
  }
}
