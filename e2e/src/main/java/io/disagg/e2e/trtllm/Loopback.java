package io.disagg.e2e.trtllm;

import io.etcd.jetcd.Client;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guard of the simulators: every address they bind to or dial must be an IPv4 literal in
 * 127.0.0.0/8. Host names are refused rather than resolved (a DNS lookup could leave the machine).
 */
final class Loopback {
  private static final Pattern V4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  private Loopback() {}

  /** The address of an IPv4 literal in 127.0.0.0/8, without any name lookup. */
  static InetAddress address(String host) {
    Matcher m = V4.matcher(host == null ? "" : host.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not an IPv4 literal (simulators use loopback addresses only): " + host);
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      int v = Integer.parseInt(m.group(i + 1));
      if (v > 255) {
        throw new IllegalArgumentException("not an IPv4 address: " + host);
      }
      b[i] = (byte) v;
    }
    if (b[0] != 127) {
      throw new IllegalArgumentException("not a loopback address (127.0.0.0/8): " + host);
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(host, e);
    }
  }

  /** Whether {@code host} is an IPv4 literal in 127.0.0.0/8. */
  static boolean isLoopback(String host) {
    try {
      address(host);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * {@code host:port} of an etcd endpoint written as {@code host:port}, {@code http://host:port} or
   * {@code etcd://host:port} (one endpoint only); the host must be loopback.
   */
  static String etcdHostPort(String endpoint) {
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException("no etcd endpoint");
    }
    String s = endpoint.strip();
    String lower = s.toLowerCase(Locale.ROOT);
    for (String scheme : new String[] {"etcd://", "http://"}) {
      if (lower.startsWith(scheme)) {
        s = s.substring(scheme.length());
      }
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || s.contains(",")) {
      throw new IllegalArgumentException("expected one etcd endpoint host:port, got " + endpoint);
    }
    address(s.substring(0, colon));
    Integer.parseInt(s.substring(colon + 1));
    return s;
  }

  /** A new jetcd client of one loopback etcd endpoint; the caller closes it. */
  static Client etcdClient(String endpoint) {
    return Client.builder().endpoints("http://" + etcdHostPort(endpoint)).build();
  }

  /** Checks that an HTTP URI targets a loopback IPv4 literal. */
  static URI requireLoopback(URI uri) {
    address(uri.getHost());
    return uri;
  }
}
