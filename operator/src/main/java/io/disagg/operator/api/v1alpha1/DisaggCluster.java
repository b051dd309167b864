package io.disagg.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One TensorRT-LLM disaggregated serving deployment: a context (prefill) pool, a generation
 * (decode) pool and the router ({@code trtllm-serve disaggregated}) in front of them.
 *
 * <p>The name is limited to {@value #MAX_NAME_LENGTH} characters so that every child name (for
 * example {@code <name>-generation-<ordinal>} and the StatefulSet revision label) stays within
 * Kubernetes' 63-character label limit.
 *
 * <p>{@code kubectl get dgc} columns: the crd-generator orders them by JSON path, so they read AGE,
 * READY, CTX-DESIRED, CTX-READY, GEN-DESIRED, GEN-READY, REVISION (the serving pairing revision)
 * and with {@code -o wide} REASON and ENDPOINT.
 */
@Group(DisaggCluster.GROUP)
@Version(DisaggCluster.VERSION)
@Kind("DisaggCluster")
@ShortNames("dgc")
@ValidationRule(
    value = "size(self.metadata.name) <= 40",
    message =
        "metadata.name must be at most 40 characters: child names such as <name>-generation-<ordinal> must fit Kubernetes limits")
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ctx-Ready",
    jsonPath = ".status.context.readyReplicas",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Ctx-Desired",
    jsonPath = ".status.context.desiredReplicas",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Gen-Ready",
    jsonPath = ".status.generation.readyReplicas",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Gen-Desired",
    jsonPath = ".status.generation.desiredReplicas",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Revision",
    jsonPath = ".status.servingRevision",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Endpoint",
    jsonPath = ".status.router.endpoint",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].reason",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class DisaggCluster extends CustomResource<DisaggClusterSpec, DisaggClusterStatus>
    implements Namespaced {

  public static final String GROUP = "serving.disagg.io";
  public static final String VERSION = "v1alpha1";
  public static final int MAX_NAME_LENGTH = 40;

  @Override
  protected DisaggClusterStatus initStatus() {
    return new DisaggClusterStatus();
  }
}
