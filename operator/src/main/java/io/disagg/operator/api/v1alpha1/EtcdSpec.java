package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/** etcd endpoints for discovery. */
public class EtcdSpec {

  @Required
  @Size(min = 1, max = 16)
  @JsonPropertyDescription("etcd client endpoints, host:port, e.g. etcd.infra.svc:2379. Written as disagg_cluster.cluster_uri etcd://host:port (comma-separated when several; several need a TensorRT-LLM release whose Etcd3ClusterStorage splits the URI on commas). TensorRT-LLM connects without TLS.")
  private List<String> endpoints = new ArrayList<>();

  public List<String> getEndpoints() {
    return endpoints;
  }

  public void setEndpoints(List<String> endpoints) {
    this.endpoints = endpoints;
  }
}
