package io.disagg.operator.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension for tests on a real cluster ({@link LocalCluster}). Each test method gets a
 * fresh namespace and a client (a {@link TestNamespace} parameter); the namespace is deleted
 * afterwards, and on failure its objects and events are written to {@code
 * operator/target/cluster-dumps/} first.
 *
 * <p>Without a cluster the test is skipped with the reason, except when the environment variable
 * {@code CI} is set: then it fails, because CI must run these tests.
 */
public class ClusterExtension
    implements ExecutionCondition, BeforeEachCallback, AfterEachCallback, ParameterResolver {

  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(ClusterExtension.class);

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    LocalCluster.Availability a = LocalCluster.availability();
    if (a.available()) {
      return ConditionEvaluationResult.enabled("cluster from " + a.reason());
    }
    if (System.getenv("CI") != null) {
      throw new IllegalStateException(
          "CI is set but no Kubernetes cluster could be had: " + a.reason());
    }
    return ConditionEvaluationResult.disabled(
        "no Kubernetes cluster could be had ("
            + a.reason()
            + "); set KUBECONFIG or install Go >= 1.24 so e2e/cluster/up.sh can build one");
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    KubernetesClient client = LocalCluster.newClient();
    String name = namespaceName(context);
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("serving.disagg.io/test", "true")
                .endMetadata()
                .build())
        .create();
    context.getStore(STORE).put(TestNamespace.class, new TestNamespace(client, name));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    TestNamespace ns = context.getStore(STORE).remove(TestNamespace.class, TestNamespace.class);
    if (ns == null) {
      return;
    }
    try {
      if (context.getExecutionException().isPresent()) {
        dump(ns, context);
      }
      ns.client().namespaces().withName(ns.name()).delete();
      // Wait, so the next test finds the simulated GPUs free again.
      Awaitility.await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> ns.client().namespaces().withName(ns.name()).get() == null);
    } finally {
      ns.client().close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    return p.getParameter().getType() == TestNamespace.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    return e.getStore(STORE).get(TestNamespace.class, TestNamespace.class);
  }

  private static String namespaceName(ExtensionContext context) {
    String base =
        context
            .getRequiredTestMethod()
            .getName()
            .toLowerCase(Locale.ROOT)
            .replaceAll("[^a-z0-9]+", "-");
    base = base.length() > 40 ? base.substring(0, 40) : base;
    return ("t-" + base).replaceAll("-+$", "")
        + "-"
        + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
  }

  private static void dump(TestNamespace ns, ExtensionContext context) {
    Path dir = LocalCluster.repoRoot().resolve("operator/target/cluster-dumps");
    StringBuilder out = new StringBuilder();
    KubernetesClient c = ns.client();
    try {
      for (var kind :
          new String[] {
            "statefulsets",
            "deployments",
            "services",
            "configmaps",
            "poddisruptionbudgets",
            "pods",
            "events"
          }) {
        out.append("### ").append(kind).append('\n');
        switch (kind) {
          case "statefulsets" ->
              out.append(
                  c.getKubernetesSerialization()
                      .asYaml(c.apps().statefulSets().inNamespace(ns.name()).list()));
          case "deployments" ->
              out.append(
                  c.getKubernetesSerialization()
                      .asYaml(c.apps().deployments().inNamespace(ns.name()).list()));
          case "services" ->
              out.append(
                  c.getKubernetesSerialization()
                      .asYaml(c.services().inNamespace(ns.name()).list()));
          case "configmaps" ->
              out.append(
                  c.getKubernetesSerialization()
                      .asYaml(c.configMaps().inNamespace(ns.name()).list()));
          case "poddisruptionbudgets" ->
              out.append(
                  c.getKubernetesSerialization()
                      .asYaml(c.policy().v1().podDisruptionBudget().inNamespace(ns.name()).list()));
          case "pods" ->
              out.append(
                  c.getKubernetesSerialization().asYaml(c.pods().inNamespace(ns.name()).list()));
          default ->
              c.v1()
                  .events()
                  .inNamespace(ns.name())
                  .list()
                  .getItems()
                  .forEach(
                      ev ->
                          out.append(ev.getType())
                              .append(' ')
                              .append(ev.getReason())
                              .append(' ')
                              .append(ev.getInvolvedObject().getKind())
                              .append('/')
                              .append(ev.getInvolvedObject().getName())
                              .append(": ")
                              .append(ev.getMessage())
                              .append('\n'));
        }
      }
      for (var r :
          c.genericKubernetesResources("serving.disagg.io/v1alpha1", "DisaggCluster")
              .inNamespace(ns.name())
              .list()
              .getItems()) {
        out.append("### DisaggCluster\n").append(c.getKubernetesSerialization().asYaml(r));
      }
    } catch (RuntimeException e) {
      out.append("dump incomplete: ").append(e).append('\n');
    }
    try {
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve(context.getRequiredTestClass().getSimpleName() + "-" + ns.name() + ".txt"),
          out);
    } catch (IOException ignored) {
      // a dump is a help, never a reason to fail
    }
  }
}
