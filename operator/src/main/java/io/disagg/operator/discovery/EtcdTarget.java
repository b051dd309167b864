package io.disagg.operator.discovery;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where and how the operator connects to one etcd: two targets are equal exactly when a connection
 * made for one can serve the other, so {@link EtcdConnections} shares one client per distinct
 * target. Build it with {@link EtcdTargetResolver}.
 *
 * @param endpoints endpoint URLs, normalized ({@code http://host:port}, or {@code
 *     https://host:port} when {@link #caPem} is set), without duplicates, sorted; never empty
 * @param username etcd user name, or null for no authentication
 * @param password etcd password (with {@code username}), or null
 * @param caPem PEM CA certificate(s) that verify the server certificate, or null for plain text
 * @param certPem PEM client certificate chain for client-certificate authentication, or null
 * @param keyPem PEM private key of {@code certPem} (PKCS#8, PKCS#1 RSA or SEC1 EC; not encrypted),
 *     or null
 */
public record EtcdTarget(
    List<String> endpoints,
    String username,
    String password,
    byte[] caPem,
    byte[] certPem,
    byte[] keyPem) {

  public EtcdTarget {
    Objects.requireNonNull(endpoints, "endpoints");
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("an etcd target needs at least one endpoint");
    }
    endpoints = List.copyOf(endpoints);
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("username and password go together");
    }
    if ((certPem == null) != (keyPem == null)) {
      throw new IllegalArgumentException("client certificate and key go together");
    }
    if (certPem != null && caPem == null) {
      throw new IllegalArgumentException("a client certificate needs TLS (a CA certificate)");
    }
    caPem = caPem == null ? null : caPem.clone();
    certPem = certPem == null ? null : certPem.clone();
    keyPem = keyPem == null ? null : keyPem.clone();
  }

  /** Whether the connection uses TLS. */
  public boolean tls() {
    return caPem != null;
  }

  /** Whether the connection authenticates with user name and password. */
  public boolean authenticated() {
    return username != null;
  }

  @Override
  public byte[] caPem() {
    return caPem == null ? null : caPem.clone();
  }

  @Override
  public byte[] certPem() {
    return certPem == null ? null : certPem.clone();
  }

  @Override
  public byte[] keyPem() {
    return keyPem == null ? null : keyPem.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EtcdTarget t
        && endpoints.equals(t.endpoints)
        && Objects.equals(username, t.username)
        && Objects.equals(password, t.password)
        && Arrays.equals(caPem, t.caPem)
        && Arrays.equals(certPem, t.certPem)
        && Arrays.equals(keyPem, t.keyPem);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        endpoints,
        username,
        password,
        Arrays.hashCode(caPem),
        Arrays.hashCode(certPem),
        Arrays.hashCode(keyPem));
  }

  /** Endpoints and which credentials are present; never the password or key material. */
  @Override
  public String toString() {
    return "EtcdTarget"
        + endpoints
        + (username != null ? " user=" + username : "")
        + (tls() ? " tls" : "")
        + (certPem != null ? "+client-cert" : "");
  }
}
