package io.disagg.operator.discovery;

/**
 * The etcd connection of a DisaggCluster cannot be configured: no endpoints anywhere, an endpoint
 * that is not {@code host:port}, a referenced Secret or one of its keys missing. The message names
 * the spec field (or configuration property), the Secret and the key; {@link #field()} is the field
 * alone, for a status condition.
 */
public class DiscoveryConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String field;

  public DiscoveryConfigException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  /**
   * The spec field path (e.g. {@code spec.discovery.etcd.tlsSecretRef}) or configuration property
   * at fault.
   */
  public String field() {
    return field;
  }
}
