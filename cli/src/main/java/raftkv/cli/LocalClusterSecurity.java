package raftkv.cli;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import raftkv.server.LocalCertificates;

/**
 * The files of {@code raftkv cluster start --secure}, under {@code DIR/tls}: a CA, a
 * certificate and key per node (valid for 127.0.0.1 and localhost) for the client API, a
 * PKCS12 key store per node for mutual TLS on Raft, issued by a second CA used for Raft only
 * (one shared random password in {@code raft.pass}), a client certificate for
 * the admin (mapped to the admin role), and a tokens file with one random admin token, which
 * is also in {@code admin.token} for the CLI. Keys and tokens are owner-readable only. The
 * CA keys are never written: a new cluster in the directory gets new CAs.
 *
 * <p>Immutable; {@link #create} writes the files once.
 */
record LocalClusterSecurity(Path dir, Path caFile, Path tokensFile, Path adminTokenFile,
    Path adminCertFile, Path adminKeyFile, String adminSubject) {

  /** Generates the CA, one certificate per id in {@code nodeIds}, the admin's, and the token. */
  static LocalClusterSecurity create(Path clusterDir, List<String> nodeIds) {
    Path dir = clusterDir.resolve("tls").toAbsolutePath();
    LocalCertificates ca = LocalCertificates.newAuthority("raftkv-local-ca");
    Path caFile = dir.resolve("ca.pem");
    ca.writeCaCertificate(caFile);
    byte[] raftSecret = new byte[24];
    new SecureRandom().nextBytes(raftSecret);
    String raftPassword = Base64.getUrlEncoder().withoutPadding().encodeToString(raftSecret);
    LocalCertificates.writeSecret(dir.resolve("raft.pass"), raftPassword + "\n");
    // Raft gets its own CA: Bolt accepts any certificate its trusted CA signed as a peer, so
    // sharing the client API's CA would make the admin's client certificate a Raft peer.
    LocalCertificates raftCa = LocalCertificates.newAuthority("raftkv-local-raft-ca");
    for (String id : nodeIds) {
      ca.issueNode(id, dir.resolve(id + ".pem"), dir.resolve(id + "-key.pem"));
      raftCa.issueNodeKeyStore(id, dir.resolve(id + "-raft.p12"), raftPassword);
    }
    Path adminCert = dir.resolve("admin.pem");
    Path adminKey = dir.resolve("admin-key.pem");
    String subject = ca.issueClient("raftkv-admin", adminCert, adminKey);
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Path tokens = dir.resolve("tokens");
    LocalCertificates.writeSecret(tokens, "# raftkv cluster start --secure: token role name\n"
        + token + " admin local-admin\n");
    Path adminToken = dir.resolve("admin.token");
    LocalCertificates.writeSecret(adminToken, token + "\n");
    return new LocalClusterSecurity(dir, caFile, tokens, adminToken, adminCert, adminKey, subject);
  }

  /** The {@code raftkv server} options that make node {@code id} use these files. */
  List<String> serverOptions(String id) {
    return List.of("--tls-cert", dir.resolve(id + ".pem").toString(),
        "--tls-key", dir.resolve(id + "-key.pem").toString(),
        "--tls-client-ca", caFile.toString(), "--tls-client-auth", "optional",
        "--auth", "tokens", "--auth-tokens-file", tokensFile.toString(),
        "--auth-cert-roles", adminSubject + "=admin",
        "--raft-tls-keystore", dir.resolve(id + "-raft.p12").toString(),
        "--raft-tls-password-file", dir.resolve("raft.pass").toString());
  }

  /** How the CLI finds these files again: the cluster.json fields. */
  ClusterFile describe(List<ClusterFile.Node> nodes) {
    return new ClusterFile(nodes, caFile.toString(), adminTokenFile.toString(),
        adminCertFile.toString(), adminKeyFile.toString());
  }
}
