package raftkv.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away certificate authority for local clusters ({@code raftkv cluster start
 * --secure}) and tests: it issues node certificates (valid for 127.0.0.1 and localhost) and
 * client certificates, all signed by one CA that lives only in this object. Not for
 * production: there is no revocation, the CA key is never saved, and nothing rotates.
 *
 * <p>Keys are EC P-256, signatures SHA256withECDSA, files PEM (certificates as CERTIFICATE,
 * keys as unencrypted PKCS#8 PRIVATE KEY, readable by the owner only where the file system
 * has POSIX permissions); every certificate is valid for {@link #VALIDITY} from an hour ago
 * (clock skew between processes on one machine is not an issue, but a just-issued
 * certificate should not be "not yet valid" by a second).
 *
 * <p>Thread-safe: the CA is immutable and each issue makes its own key pair and signer.
 */
public final class LocalCertificates {
  /** How long issued certificates are valid. */
  public static final Duration VALIDITY = Duration.ofDays(365);
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final X509Certificate caCertificate;
  private final PrivateKey caKey;

  private LocalCertificates(X509Certificate caCertificate, PrivateKey caKey) {
    this.caCertificate = caCertificate;
    this.caKey = caKey;
  }

  /** A new self-signed CA named {@code CN=<commonName>,O=raftkv}. */
  public static LocalCertificates newAuthority(String commonName) {
    KeyPair pair = newKeyPair();
    X500Principal name = subject(commonName);
    try {
      X509v3CertificateBuilder builder = builder(name, name, pair.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new LocalCertificates(sign(builder, pair.getPrivate()), pair.getPrivate());
    } catch (CertIOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The CA certificate; clients trust it ({@code --cacert}), nodes verify clients with it. */
  public X509Certificate caCertificate() {
    return caCertificate;
  }

  /** Writes the CA certificate as PEM to {@code file}. */
  public void writeCaCertificate(Path file) {
    write(file, pem("CERTIFICATE", encoded(caCertificate)), false);
  }

  /**
   * Issues a node certificate (server and client authentication, SAN IP 127.0.0.1 and DNS
   * localhost) to {@code certFile} and its key to {@code keyFile}.
   *
   * @return the certificate's subject, RFC 2253
   */
  public String issueNode(String commonName, Path certFile, Path keyFile) {
    return issue(commonName, true, certFile, keyFile);
  }

  /**
   * Issues a client certificate (client authentication only) to {@code certFile} and its key
   * to {@code keyFile}.
   *
   * @return the certificate's subject, RFC 2253, as a node sees it (for {@code auth-cert-roles})
   */
  public String issueClient(String commonName, Path certFile, Path keyFile) {
    return issue(commonName, false, certFile, keyFile);
  }

  /**
   * Issues a node certificate (as {@link #issueNode}) into a PKCS12 key store for Raft TLS:
   * the key with its chain (node certificate, CA) under {@code commonName}, and this CA as a
   * trusted entry, because Bolt uses the one store both as its identity and as its trust
   * anchors (see {@code raftkv.core.RaftTlsOptions}). Owner-only where the file system has
   * POSIX permissions.
   */
  public void issueNodeKeyStore(String commonName, Path keyStoreFile, String password) {
    KeyPair pair = newKeyPair();
    X509Certificate certificate = nodeCertificate(commonName, pair);
    try {
      java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry(commonName, pair.getPrivate(), password.toCharArray(),
          new java.security.cert.Certificate[] {certificate, caCertificate});
      store.setCertificateEntry("raftkv-ca", caCertificate);
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      store.store(bytes, password.toCharArray());
      write(keyStoreFile, bytes.toByteArray());
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot write the key store " + keyStoreFile, e);
    }
  }

  private X509Certificate nodeCertificate(String commonName, KeyPair pair) {
    try {
      X509v3CertificateBuilder builder = leafBuilder(subject(commonName), pair);
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
          new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
          new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
              new GeneralName(GeneralName.dNSName, "localhost")}));
      return sign(builder, caKey);
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private X509v3CertificateBuilder leafBuilder(X500Principal name, KeyPair pair)
      throws CertIOException, GeneralSecurityException {
    X509v3CertificateBuilder builder =
        builder(caCertificate.getSubjectX500Principal(), name, pair.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
    builder.addExtension(Extension.authorityKeyIdentifier, false,
        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCertificate));
    return builder;
  }

  private String issue(String commonName, boolean node, Path certFile, Path keyFile) {
    KeyPair pair = newKeyPair();
    try {
      X509Certificate certificate;
      if (node) {
        certificate = nodeCertificate(commonName, pair);
      } else {
        X509v3CertificateBuilder builder = leafBuilder(subject(commonName), pair);
        builder.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        certificate = sign(builder, caKey);
      }
      write(certFile, pem("CERTIFICATE", encoded(certificate)), false);
      write(keyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
      return certificate.getSubjectX500Principal().getName();
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X500Principal subject(String commonName) {
    if (commonName == null || commonName.isBlank() || commonName.matches(".*[,=+;<>#\"\\\\].*")) {
      throw new IllegalArgumentException("commonName '" + commonName
          + "' must be non-blank without , = + ; < > # \" or \\");
    }
    return new X500Principal("CN=" + commonName + ",O=raftkv");
  }

  private static JcaX509v3CertificateBuilder builder(X500Principal issuer, X500Principal subject,
      PublicKey key) throws CertIOException {
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
        new BigInteger(127, RANDOM).add(BigInteger.ONE), Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(VALIDITY)), subject, key);
    try {
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return builder;
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign a certificate with " + SIGNATURE, e);
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has EC P-256", e);
    }
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** Writes {@code text}; a secret is made owner-only before its content is written. */
  static void write(Path file, String text, boolean secret) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.deleteIfExists(file);
      Files.createFile(file);
      if (secret) {
        ownerOnly(file);
      }
      Files.writeString(file, text, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private static void write(Path file, byte[] secret) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.deleteIfExists(file);
    Files.createFile(file);
    ownerOnly(file);
    Files.write(file, secret);
  }

  /**
   * Writes a secret that is not a key (a token or a tokens file): owner-only where the file
   * system has POSIX permissions.
   */
  public static void writeSecret(Path file, String text) {
    write(file, text, true);
  }

  private static void ownerOnly(Path file) throws IOException {
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
  }
}
