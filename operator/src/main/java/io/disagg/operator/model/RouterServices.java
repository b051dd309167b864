package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.RouterServiceSpec;
import io.disagg.operator.api.v1alpha1.RouterSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.Map;

/** The router's Service {@code <name>-router}: the OpenAI-compatible endpoint of the cluster. */
public final class RouterServices {
  private RouterServices() {}

  /**
   * Type and annotations from {@code spec.router.service}; port {@code http} = {@code
   * spec.router.port} to the router container's port named {@code http}.
   */
  public static Service desired(DisaggCluster cr) {
    RouterSpec router = RouterDeployments.router(cr);
    RouterServiceSpec s =
        router.getService() == null ? new RouterServiceSpec() : router.getService();
    String type =
        s.getType() == null ? RouterServiceSpec.ServiceType.ClusterIP.name() : s.getType().name();
    Service svc =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(Names.router(cr))
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(Labels.component(cr, Labels.ROUTER_COMPONENT))
            .withAnnotations(Merge.maps(s.getAnnotations(), Map.of()))
            .endMetadata()
            .withNewSpec()
            .withType(type)
            .withSelector(Labels.selector(cr, Labels.ROUTER_COMPONENT))
            .addNewPort()
            .withName(WorkerStatefulSets.PORT_NAME)
            .withPort(router.getPort())
            .withTargetPort(new IntOrString(WorkerStatefulSets.PORT_NAME))
            .withProtocol("TCP")
            .endPort()
            .endSpec()
            .build();
    return Hashes.withDesiredHash(svc);
  }
}
