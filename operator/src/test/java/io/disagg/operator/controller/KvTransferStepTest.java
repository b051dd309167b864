package io.disagg.operator.controller;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.DisaggClusterStatus;
import io.disagg.operator.api.v1alpha1.KvTransferCheckSpec;
import io.disagg.operator.metrics.PerfMetricsClient;
import io.disagg.operator.model.Labels;
import io.disagg.operator.status.ConditionType;
import io.disagg.operator.status.Conditions;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The KV-transfer step with a fake {@code /perf_metrics} reader: when it reads, what it writes, the
 * condition per judgement, no status churn, and an operator restart that keeps the judgement.
 * Events go to a client of an address where nothing listens (the step logs and goes on); they are
 * checked end to end by {@code KvTransferHealthIT}.
 */
class KvTransferStepTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final long MIB = 1L << 20;

  private final KubernetesClient k8s =
      new KubernetesClientBuilder()
          .withConfig(
              new ConfigBuilder()
                  .withMasterUrl("http://127.0.0.1:1")
                  .withRequestRetryBackoffLimit(0)
                  .build())
          .build();

  /** Every read returns {@link #perRead} transfers of {@link #bytes} in {@link #seconds}. */
  private final class FakeReader extends PerfMetricsClient {
    final AtomicInteger reads = new AtomicInteger();
    volatile int perRead = 10;
    volatile long bytes = 12 * MIB;
    volatile double seconds = 0.1;

    @Override
    public Optional<Read> read(String host, int port) {
      reads.incrementAndGet();
      List<KvTransfer> t = new ArrayList<>();
      for (int i = 0; i < perRead; i++) {
        t.add(new KvTransfer(bytes, seconds));
      }
      return Optional.of(new Read(perRead, t));
    }
  }

  private final FakeReader reader = new FakeReader();

  @AfterEach
  void close() {
    k8s.close();
  }

  private static DisaggCluster cluster(boolean efa) {
    DisaggCluster cr = Fixtures.minimal("serving", "demo");
    cr.getMetadata().setUid("uid-1");
    cr.getMetadata().setGeneration(1L);
    cr.getSpec().getFabric().getEfa().setEnabled(efa);
    KvTransferCheckSpec k = new KvTransferCheckSpec();
    k.setMinSamples(15);
    k.setWindowSeconds(60);
    k.setIntervalSeconds(10);
    cr.getSpec().getFabric().setKvTransferCheck(k);
    cr.setStatus(new DisaggClusterStatus());
    return cr;
  }

  private static DisaggCluster effective(DisaggCluster cr) {
    return EffectiveSpecs.of(cr, List.of(Fixtures.ETCD_ENDPOINT)).spec().cluster();
  }

  private static Map<Integer, Pod> workers(boolean ready) {
    Pod p =
        new PodBuilder()
            .withNewMetadata()
            .withName("demo-generation-0")
            .withNamespace("serving")
            .withLabels(Map.of(Labels.INSTANCE, "demo"))
            .endMetadata()
            .withNewStatus()
            .withPhase("Running")
            .withPodIP("127.1.0.9")
            .addNewCondition()
            .withType("Ready")
            .withStatus(ready ? "True" : "False")
            .endCondition()
            .endStatus()
            .build();
    return Map.of(0, p);
  }

  /** One reconcile's status: the previous conditions carried over, as StatusCalculator does. */
  private static DisaggClusterStatus fresh(DisaggCluster cr) {
    DisaggClusterStatus s = new DisaggClusterStatus();
    s.setConditions(new ArrayList<>(cr.getStatus().getConditions()));
    return s;
  }

  /** Runs the step at {@code t} and stores the status it computed in {@code cr}. */
  private DisaggClusterStatus run(KvTransferStep step, DisaggCluster cr, Instant t) {
    DisaggClusterStatus s = fresh(cr);
    step.run(cr, effective(cr), workers(true), true, s, k8s, t);
    return s;
  }

  private static Condition condition(DisaggClusterStatus s) {
    return Conditions.find(s.getConditions(), ConditionType.KV_TRANSFER_HEALTHY).orElseThrow();
  }

  @Test
  void withoutEfaOrAFloorNothingIsReadAndNothingShown() {
    DisaggCluster cr = cluster(false);
    cr.getStatus()
        .setConditions(
            Conditions.set(
                List.of(),
                ConditionType.KV_TRANSFER_HEALTHY,
                true,
                io.disagg.operator.status.Reason.AS_EXPECTED,
                "old",
                1L,
                T0));
    DisaggClusterStatus s = fresh(cr);
    Duration next =
        new KvTransferStep(reader).run(cr, effective(cr), workers(true), true, s, k8s, T0);
    assertThat(next).isNull();
    assertThat(reader.reads).hasValue(0);
    assertThat(s.getGeneration().getKvTransfer()).isNull();
    assertThat(Conditions.find(s.getConditions(), ConditionType.KV_TRANSFER_HEALTHY)).isEmpty();
  }

  @Test
  void anExplicitFloorAppliesWithoutEfa() {
    DisaggCluster cr = cluster(false);
    cr.getSpec().getFabric().getKvTransferCheck().setMinBandwidth(new Quantity("500Mi"));
    reader.perRead = 20;
    DisaggClusterStatus s = run(new KvTransferStep(reader), cr, T0);
    assertThat(condition(s).getStatus()).isEqualTo("False");
    assertThat(condition(s).getReason()).isEqualTo("SlowTransfer");
    assertThat(s.getGeneration().getKvTransfer().getMinBytesPerSecond()).isEqualTo(500 * MIB);
  }

  @Test
  void slowTransfersWithEfaTurnTheConditionFalseWithTheNumbers() {
    DisaggCluster cr = cluster(true);
    KvTransferStep step = new KvTransferStep(reader);
    // First read: 10 transfers, fewer than minSamples 15, nothing to keep: Unknown NoSamples.
    DisaggClusterStatus s = run(step, cr, T0);
    assertThat(condition(s).getStatus()).isEqualTo("Unknown");
    assertThat(condition(s).getReason()).isEqualTo("NoSamples");
    cr.setStatus(s);
    // 10 s later the second read: 20 transfers of 12 MiB in 0.1 s, 120 MiB/s < 1 GiB/s.
    s = run(step, cr, T0.plusSeconds(10));
    assertThat(reader.reads).hasValue(2);
    Condition c = condition(s);
    assertThat(c.getStatus()).isEqualTo("False");
    assertThat(c.getReason()).isEqualTo("SlowTransfer");
    assertThat(c.getMessage())
        .startsWith("generation: 120 MiB/s observed over 20 KV-cache transfers in the last 60 s")
        .contains("below the floor of 1 GiB/s");
    var kv = s.getGeneration().getKvTransfer();
    assertThat(kv.getBytesPerSecond()).isEqualTo(130_000_000L);
    assertThat(kv.getMinBytesPerSecond()).isEqualTo(1L << 30);
    assertThat(kv.getSamples()).isEqualTo(20);
    assertThat(kv.getWindowSeconds()).isEqualTo(60);
    assertThat(kv.getLastSampleTime()).isEqualTo("2026-01-01T00:00:10Z");
    assertThat(s.getContext().getKvTransfer()).isNull();
  }

  @Test
  void aReconcileBetweenReadsOrWithTheSameJudgementWritesNothingNew() {
    DisaggCluster cr = cluster(true);
    reader.perRead = 20;
    KvTransferStep step = new KvTransferStep(reader);
    DisaggClusterStatus first = run(step, cr, T0);
    cr.setStatus(first);
    String written = JSON.asJson(first);
    // Between two reads: not read again, the same status.
    DisaggClusterStatus again = run(step, cr, T0.plusSeconds(3));
    assertThat(reader.reads).hasValue(1);
    assertThat(JSON.asJson(again)).isEqualTo(written);
    // The next read sees other numbers but the same judgement: kept until REFRESH.
    reader.seconds = 0.2;
    DisaggClusterStatus later = run(step, cr, T0.plusSeconds(10));
    assertThat(reader.reads).hasValue(2);
    assertThat(JSON.asJson(later)).isEqualTo(written);
    cr.setStatus(later);
    // After REFRESH the numbers are written: 40 transfers, 480 MiB in 6 s = 80 MiB/s.
    DisaggClusterStatus refreshed = run(step, cr, T0.plus(KvTransferStep.REFRESH));
    assertThat(refreshed.getGeneration().getKvTransfer().getSamples()).isGreaterThan(20);
    assertThat(condition(refreshed).getLastTransitionTime())
        .isEqualTo(condition(first).getLastTransitionTime());
  }

  @Test
  void fastTransfersAreHealthyAndAChangeOfJudgementIsWrittenAtOnce() {
    DisaggCluster cr = cluster(true);
    reader.perRead = 20;
    reader.seconds = 0.001; // 12 MiB in 1 ms: 12 GiB/s
    KvTransferStep step = new KvTransferStep(reader);
    DisaggClusterStatus s = run(step, cr, T0);
    assertThat(condition(s).getStatus()).isEqualTo("True");
    assertThat(condition(s).getReason()).isEqualTo("AsExpected");
    cr.setStatus(s);
    // The window fills with slow transfers: the judgement changes within REFRESH.
    reader.seconds = 1.0;
    reader.perRead = 200;
    DisaggClusterStatus slow = run(step, cr, T0.plusSeconds(10));
    assertThat(condition(slow).getReason()).isEqualTo("SlowTransfer");
  }

  @Test
  void aRestartedOperatorKeepsTheJudgementUntilItWatchedAFullWindow() {
    DisaggCluster cr = cluster(true);
    reader.perRead = 20;
    cr.setStatus(run(new KvTransferStep(reader), cr, T0));
    assertThat(condition(cr.getStatus()).getReason()).isEqualTo("SlowTransfer");
    String written = JSON.asJson(cr.getStatus());
    // A new process, and no traffic any more.
    reader.perRead = 0;
    KvTransferStep restarted = new KvTransferStep(reader);
    assertThat(JSON.asJson(run(restarted, cr, T0.plusSeconds(30)))).isEqualTo(written);
    // A full window without transfers: Unknown NoSamples.
    run(restarted, cr, T0.plusSeconds(60));
    DisaggClusterStatus s = run(restarted, cr, T0.plusSeconds(90));
    assertThat(condition(s).getStatus()).isEqualTo("Unknown");
    assertThat(condition(s).getReason()).isEqualTo("NoSamples");
    assertThat(s.getGeneration().getKvTransfer().getSamples()).isZero();
  }

  @Test
  void onlyReadyWorkersAreReadAndAnInvalidSpecKeepsTheStatus() {
    DisaggCluster cr = cluster(true);
    KvTransferStep step = new KvTransferStep(reader);
    DisaggClusterStatus s = fresh(cr);
    step.run(cr, effective(cr), workers(false), true, s, k8s, T0);
    assertThat(reader.reads).hasValue(0);
    DisaggClusterStatus invalid = fresh(cr);
    assertThat(step.run(cr, effective(cr), workers(true), false, invalid, k8s, T0.plusSeconds(20)))
        .isNull();
    assertThat(reader.reads).hasValue(0);
  }
}
