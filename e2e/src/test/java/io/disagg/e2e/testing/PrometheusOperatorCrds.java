package io.disagg.e2e.testing;

import static org.awaitility.Awaitility.await;

import io.disagg.operator.testing.LocalCluster;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Prometheus Operator's real CRDs on the test cluster: the release pinned as {@code
 * PROMETHEUS_OPERATOR_VERSION} in {@code e2e/cluster/versions.env}, fetched once from the Go module
 * proxy (and cached) by {@code e2e/cluster/prometheus-operator-crds.sh}.
 */
public final class PrometheusOperatorCrds {
  private PrometheusOperatorCrds() {}

  /** Name of the PodMonitor CRD. */
  public static final String PODMONITORS = "podmonitors.monitoring.coreos.com";

  /** Applies the PodMonitor CRD (server-side) and waits until it is established. */
  public static void installPodMonitors(KubernetesClient c) {
    CustomResourceDefinition crd;
    try (InputStream in = Files.newInputStream(fetch("podmonitors"))) {
      crd = c.apiextensions().v1().customResourceDefinitions().load(in).item();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    if (!PODMONITORS.equals(crd.getMetadata().getName())) {
      throw new IllegalStateException("not the PodMonitor CRD: " + crd.getMetadata().getName());
    }
    var op = c.apiextensions().v1().customResourceDefinitions();
    op.resource(crd).fieldManager("disagg-tests").forceConflicts().serverSideApply();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              var x = op.withName(PODMONITORS).get();
              return x != null
                  && x.getStatus() != null
                  && x.getStatus().getConditions() != null
                  && x.getStatus().getConditions().stream()
                      .anyMatch(
                          k -> "Established".equals(k.getType()) && "True".equals(k.getStatus()));
            });
  }

  /** Deletes the PodMonitor CRD (and so every PodMonitor) and waits until it is gone. */
  public static void deletePodMonitors(KubernetesClient c) {
    var op = c.apiextensions().v1().customResourceDefinitions().withName(PODMONITORS);
    if (op.get() != null) {
      op.delete();
      await().atMost(Duration.ofSeconds(60)).until(() -> op.get() == null);
    }
  }

  /** {@code e2e/cluster/prometheus-operator-crds.sh <plural>}: the cached or fetched file. */
  private static Path fetch(String plural) {
    Path script = LocalCluster.repoRoot().resolve("e2e/cluster/prometheus-operator-crds.sh");
    try {
      Process p =
          new ProcessBuilder(List.of("bash", script.toString(), plural))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException(script + " " + plural + " failed");
      }
      return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
