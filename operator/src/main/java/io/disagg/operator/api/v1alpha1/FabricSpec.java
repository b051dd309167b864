package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** Network fabric of the KV-cache transfer. */
public class FabricSpec {

  @JsonPropertyDescription("AWS Elastic Fabric Adapter through libfabric (NIXL LIBFABRIC backend).")
  private EfaSpec efa = new EfaSpec();

  @Default("true")
  @JsonPropertyDescription(
      "Run the fabric pre-flight init container (fabric-preflight) in worker pods when EFA or NIXL's LIBFABRIC backend is on: it checks the EFA devices, libfabric's EFA provider, hugepages and NIXL's LIBFABRIC plugin in seconds and reports a failure as condition Degraded (EfaDevicesMissing, EfaProviderUnavailable, HugepagesMissing, NixlPluginMissing) naming the node. false: no init container.")
  private boolean preflight = true;

  @JsonPropertyDescription(
      "Run-time check of the KV-cache transfer bandwidth of the generation pool (condition KVTransferHealthy); on by default with EFA.")
  private KvTransferCheckSpec kvTransferCheck;

  public EfaSpec getEfa() {
    return efa;
  }

  public void setEfa(EfaSpec efa) {
    this.efa = efa;
  }

  public boolean isPreflight() {
    return preflight;
  }

  public void setPreflight(boolean preflight) {
    this.preflight = preflight;
  }

  public KvTransferCheckSpec getKvTransferCheck() {
    return kvTransferCheck;
  }

  public void setKvTransferCheck(KvTransferCheckSpec kvTransferCheck) {
    this.kvTransferCheck = kvTransferCheck;
  }
}
