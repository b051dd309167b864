package io.disagg.operator.model;

import static io.disagg.operator.model.ModelFixtures.cluster;
import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.LogLevel;
import io.disagg.operator.api.v1alpha1.RouterServiceSpec.ServiceType;
import io.disagg.operator.core.Pool;
import io.disagg.operator.scaling.Replicas;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterAndServicesTest {

  private static final String HASH = "aaaabbbbccccdddd";

  // --- router Deployment -------------------------------------------------------------------------

  @Test
  void routerCommandAndTimeouts() {
    DisaggCluster cr = cluster();
    cr.getSpec().getRouter().setServerStartTimeoutSeconds(600);
    cr.getSpec().getRouter().setRequestTimeoutSeconds(3600);
    assertThat(RouterDeployments.command(cr))
        .containsExactly(
            "trtllm-serve",
            "disaggregated",
            "-c",
            "/etc/trtllm/router.yaml",
            "-t",
            "600",
            "-r",
            "3600");
    cr.getSpec().setLogLevel(LogLevel.INFO);
    assertThat(RouterDeployments.command(cr)).endsWith("-l", "info");
  }

  @Test
  void routerLivenessIsTcpNotHealth() {
    Container c =
        RouterDeployments.desired(cluster(), ModelFixtures.names(cluster()), 1, HASH)
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(c.getName()).isEqualTo("router");
    assertThat(c.getLivenessProbe().getHttpGet()).isNull();
    assertThat(c.getLivenessProbe().getTcpSocket().getPort()).isEqualTo(new IntOrString("http"));
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(c.getReadinessProbe().getHttpGet().getPort()).isEqualTo(new IntOrString("http"));
    assertThat(c.getStartupProbe().getHttpGet()).isNull();
    // the startup probe gives the router at least its server start timeout
    assertThat(c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold())
        .isGreaterThanOrEqualTo(180);
  }

  @Test
  void aLeavingRouterWaitsForTheEndpointsThenHasTheRequestTimeoutToFinish() {
    DisaggCluster cr = cluster();
    cr.getSpec().getRouter().setRequestTimeoutSeconds(120);
    var pod =
        RouterDeployments.desired(cr, ModelFixtures.names(cr), 1, HASH)
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(pod.getContainers().get(0).getLifecycle().getPreStop().getExec().getCommand())
        .containsExactly("sleep", "10");
    assertThat(pod.getTerminationGracePeriodSeconds())
        .as("the preStop's 10 s, then a request accepted at its end may take 120 s")
        .isEqualTo(130L);
  }

  @Test
  void routerDeploymentShape() {
    DisaggCluster cr = cluster();
    var r = cr.getSpec().getRouter();
    r.setReplicas(3);
    r.setPort(9000);
    r.setResources(
        new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("2")).build());
    r.setEnv(List.of(new EnvVarBuilder().withName("X").withValue("1").build()));
    r.setNodeSelector(Map.of("pool", "cpu"));
    r.setTolerations(List.of(new TolerationBuilder().withKey("k").withOperator("Exists").build()));
    cr.getSpec().setServiceAccountName("sa");
    cr.getSpec()
        .setImagePullSecrets(
            List.of(new io.fabric8.kubernetes.api.model.LocalObjectReference("pull")));

    Deployment d =
        RouterDeployments.desired(
            cr, ModelFixtures.names(cr), cr.getSpec().getRouter().getReplicas(), HASH);
    assertThat(d.getMetadata().getName()).isEqualTo("demo-router");
    assertThat(d.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, Labels.MANAGER);
    assertThat(d.getSpec().getReplicas()).isEqualTo(3);
    assertThat(d.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable())
        .isEqualTo(new IntOrString(0));
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxSurge())
        .isEqualTo(new IntOrString(1));
    assertThat(d.getSpec().getSelector().getMatchLabels()).isEqualTo(Labels.selector(cr, "router"));
    var t = d.getSpec().getTemplate();
    assertThat(t.getMetadata().getLabels()).containsAllEntriesOf(Labels.selector(cr, "router"));
    assertThat(t.getMetadata().getAnnotations()).containsEntry(Labels.CONFIG_HASH, HASH);
    var pod = t.getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("sa");
    assertThat(pod.getImagePullSecrets()).extracting(s -> s.getName()).containsExactly("pull");
    assertThat(pod.getNodeSelector()).containsEntry("pool", "cpu");
    assertThat(pod.getTolerations()).hasSize(1);
    assertThat(pod.getVolumes())
        .extracting(v -> v.getName())
        .containsExactly("config", "tmp", "home");
    assertThat(pod.getVolumes().get(0))
        .satisfies(
            v -> {
              assertThat(v.getConfigMap().getName()).isEqualTo("demo-config");
              assertThat(v.getConfigMap().getItems())
                  .singleElement()
                  .satisfies(i -> assertThat(i.getKey()).isEqualTo("router.yaml"));
            });
    Container c = pod.getContainers().get(0);
    assertThat(c.getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getContainerPort()).isEqualTo(9000);
            });
    assertThat(c.getResources().getRequests()).containsEntry("cpu", new Quantity("2"));
    assertThat(c.getEnv()).extracting(e -> e.getName()).containsExactly("X", "HOME");
    assertThat(c.getVolumeMounts())
        .extracting(m -> m.getMountPath())
        .containsExactly("/etc/trtllm", "/tmp", "/home/trtllm");
    assertThat(c.getVolumeMounts().get(0))
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/etc/trtllm");
              assertThat(m.getReadOnly()).isTrue();
            });
  }

  @Test
  void routerConfigHashFollowsOnlyRouterYaml() {
    var a = ModelFixtures.configData("c", "g", "r1");
    var b = ModelFixtures.configData("c2", "g2", "r1");
    var c = ModelFixtures.configData("c", "g", "r2");
    assertThat(RouterDeployments.configHash(a))
        .isEqualTo(RouterDeployments.configHash(b))
        .isNotEqualTo(RouterDeployments.configHash(c));
  }

  // --- router Service ---------------------------------------------------------------------------

  @Test
  void routerService() {
    DisaggCluster cr = cluster();
    cr.getSpec().getRouter().setPort(8080);
    cr.getSpec().getRouter().getService().setType(ServiceType.LoadBalancer);
    cr.getSpec()
        .getRouter()
        .getService()
        .setAnnotations(Map.of("service.beta.kubernetes.io/aws-load-balancer-type", "nlb"));
    Service s = RouterServices.desired(cr);
    assertThat(s.getMetadata().getName()).isEqualTo("demo-router");
    assertThat(s.getMetadata().getAnnotations())
        .containsEntry("service.beta.kubernetes.io/aws-load-balancer-type", "nlb")
        .containsKey(Labels.DESIRED_HASH);
    assertThat(s.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(s.getSpec().getSelector()).isEqualTo(Labels.selector(cr, "router"));
    assertThat(s.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getPort()).isEqualTo(8080);
              assertThat(p.getTargetPort()).isEqualTo(new IntOrString("http"));
            });
    assertThat(RouterServices.desired(cluster()).getSpec().getType()).isEqualTo("ClusterIP");
  }

  // --- pool Services and PDBs --------------------------------------------------------------------

  @Test
  void headlessPoolService() {
    DisaggCluster cr = cluster();
    cr.getSpec().getContext().setPort(8100);
    Service s = PoolServices.desired(cr, Pool.CONTEXT);
    assertThat(s.getMetadata().getName()).isEqualTo("demo-context");
    assertThat(s.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(s.getSpec().getPublishNotReadyAddresses()).isTrue();
    assertThat(s.getSpec().getSelector()).isEqualTo(Labels.selector(cr, "context"));
    assertThat(s.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("http");
              assertThat(p.getPort()).isEqualTo(8100);
            });
  }

  @Test
  void pdbKeepsMinimalInstances() {
    DisaggCluster cr = cluster();
    cr.getSpec().getGeneration().setMinimalInstances(3);
    cr.getSpec().getGeneration().setReplicas(5);
    PodDisruptionBudget p = PoolDisruptionBudgets.desired(cr, Pool.GENERATION);
    assertThat(p.getApiVersion()).isEqualTo("policy/v1");
    assertThat(p.getMetadata().getName()).isEqualTo("demo-generation");
    assertThat(p.getSpec().getMinAvailable()).isEqualTo(new IntOrString(3));
    assertThat(p.getSpec().getMaxUnavailable()).isNull();
    assertThat(p.getSpec().getSelector().getMatchLabels())
        .isEqualTo(Labels.selector(cr, "generation"));
    assertThat(PoolDisruptionBudgets.desired(cr, Pool.CONTEXT).getSpec().getMinAvailable())
        .isEqualTo(new IntOrString(1));
  }

  // --- ConfigMaps and replicas
  // -----------------------------------------------------------------------

  @Test
  void configMapsCarryTheGivenData() {
    DisaggCluster cr = cluster();
    var cm =
        ConfigMaps.config(cr, ModelFixtures.names(cr), ModelFixtures.configData("c", "g", "r"));
    assertThat(cm.getMetadata().getName()).isEqualTo("demo-config");
    assertThat(cm.getData())
        .containsOnlyKeys("context.yaml", "generation.yaml", "router.yaml", "deregister.py");
    assertThat(cm.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, Labels.MANAGER);
    var fabric = ConfigMaps.fabric(cr, ModelFixtures.names(cr), ModelFixtures.fabricEnv());
    assertThat(fabric.getMetadata().getName()).isEqualTo("demo-fabric");
    assertThat(fabric.getData()).containsEntry("UCX_MAX_RNDV_RAILS", "1");
  }

  @Test
  void replicasFromSpecElseMinimalInstances() {
    DisaggCluster cr = cluster();
    cr.getSpec().getContext().setMinimalInstances(2);
    assertThat(Replicas.desired(cr, Pool.CONTEXT)).isEqualTo(2);
    cr.getSpec().getContext().setReplicas(4);
    assertThat(Replicas.desired(cr, Pool.CONTEXT)).isEqualTo(4);
    cr.getSpec().getContext().setReplicas(0);
    assertThat(Replicas.desired(cr, Pool.CONTEXT)).isZero();
    assertThat(Replicas.desired(cr, Pool.GENERATION)).isEqualTo(1);
  }

  // --- every child ------------------------------------------------------------------------------

  @Test
  void everyChildIsSelectableByTheManagedSelector() {
    DisaggCluster cr = cluster();
    var children =
        List.of(
            ConfigMaps.config(cr, ModelFixtures.names(cr), Map.of()),
                ConfigMaps.fabric(cr, ModelFixtures.names(cr), Map.of()),
            WorkerStatefulSets.desired(
                    cr,
                    ModelFixtures.names(cr),
                    Pool.CONTEXT,
                    Replicas.desired(cr, Pool.CONTEXT),
                    HASH,
                    "{}"),
                WorkerStatefulSets.desired(
                    cr,
                    ModelFixtures.names(cr),
                    Pool.GENERATION,
                    Replicas.desired(cr, Pool.GENERATION),
                    HASH,
                    "{}"),
            PoolServices.desired(cr, Pool.CONTEXT), PoolServices.desired(cr, Pool.GENERATION),
            PoolDisruptionBudgets.desired(cr, Pool.CONTEXT),
                PoolDisruptionBudgets.desired(cr, Pool.GENERATION),
            RouterDeployments.desired(
                    cr, ModelFixtures.names(cr), cr.getSpec().getRouter().getReplicas(), HASH),
                RouterServices.desired(cr));
    String[] kv = Labels.MANAGED_SELECTOR.split("=");
    for (var child : children) {
      assertThat(child.getMetadata().getLabels()).as(child.getKind()).containsEntry(kv[0], kv[1]);
      assertThat(child.getMetadata().getNamespace()).isEqualTo("serving");
      assertThat(Hashes.desiredHashOf(child))
          .as(child.getKind())
          .isEqualTo(Hashes.desiredHash(child));
    }
  }
}
