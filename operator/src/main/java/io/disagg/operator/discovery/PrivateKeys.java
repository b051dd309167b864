package io.disagg.operator.discovery;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads the PEM private key of the operator's etcd client certificate (Secret key {@value
 * EtcdTargetResolver#KEY_KEY}) with BouncyCastle's {@link PEMParser} and {@link JcaPEMKeyConverter}
 * (the JDK's key factories; BouncyCastle is not registered as a JCA provider) and writes it as
 * PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), the encoding Netty reads.
 *
 * <p>Accepted: PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY},
 * cert-manager's default) and SEC1 EC ({@code BEGIN EC PRIVATE KEY}, naming its curve as openssl
 * and Go write it). Text, and known PEM blocks that are no private key (such as the {@code EC
 * PARAMETERS} of {@code openssl ecparam -genkey}), before the key are skipped; the first private
 * key is used.
 *
 * <p>Not accepted: encrypted keys ({@code BEGIN ENCRYPTED PRIVATE KEY}, or PKCS#1 / SEC1 with
 * {@code Proc-Type: 4,ENCRYPTED}), as the DisaggCluster API has no place for a passphrase.
 */
final class PrivateKeys {
  private PrivateKeys() {}

  private static final String KEY = EtcdTargetResolver.KEY_KEY;

  /**
   * The first private key in {@code pem}, as PKCS#8 PEM.
   *
   * @throws IllegalArgumentException when {@code pem} holds no private key, an encrypted one, or
   *     one that cannot be decoded; the message names the Secret key and holds no key material
   */
  static byte[] toPkcs8Pem(byte[] pem) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new JcaPKCS8Generator(read(pem), null));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not thrown by a StringWriter
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The first private key in {@code pem}.
   *
   * @throws IllegalArgumentException as {@link #toPkcs8Pem}
   */
  static PrivateKey read(byte[] pem) {
    Object o;
    try (PEMParser parser =
        new PEMParser(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      do {
        o = parser.readObject();
      } while (o != null
          && !(o instanceof PrivateKeyInfo
              || o instanceof PEMKeyPair
              || o instanceof PKCS8EncryptedPrivateKeyInfo
              || o instanceof PEMEncryptedKeyPair));
    } catch (IOException | RuntimeException e) {
      throw unreadable(e);
    }
    if (o == null) {
      throw new IllegalArgumentException(
          KEY
              + " holds no PEM private key (expected BEGIN PRIVATE KEY,"
              + " BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)");
    }
    if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
      throw new IllegalArgumentException(
          KEY
              + " holds an encrypted private key, which is not supported (there is"
              + " no setting for its passphrase): store it unencrypted, e.g. openssl pkey -in encrypted.key -out "
              + KEY);
    }
    PrivateKeyInfo info =
        o instanceof PEMKeyPair pair ? pair.getPrivateKeyInfo() : (PrivateKeyInfo) o;
    try {
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException | RuntimeException e) {
      throw unreadable(e);
    }
  }

  private static IllegalArgumentException unreadable(Exception e) {
    return new IllegalArgumentException(
        KEY + ": cannot read the PEM private key: " + e.getMessage(), e);
  }
}
