package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import java.util.ArrayList;
import java.util.List;

/**
 * The etcd used for discovery. TensorRT-LLM's router and workers connect to {@link #endpoints}
 * without TLS and without credentials ({@code Etcd3ClusterStorage} in {@code
 * tensorrt_llm/serve/cluster_storage.py} builds its endpoints with {@code secure=False} and passes
 * no user or password); {@link #tlsSecretRef} and {@link #authSecretRef} only configure the
 * operator's own connection (watching registrations, deleting them on scale-down).
 */
public class EtcdSpec {

  @Size(max = 16)
  @JsonPropertyDescription(
      "etcd client endpoints, host:port, e.g. etcd.infra.svc:2379. Empty or unset:"
          + " the operator's installation-wide default (operator configuration disagg.discovery.default-etcd-endpoints)."
          + " Written as disagg_cluster.cluster_uri etcd://host:port (comma-separated when several; several need a"
          + " TensorRT-LLM release whose Etcd3ClusterStorage splits the URI on commas)."
          + " TensorRT-LLM connects to these endpoints without TLS and without credentials.")
  private List<String> endpoints = new ArrayList<>();

  @JsonPropertyDescription(
      "For the operator's own etcd connection only: name of a Secret in this DisaggCluster's"
          + " namespace holding the PEM CA certificate that signed the etcd server certificate (key ca.crt) and,"
          + " for client-certificate authentication, the client certificate (tls.crt) and its private key (tls.key)."
          + " Set: the operator connects with TLS and verifies each endpoint's server certificate against ca.crt"
          + " and for the host name or IP address of that endpoint. TensorRT-LLM itself connects without TLS"
          + " (cluster_storage.py, Etcd3ClusterStorage: secure=False), so the endpoints must also accept"
          + " plain-text clients for the workers and the router to register and discover.")
  private LocalObjectReference tlsSecretRef;

  @JsonPropertyDescription(
      "For the operator's own etcd connection only: name of a Secret in this DisaggCluster's"
          + " namespace with the etcd user name (key username) and password (key password). TensorRT-LLM itself"
          + " connects without credentials (cluster_storage.py, Etcd3ClusterStorage), so it works only where etcd"
          + " accepts its unauthenticated requests.")
  private LocalObjectReference authSecretRef;

  public List<String> getEndpoints() {
    return endpoints;
  }

  public void setEndpoints(List<String> endpoints) {
    this.endpoints = endpoints;
  }

  public LocalObjectReference getTlsSecretRef() {
    return tlsSecretRef;
  }

  public void setTlsSecretRef(LocalObjectReference tlsSecretRef) {
    this.tlsSecretRef = tlsSecretRef;
  }

  public LocalObjectReference getAuthSecretRef() {
    return authSecretRef;
  }

  public void setAuthSecretRef(LocalObjectReference authSecretRef) {
    this.authSecretRef = authSecretRef;
  }
}
