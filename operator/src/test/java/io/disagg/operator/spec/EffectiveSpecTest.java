package io.disagg.operator.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.KvCacheTransferBackend;
import io.disagg.operator.api.v1alpha1.KvTransferCheckSpec;
import io.disagg.operator.api.v1alpha1.ModelBackend;
import io.disagg.operator.api.v1alpha1.MonitoringSpec;
import io.disagg.operator.api.v1alpha1.NixlBackend;
import io.disagg.operator.api.v1alpha1.PoolRolloutSpec;
import io.disagg.operator.api.v1alpha1.RolloutSpec;
import io.disagg.operator.api.v1alpha1.RolloutStrategy;
import io.disagg.operator.api.v1alpha1.SelfHealingSpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
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
        EffectiveSpecs.of(cr, List.of("etcd.shared.svc:2379", "etcd://etcd2.shared.svc:2379"));

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
  void rolloutDefaultsFillWhatIsUnsetAndKeepWhatIsSet() {
    DisaggCluster cr = cr("etcd:2379");
    DisaggCluster unset = EffectiveSpecs.of(cr, List.of()).spec().cluster();
    assertThat(cr.getSpec().getRollout()).as("the primary is never mutated").isNull();
    RolloutSpec r = unset.getSpec().getRollout();
    assertThat(r.getStrategy()).isEqualTo(RolloutStrategy.RevisionSurge);
    for (Pool p : Pool.values()) {
      assertThat(r.pool(p).getMaxSurge())
          .isEqualTo(new IntOrString(EffectiveSpec.DEFAULT_MAX_SURGE))
          .isEqualTo(new IntOrString("100%"));
    }

    RolloutSpec given = new RolloutSpec();
    given.setStrategy(RolloutStrategy.Recreate);
    given.setGeneration(new PoolRolloutSpec());
    given.getGeneration().setMaxSurge(new IntOrString(2));
    cr.getSpec().setRollout(given);
    RolloutSpec set = EffectiveSpecs.of(cr, List.of()).spec().cluster().getSpec().getRollout();
    assertThat(set.getStrategy()).isEqualTo(RolloutStrategy.Recreate);
    assertThat(set.getGeneration().getMaxSurge()).isEqualTo(new IntOrString(2));
    assertThat(set.getContext().getMaxSurge()).isEqualTo(new IntOrString("100%"));
  }

  @Test
  void selfHealingDefaultsFollowTheLeaseTtlWithAFloorOf60Seconds() {
    DisaggCluster cr = cr("etcd:2379");
    SelfHealingSpec h =
        EffectiveSpecs.of(cr, List.of()).spec().cluster().getSpec().getSelfHealing();
    assertThat(cr.getSpec().getSelfHealing()).as("the primary is never mutated").isNull();
    assertThat(h.getRestartUnregisteredWorkers()).isTrue();
    assertThat(h.getUnregisteredTimeoutSeconds()).as("3 x 10 s is below the floor").isEqualTo(60);
    assertThat(h.getMinRestartIntervalSeconds()).isEqualTo(60);

    cr.getSpec().getDiscovery().setInactiveTimeoutSeconds(40);
    cr.getSpec().setSelfHealing(new SelfHealingSpec());
    cr.getSpec().getSelfHealing().setRestartUnregisteredWorkers(false);
    h = EffectiveSpecs.of(cr, List.of()).spec().cluster().getSpec().getSelfHealing();
    assertThat(h.getUnregisteredTimeoutSeconds()).isEqualTo(120);
    assertThat(h.getRestartUnregisteredWorkers()).isFalse();

    cr.getSpec().getSelfHealing().setUnregisteredTimeoutSeconds(15);
    h = EffectiveSpecs.of(cr, List.of()).spec().cluster().getSpec().getSelfHealing();
    assertThat(h.getUnregisteredTimeoutSeconds()).isEqualTo(15);
  }

  @Test
  void kvTransferCheckIsOnWithEfaOrAnExplicitFloor() {
    DisaggCluster cr = cr("etcd:2379");
    KvTransferCheckSpec k =
        EffectiveSpecs.of(cr, List.of())
            .spec()
            .cluster()
            .getSpec()
            .getFabric()
            .getKvTransferCheck();
    assertThat(k.getEnabled()).isFalse();
    assertThat(k.getMinBandwidth()).isNull();
    assertThat(k.getWindowSeconds()).isEqualTo(300);
    assertThat(k.getMinSamples()).isEqualTo(20);
    assertThat(k.getIntervalSeconds()).isEqualTo(30);

    cr.getSpec().getFabric().getEfa().setEnabled(true);
    k =
        EffectiveSpecs.of(cr, List.of())
            .spec()
            .cluster()
            .getSpec()
            .getFabric()
            .getKvTransferCheck();
    assertThat(k.getEnabled()).isTrue();
    assertThat(k.getMinBandwidth()).isEqualTo(new Quantity("1Gi"));

    cr.getSpec().getFabric().getEfa().setEnabled(false);
    cr.getSpec().getFabric().setKvTransferCheck(new KvTransferCheckSpec());
    cr.getSpec().getFabric().getKvTransferCheck().setMinBandwidth(new Quantity("200Mi"));
    k =
        EffectiveSpecs.of(cr, List.of())
            .spec()
            .cluster()
            .getSpec()
            .getFabric()
            .getKvTransferCheck();
    assertThat(k.getEnabled()).as("an explicit floor applies without EFA").isTrue();
    assertThat(k.getMinBandwidth()).isEqualTo(new Quantity("200Mi"));

    cr.getSpec().getFabric().getEfa().setEnabled(true);
    cr.getSpec().getFabric().getKvTransferCheck().setEnabled(false);
    k =
        EffectiveSpecs.of(cr, List.of())
            .spec()
            .cluster()
            .getSpec()
            .getFabric()
            .getKvTransferCheck();
    assertThat(k.getEnabled()).as("switched off with EFA").isFalse();
  }

  @Test
  void theSpecsEndpointsWinOverTheOperatorDefault() {
    EffectiveSpec.Result r =
        EffectiveSpecs.of(
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
    EffectiveSpec.Result r = EffectiveSpecs.of(cr(), List.of());
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
    EffectiveSpec.Result r = EffectiveSpecs.of(cr(), List.of("host:99999"));
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
    EffectiveSpec.Result r = EffectiveSpecs.of(cr("https://etcd:2379"), List.of());
    assertThat(r.problems())
        .extracting(SpecProblem::field)
        .contains("spec.discovery.etcd.endpoints[0]");
    assertThat(r.problems().get(0).message()).contains("TLS");
  }

  @Test
  void monitoringDefaultsComeFromTheOperatorAndTheSpecOverridesThem() {
    DisaggCluster cr = cr("etcd:2379");
    EffectiveSpec off = EffectiveSpecs.of(cr, List.of()).spec();
    assertThat(off.podMonitors()).as("off unless asked").isFalse();
    assertThat(off.cluster().getSpec().getMonitoring().getInterval()).isEqualTo("30s");
    assertThat(off.cluster().getSpec().getMonitoring().getLabels()).isEmpty();

    MonitoringDefaults on =
        new MonitoringDefaults(true, java.util.Map.of("release", "prom", "team", "infra"));
    EffectiveSpec byDefault = EffectiveSpecs.of(cr, List.of(), on).spec();
    assertThat(byDefault.podMonitors()).as("the operator-wide default").isTrue();
    assertThat(byDefault.cluster().getSpec().getMonitoring().getLabels())
        .containsEntry("release", "prom")
        .containsEntry("team", "infra");
    assertThat(cr.getSpec().getMonitoring()).as("the primary is never mutated").isNull();

    cr.getSpec().setMonitoring(new MonitoringSpec());
    cr.getSpec().getMonitoring().setPodMonitors(false);
    cr.getSpec().getMonitoring().setInterval("15s");
    cr.getSpec().getMonitoring().setLabels(java.util.Map.of("team", "ml"));
    EffectiveSpec own = EffectiveSpecs.of(cr, List.of(), on).spec();
    assertThat(own.podMonitors()).as("the spec wins over the default").isFalse();
    assertThat(own.cluster().getSpec().getMonitoring().getInterval()).isEqualTo("15s");
    assertThat(own.cluster().getSpec().getMonitoring().getLabels())
        .containsEntry("release", "prom")
        .containsEntry("team", "ml");

    cr.getSpec().getMonitoring().setPodMonitors(true);
    assertThat(EffectiveSpecs.of(cr, List.of()).spec().podMonitors()).isTrue();
  }

  @Test
  void monitoringDefaultsParseTheOperatorsConfiguration() {
    assertThat(MonitoringDefaults.fromConfig(null, null)).isEqualTo(MonitoringDefaults.OFF);
    MonitoringDefaults d = MonitoringDefaults.fromConfig(true, " release=prom , a.b/c=d,, ");
    assertThat(d.podMonitors()).isTrue();
    assertThat(d.labels())
        .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("release", "prom", "a.b/c", "d"));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> MonitoringDefaults.fromConfig(false, "release"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(MonitoringDefaults.LABELS_PROPERTY);
  }
}
