package io.disagg.operator.core;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One etcd endpoint, in the one grammar the operator accepts everywhere (validation, the rendered
 * {@code disagg_cluster.cluster_uri}, the operator's own etcd client): {@code [etcd:// | http:// |
 * https://] host:port [/...]}, where {@code host} is a DNS name, an IPv4 address or an IPv6 address
 * in brackets, and {@code port} is 1-65535. Surrounding blanks and trailing slashes are ignored;
 * the host is lower-cased.
 *
 * @param scheme the scheme as written, lower-cased ({@code etcd}, {@code http}, {@code https}), or
 *     empty when none was written
 * @param host DNS name, IPv4 address or bracketed IPv6 address ({@code [fd00::1]})
 * @param port TCP port, 1-65535
 */
public record EtcdEndpoint(String scheme, String host, int port) {

  private static final Pattern GRAMMAR =
      Pattern.compile(
          "^(?:(?<scheme>[A-Za-z]+)://)?(?<host>\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9.\\-]*[A-Za-z0-9])?):(?<port>[0-9]{1,5})/*$");

  public EtcdEndpoint {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(host, "host");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range 1-65535");
    }
  }

  /**
   * Parses one endpoint.
   *
   * @throws IllegalArgumentException naming what is wrong, when {@code raw} does not follow the
   *     grammar
   */
  public static EtcdEndpoint parse(String raw) {
    if (raw == null || raw.isBlank()) {
      throw new IllegalArgumentException("is empty");
    }
    Matcher m = GRAMMAR.matcher(raw.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'"
              + raw
              + "' is not host:port (port 1-65535, IPv6 in brackets),"
              + " optionally prefixed etcd://, http:// or https://, e.g. etcd.infra.svc:2379");
    }
    String scheme = m.group("scheme") == null ? "" : m.group("scheme").toLowerCase(Locale.ROOT);
    if (!scheme.isEmpty()
        && !scheme.equals("etcd")
        && !scheme.equals("http")
        && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          "'"
              + raw
              + "' has scheme "
              + scheme
              + "://; only etcd://, http:// and https:// are accepted");
    }
    int port = Integer.parseInt(m.group("port"));
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(
          "'" + raw + "': port " + port + " is out of range 1-65535");
    }
    return new EtcdEndpoint(scheme, m.group("host").toLowerCase(Locale.ROOT), port);
  }

  /** {@code host:port}. */
  public String hostPort() {
    return host + ":" + port;
  }

  /** Whether the endpoint was written with {@code https://}: an etcd that expects TLS. */
  public boolean tls() {
    return scheme.equals("https");
  }

  @Override
  public String toString() {
    return hostPort();
  }
}
