package io.disagg.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pod settings a pool may add to what the operator generates. Labels, annotations, volumes, mounts
 * and containers are added; the operator's own labels and volumes keep their values.
 */
public class PodTemplateOverrides {

  @JsonPropertyDescription("Extra pod labels.")
  private Map<String, String> labels = new LinkedHashMap<>();

  @JsonPropertyDescription("Extra pod annotations.")
  private Map<String, String> annotations = new LinkedHashMap<>();

  @JsonPropertyDescription("priorityClassName of the pods.")
  private String priorityClassName;

  @JsonPropertyDescription("runtimeClassName of the pods (e.g. nvidia).")
  private String runtimeClassName;

  @JsonPropertyDescription("schedulerName of the pods (e.g. a gang scheduler).")
  private String schedulerName;

  @JsonPropertyDescription(
      "Pod security context; each field set here replaces the operator's default of that field (docs/pod-security.md: runAsNonRoot, runAsUser, seccompProfile). runAsUser 0 without runAsNonRoot drops the default runAsNonRoot. Settings below the documented level are reported as spec warnings.")
  private PodSecurityContext securityContext;

  @JsonPropertyDescription(
      "Security context of the operator's containers of the pool (worker, fabric-preflight, model-cache-wait); each field set here replaces the operator's default of that field (allowPrivilegeEscalation, capabilities, readOnlyRootFilesystem, privileged). Sidecars and init containers of this podTemplate keep their own.")
  private SecurityContext containerSecurityContext;

  @JsonPropertyDescription("Topology spread constraints.")
  private List<TopologySpreadConstraint> topologySpreadConstraints = new ArrayList<>();

  @JsonPropertyDescription("Extra volumes, e.g. a model cache PVC.")
  private List<Volume> volumes = new ArrayList<>();

  @JsonPropertyDescription("Extra mounts of the worker container.")
  private List<VolumeMount> volumeMounts = new ArrayList<>();

  @JsonPropertyDescription("Init containers, e.g. to download the model.")
  private List<Container> initContainers = new ArrayList<>();

  @JsonPropertyDescription("Sidecar containers added next to the worker container.")
  private List<Container> sidecars = new ArrayList<>();

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }

  public Map<String, String> getAnnotations() {
    return annotations;
  }

  public void setAnnotations(Map<String, String> annotations) {
    this.annotations = annotations;
  }

  public String getPriorityClassName() {
    return priorityClassName;
  }

  public void setPriorityClassName(String priorityClassName) {
    this.priorityClassName = priorityClassName;
  }

  public String getRuntimeClassName() {
    return runtimeClassName;
  }

  public void setRuntimeClassName(String runtimeClassName) {
    this.runtimeClassName = runtimeClassName;
  }

  public String getSchedulerName() {
    return schedulerName;
  }

  public void setSchedulerName(String schedulerName) {
    this.schedulerName = schedulerName;
  }

  public PodSecurityContext getSecurityContext() {
    return securityContext;
  }

  public void setSecurityContext(PodSecurityContext securityContext) {
    this.securityContext = securityContext;
  }

  public SecurityContext getContainerSecurityContext() {
    return containerSecurityContext;
  }

  public void setContainerSecurityContext(SecurityContext containerSecurityContext) {
    this.containerSecurityContext = containerSecurityContext;
  }

  public List<TopologySpreadConstraint> getTopologySpreadConstraints() {
    return topologySpreadConstraints;
  }

  public void setTopologySpreadConstraints(
      List<TopologySpreadConstraint> topologySpreadConstraints) {
    this.topologySpreadConstraints = topologySpreadConstraints;
  }

  public List<Volume> getVolumes() {
    return volumes;
  }

  public void setVolumes(List<Volume> volumes) {
    this.volumes = volumes;
  }

  public List<VolumeMount> getVolumeMounts() {
    return volumeMounts;
  }

  public void setVolumeMounts(List<VolumeMount> volumeMounts) {
    this.volumeMounts = volumeMounts;
  }

  public List<Container> getInitContainers() {
    return initContainers;
  }

  public void setInitContainers(List<Container> initContainers) {
    this.initContainers = initContainers;
  }

  public List<Container> getSidecars() {
    return sidecars;
  }

  public void setSidecars(List<Container> sidecars) {
    this.sidecars = sidecars;
  }
}
