package io.disagg.operator.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EffectiveSpecTest {

  private static DisaggCluster cr(String... endpoints) {
    DisaggCluster cr = Fixtures.minimal("ml", "qwen");
    cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>(List.of(endpoints)));
    return cr;
  }

  @Test
  void defaultsAreAppliedToACopyAndTheResourceIsNotChanged() {
    DisaggCluster cr = cr();
    cr.getSpec().setBackend(null);
    cr.getSpec().getKvCacheTransfer().setBackend(null);
    cr.getSpec().getKvCacheTransfer().setNixlBackend(null);
    String before = new KubernetesSerialization().asJson(cr);

    EffectiveSpec.Result r =
        EffectiveSpec.of(cr, List.of("etcd.shared.svc:2379", "etcd://etcd2.shared.svc:2379"));

    assertThat(new KubernetesSerialization().asJson(cr))
        .as("the primary is never mutated")
        .isEqualTo(before);
    DisaggCluster eff = r.spec().cluster();
    assertThat(r.problems()).isEmpty();
    assertThat(eff.getSpec().getDiscovery().getEtcd().getEndpoints())
        .containsExactly("etcd.shared.svc:2379", "etcd2.shared.svc:2379");
    assertThat(r.spec().clusterName()).isEqualTo("ml.qwen");
    assertThat(eff.getSpec().getBackend()).isEqualTo(ModelBackend.PYTORCH);
    assertThat(eff.getSpec().getKvCacheTransfer().getBackend())
        .isEqualTo(KvCacheTransferBackend.NIXL);
    assertThat(eff.getSpec().getKvCacheTransfer().getNixlBackend()).isEqualTo(NixlBackend.UCX);
  }

  @Test
  void theSpecsEndpointsWinOverTheOperatorDefault() {
    EffectiveSpec.Result r =
        EffectiveSpec.of(
            cr("etcd://ETCD-A.infra:2379/", " ", "etcd-a.infra:2379"), List.of("default:2379"));
    assertThat(r.spec().etcdEndpoints())
        .extracting(e -> e.hostPort())
        .containsExactly("etcd-a.infra:2379");
    assertThat(r.problems())
        .extracting(SpecProblem::field, SpecProblem::severity)
        .containsExactly(
            tuple("spec.discovery.etcd.endpoints[1]", SpecProblem.Severity.ERROR),
            tuple("spec.discovery.etcd.endpoints[2]", SpecProblem.Severity.WARNING));
  }

  @Test
  void noEndpointAndNoOperatorDefaultIsASpecErrorNamingTheField() {
    EffectiveSpec.Result r = EffectiveSpec.of(cr(), List.of());
    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo("spec.discovery.etcd.endpoints");
              assertThat(p.isError()).isTrue();
              assertThat(p.message()).contains("disagg.discovery.default-etcd-endpoints");
            });
    assertThat(r.spec().etcdEndpoints()).isEmpty();
  }

  @Test
  void aBadOperatorDefaultNamesTheProperty() {
    EffectiveSpec.Result r = EffectiveSpec.of(cr(), List.of("host:99999"));
    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.field()).isEqualTo("spec.discovery.etcd.endpoints");
              assertThat(p.message())
                  .contains("disagg.discovery.default-etcd-endpoints")
                  .contains("99999");
            });
  }

  @Test
  void tlsEndpointsAreRefusedBecauseTensorRtLlmConnectsWithoutTls() {
    EffectiveSpec.Result r = EffectiveSpec.of(cr("https://etcd:2379"), List.of());
    assertThat(r.problems())
        .extracting(SpecProblem::field)
        .contains("spec.discovery.etcd.endpoints[0]");
    assertThat(r.problems().get(0).message()).contains("TLS");
  }
}
