package io.disagg.operator.discovery;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the PEM private-key encodings found in Kubernetes TLS Secrets into PKCS#8
 * ({@code BEGIN PRIVATE KEY}), the only one Netty reads without BouncyCastle: PKCS#1 RSA
 * ({@code BEGIN RSA PRIVATE KEY}, cert-manager's default encoding) and SEC1 EC
 * ({@code BEGIN EC PRIVATE KEY}) keys are wrapped; PKCS#8 input is returned unchanged. Encrypted
 * keys are not supported.
 */
final class PrivateKeys {
  private PrivateKeys() {}

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
  /** 1.2.840.113549.1.1.1 rsaEncryption, DER-encoded with its tag. */
  private static final byte[] OID_RSA = {0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01};
  /** 1.2.840.10045.2.1 id-ecPublicKey, DER-encoded with its tag. */
  private static final byte[] OID_EC = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
  private static final byte[] NULL = {0x05, 0x00};
  private static final byte[] VERSION_0 = {0x02, 0x01, 0x00};

  /** The key as PKCS#8 PEM. */
  static byte[] toPkcs8Pem(byte[] pem) {
    String text = new String(pem, StandardCharsets.US_ASCII);
    Matcher m = PEM.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("not a PEM private key");
    }
    String type = m.group(1);
    if (type.equals("PRIVATE KEY")) {
      return pem;
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
    byte[] pkcs8;
    switch (type) {
      case "RSA PRIVATE KEY" -> pkcs8 = seq(VERSION_0, seq(OID_RSA, NULL), tlv(0x04, der));
      case "EC PRIVATE KEY" -> pkcs8 = seq(VERSION_0, seq(OID_EC, ecCurve(der)), tlv(0x04, der));
      case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException("encrypted private keys are not supported");
      default -> throw new IllegalArgumentException("unsupported PEM type " + type);
    }
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs8);
    return ("-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** The named-curve OID (tag included) in the {@code [0] parameters} of a SEC1 ECPrivateKey. */
  private static byte[] ecCurve(byte[] der) {
    int[] outer = header(der, 0, 0x30);
    int p = outer[0];
    int end = p + outer[1];
    while (p < end) {
      int tag = der[p] & 0xff;
      int[] h = header(der, p, tag);
      if (tag == 0xa0) {
        int[] oid = header(der, h[0], 0x06);
        return Arrays.copyOfRange(der, h[0], oid[0] + oid[1]);
      }
      p = h[0] + h[1];
    }
    throw new IllegalArgumentException("EC private key without named-curve parameters");
  }

  /** {content offset, content length} of the element at {@code p}, which must have tag {@code tag}. */
  private static int[] header(byte[] der, int p, int tag) {
    if (p + 1 >= der.length || (der[p] & 0xff) != tag) {
      throw new IllegalArgumentException("malformed DER in private key");
    }
    int len = der[p + 1] & 0xff;
    int q = p + 2;
    if (len >= 0x80) {
      int n = len & 0x7f;
      len = 0;
      for (int i = 0; i < n; i++) {
        len = (len << 8) | (der[q++] & 0xff);
      }
    }
    if (q + len > der.length) {
      throw new IllegalArgumentException("malformed DER in private key");
    }
    return new int[] {q, len};
  }

  private static byte[] seq(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return tlv(0x30, b.toByteArray());
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(tag);
    int len = content.length;
    if (len < 0x80) {
      b.write(len);
    } else {
      int n = len > 0xffffff ? 4 : len > 0xffff ? 3 : len > 0xff ? 2 : 1;
      b.write(0x80 | n);
      for (int i = n - 1; i >= 0; i--) {
        b.write((len >>> (8 * i)) & 0xff);
      }
    }
    b.writeBytes(content);
    return b.toByteArray();
  }
}
