package io.disagg.operator.model;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.core.Pool;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

/**
 * The headless Service {@code <name>-<pool>} of a worker pool: the StatefulSet's governing service
 * (stable pod DNS names). Workers are found by the router through discovery (etcd), not through
 * this Service, so it publishes not-ready addresses too.
 */
public final class PoolServices {
  private PoolServices() {}

  public static Service desired(DisaggCluster cr, Pool pool) {
    int port = cr.getSpec().pool(pool).getPort();
    Service svc =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(Names.pool(cr, pool))
            .withNamespace(cr.getMetadata().getNamespace())
            .withLabels(Labels.component(cr, pool.id()))
            .endMetadata()
            .withNewSpec()
            .withClusterIP("None")
            .withPublishNotReadyAddresses(true)
            .withSelector(Labels.selector(cr, pool.id()))
            .addNewPort()
            .withName(WorkerStatefulSets.PORT_NAME)
            .withPort(port)
            .withTargetPort(new IntOrString(WorkerStatefulSets.PORT_NAME))
            .withProtocol("TCP")
            .endPort()
            .endSpec()
            .build();
    return Hashes.withDesiredHash(svc);
  }
}
