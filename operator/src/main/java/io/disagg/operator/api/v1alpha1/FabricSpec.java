package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Network fabric of the KV-cache transfer. */
public class FabricSpec {

  @JsonPropertyDescription("AWS Elastic Fabric Adapter through libfabric (NIXL LIBFABRIC backend).")
  private EfaSpec efa = new EfaSpec();

  public EfaSpec getEfa() {
    return efa;
  }

  public void setEfa(EfaSpec efa) {
    this.efa = efa;
  }
}
