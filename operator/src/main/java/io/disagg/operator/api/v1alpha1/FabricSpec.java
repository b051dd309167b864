package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Network fabric of the KV-cache transfer. */
public class FabricSpec {

  @JsonPropertyDescription("AWS Elastic Fabric Adapter through libfabric (NIXL LIBFABRIC backend).")
  private EfaSpec efa = new EfaSpec();

  @JsonPropertyDescription(
      "Run-time check of the KV-cache transfer bandwidth of the generation pool (condition KVTransferHealthy); on by default with EFA.")
  private KvTransferCheckSpec kvTransferCheck;

  public EfaSpec getEfa() {
    return efa;
  }

  public void setEfa(EfaSpec efa) {
    this.efa = efa;
  }

  public KvTransferCheckSpec getKvTransferCheck() {
    return kvTransferCheck;
  }

  public void setKvTransferCheck(KvTransferCheckSpec kvTransferCheck) {
    this.kvTransferCheck = kvTransferCheck;
  }
}
