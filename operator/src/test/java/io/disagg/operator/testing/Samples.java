package io.disagg.operator.testing;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;

/** The committed samples and CRD, loaded as a user would apply them. */
public final class Samples {
  private Samples() {}

  /** Path of the committed CRD. */
  public static Path crdFile() {
    return LocalCluster.repoRoot().resolve("crds/disaggclusters.serving.disagg.io-v1.yml");
  }

  /** A sample from {@code config-samples/}, e.g. {@code minimal.yaml}. */
  public static DisaggCluster load(String file) {
    try (InputStream in =
        Files.newInputStream(LocalCluster.repoRoot().resolve("config-samples").resolve(file))) {
      return Serialization.unmarshal(in, DisaggCluster.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Applies the committed CRD (server-side) and waits until it is established. */
  public static void installCrd(KubernetesClient client) {
    CustomResourceDefinition crd;
    try (InputStream in = Files.newInputStream(crdFile())) {
      crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    var op = client.apiextensions().v1().customResourceDefinitions();
    op.resource(crd).fieldManager("disagg-tests").forceConflicts().serverSideApply();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              var c = op.withName(crd.getMetadata().getName()).get();
              return c != null
                  && c.getStatus() != null
                  && c.getStatus().getConditions() != null
                  && c.getStatus().getConditions().stream()
                      .anyMatch(
                          x -> "Established".equals(x.getType()) && "True".equals(x.getStatus()));
            });
  }
}
