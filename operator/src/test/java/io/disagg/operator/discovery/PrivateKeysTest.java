package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemObjectGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link PrivateKeys}, with keys generated here and written in each PEM form by BouncyCastle. */
class PrivateKeysTest {
  /**
   * For writing encrypted keys only (the JDK lacks OpenSSL's key derivation); not registered
   * globally.
   */
  static final BouncyCastleProvider BC = new BouncyCastleProvider();

  static KeyPair rsa;
  static KeyPair ec;

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
    r.initialize(2048);
    rsa = r.generateKeyPair();
    KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
    e.initialize(new ECGenParameterSpec("secp256r1"));
    ec = e.generateKeyPair();
  }

  static String pem(PemObjectGenerator... objects) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      for (PemObjectGenerator o : objects) {
        w.writeObject(o);
      }
    }
    return out.toString();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The output is one PKCS#8 PEM block that the JDK reads as the private key of {@code expected}.
   */
  static void assertPkcs8Of(byte[] out, KeyPair expected) throws Exception {
    String text = new String(out, StandardCharsets.US_ASCII);
    assertThat(text)
        .startsWith("-----BEGIN PRIVATE KEY-----\n")
        .endsWith("-----END PRIVATE KEY-----\n");
    byte[] der = Base64.getMimeDecoder().decode(text.replaceAll("-----[A-Z ]+-----", ""));
    String algorithm = expected.getPrivate().getAlgorithm();
    PrivateKey back =
        KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    // the same key: what it signs, the public key verifies
    String signing = algorithm.equals("EC") ? "SHA256withECDSA" : "SHA256with" + algorithm;
    Signature signer = Signature.getInstance(signing);
    signer.initSign(back);
    signer.update(der);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(signing);
    verifier.initVerify(expected.getPublic());
    verifier.update(der);
    assertThat(verifier.verify(signature)).isTrue();
  }

  @Test
  void pkcs8RsaAndEc() throws Exception {
    for (KeyPair kp : new KeyPair[] {rsa, ec}) {
      String in = pem(new JcaPKCS8Generator(kp.getPrivate(), null));
      assertThat(in).startsWith("-----BEGIN PRIVATE KEY-----");
      assertPkcs8Of(PrivateKeys.toPkcs8Pem(ascii(in)), kp);
    }
  }

  @Test
  void pkcs1Rsa() throws Exception {
    String in = pem(new JcaMiscPEMGenerator(rsa.getPrivate()));
    assertThat(in).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertPkcs8Of(PrivateKeys.toPkcs8Pem(ascii(in)), rsa);
  }

  /**
   * {@code ec} as SEC1 the way openssl and Go (cert-manager) write it: with the named curve and the
   * public key. (BouncyCastle writes a JDK key without the curve, which the JDK keeps in the PKCS#8
   * algorithm identifier only.)
   */
  static String sec1(KeyPair kp) throws Exception {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(kp.getPrivate().getEncoded());
    ECPrivateKey bare = ECPrivateKey.getInstance(info.parsePrivateKey());
    ECPrivateKey full =
        new ECPrivateKey(
            256,
            bare.getKey(),
            SubjectPublicKeyInfo.getInstance(kp.getPublic().getEncoded()).getPublicKeyData(),
            info.getPrivateKeyAlgorithm().getParameters());
    return pem(new PemObject("EC PRIVATE KEY", full.getEncoded()));
  }

  @Test
  void sec1Ec() throws Exception {
    assertPkcs8Of(PrivateKeys.toPkcs8Pem(ascii(sec1(ec))), ec);
  }

  @Test
  void sec1EcWithoutItsCurveIsReported() throws Exception {
    String in = pem(new JcaMiscPEMGenerator(ec.getPrivate()));
    assertThat(in).startsWith("-----BEGIN EC PRIVATE KEY-----");
    assertThatThrownBy(() -> PrivateKeys.toPkcs8Pem(ascii(in)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("tls.key: cannot read the PEM private key: ");
  }

  @Test
  void textAndEcParametersBeforeTheKeyAreSkipped() throws Exception {
    // what `openssl ecparam -name prime256v1 -genkey` writes, after a comment line
    String params =
        pem(
            new PemObject(
                "EC PARAMETERS", new ASN1ObjectIdentifier("1.2.840.10045.3.1.7").getEncoded()));
    String in = "issued by test\n" + params + sec1(ec);
    assertPkcs8Of(PrivateKeys.toPkcs8Pem(ascii(in)), ec);
  }

  @Test
  void garbageIsReportedNamingTheSecretKey() {
    assertThatThrownBy(() -> PrivateKeys.toPkcs8Pem(ascii("not a key at all\n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "tls.key holds no PEM private key (expected BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY"
                + " or BEGIN EC PRIVATE KEY)");
  }

  @Test
  void aPublicKeyIsNotAPrivateKey() throws Exception {
    String in = pem(new JcaMiscPEMGenerator(rsa.getPublic()));
    assertThat(in).startsWith("-----BEGIN PUBLIC KEY-----");
    assertThatThrownBy(() -> PrivateKeys.toPkcs8Pem(ascii(in)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("tls.key holds no PEM private key");
  }

  @Test
  void undecodableKeyIsReportedWithoutItsContent() {
    String body = "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu";
    assertThatThrownBy(
            () ->
                PrivateKeys.toPkcs8Pem(
                    ascii(
                        "-----BEGIN RSA PRIVATE KEY-----\n"
                            + body
                            + "\n-----END RSA PRIVATE KEY-----\n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("tls.key: cannot read the PEM private key: ")
        .message()
        .doesNotContain(body);
  }

  @Test
  void unknownPemTypeIsReported() {
    assertThatThrownBy(
            () -> PrivateKeys.toPkcs8Pem(ascii("-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("tls.key: cannot read the PEM private key: ");
  }

  @Test
  void encryptedPkcs8IsRefusedClearly() throws Exception {
    var encryptor =
        new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
            .setProvider(BC)
            .setPassword("pw".toCharArray())
            .build();
    String in = pem(new JcaPKCS8Generator(rsa.getPrivate(), encryptor));
    assertThat(in).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    assertEncryptedRefused(in);
  }

  @Test
  void encryptedPkcs1AndSec1AreRefusedClearly() throws Exception {
    for (KeyPair kp : new KeyPair[] {rsa, ec}) {
      String in =
          pem(
              new JcaMiscPEMGenerator(
                  kp.getPrivate(),
                  new JcePEMEncryptorBuilder("AES-128-CBC")
                      .setProvider(BC)
                      .build("pw".toCharArray())));
      assertThat(in).contains("Proc-Type: 4,ENCRYPTED");
      assertEncryptedRefused(in);
    }
  }

  static void assertEncryptedRefused(String in) {
    assertThatThrownBy(() -> PrivateKeys.toPkcs8Pem(ascii(in)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("tls.key holds an encrypted private key, which is not supported")
        .hasMessageContaining("store it unencrypted");
  }
}
