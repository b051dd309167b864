package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.disagg.e2e.testing.GoTools;
import io.disagg.e2e.testing.HelmTest;
import io.disagg.operator.render.CrdAdmission;
import io.disagg.operator.render.OfflineRender;
import io.disagg.operator.spec.NetworkPolicyDefaults;
import io.disagg.operator.testing.LocalCluster;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NetworkPolicies against the intended traffic matrix, judged by an independent evaluator:
 * cyclonus ({@code github.com/mattfenwick/cyclonus}, pinned in {@code e2e/tools/cyclonus}, built
 * from its Go module by {@code e2e/tools/build.sh}), {@code cyclonus analyze --mode query-traffic},
 * which implements the Kubernetes NetworkPolicy semantics offline (a pod selected by no policy of a
 * direction is open in it; traffic passes when the destination's ingress and the source's egress
 * both allow it).
 *
 * <p>The policies are the ones the project ships, rendered by its own code: the operator's {@code
 * <name>-workers} and {@code <name>-router} through {@link OfflineRender} of {@code
 * config-samples/minimal.yaml}, with the operator's NetworkPolicy settings parsed from the
 * environment {@code helm template} gives the operator Deployment; the bundled etcd's policy from
 * {@code helm template --set etcd.enabled=true}. Pod labels come from the same renders (the
 * StatefulSets', the router Deployment's and the operator Deployment's pod templates).
 *
 * <p>cyclonus reads only the first document of a multi-document YAML file ({@code
 * ReadNetworkPoliciesFromPath} in {@code pkg/kube/read.go}), so each policy is written to its own
 * file, and the number of verdicts is asserted. {@link #aBrokenPolicyFailsTheMatrix} shows that a
 * wrong policy changes verdicts.
 *
 * <p>The local cluster (kwok) has no CNI and enforces no NetworkPolicy; {@code NetworkPolicyIT}
 * checks there only that the operator applies the policies. This test is the only check of what
 * they allow.
 */
@HelmTest
class NetworkPolicyMatrixTest {

  private static final String NS = "serving";
  private static final String MONITORING_NS = "monitoring";
  private static final String ELSEWHERE_NS = "elsewhere";
  private static final int KV_PORT = 40123;

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static NetworkPolicy workersPolicy;
  private static NetworkPolicy routerPolicy;
  private static NetworkPolicy etcdPolicy;
  private static Pods pods;

  /** Pods of the matrix: labels and namespace. */
  record Pod(String name, String namespace, Map<String, String> labels, String ip) {}

  record Pods(
      Pod context,
      Pod generation,
      Pod router,
      Pod otherContext,
      Pod otherRouter,
      Pod operator,
      Pod prometheus,
      Pod samePod,
      Pod elsewherePod,
      Pod etcd,
      int contextPort,
      int generationPort,
      int routerPort) {}

  /** One traffic and the verdict the design says it gets. */
  record Case(
      String what, Pod from, Pod to, String protocol, int port, String portName, boolean allowed) {}

  @BeforeAll
  static void render() throws Exception {
    Rendered chart = Rendered.template("--set", "etcd.enabled=true");
    Deployment operator = chart.only("Deployment", Deployment.class);
    Map<String, String> env =
        operator.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
            .filter(e -> e.getValue() != null)
            .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    NetworkPolicyDefaults settings =
        NetworkPolicyDefaults.fromConfig(
            Boolean.valueOf(env.get("DISAGG_NETWORK_POLICY_ENABLED")),
            env.get("DISAGG_NETWORK_POLICY_MONITORING_PEERS"),
            env.get("DISAGG_NETWORK_POLICY_OPERATOR_PEERS"));
    assertThat(settings.operatorPeers()).isNotEmpty();
    List<NetworkPolicy> chartPolicies =
        chart.ofKind("NetworkPolicy").stream()
            .map(o -> SERIALIZATION.convertValue(o, NetworkPolicy.class))
            .toList();
    assertThat(chartPolicies).hasSize(1);
    etcdPolicy = chartPolicies.get(0);

    String sample =
        Files.readString(LocalCluster.repoRoot().resolve("config-samples/minimal.yaml"));
    List<HasMetadata> own = render(sample, settings);
    List<HasMetadata> other =
        render(sample.replaceFirst("(?m)^  name: tinyllama$", "  name: other"), settings);
    workersPolicy = (NetworkPolicy) named(own, NetworkPolicy.class, "tinyllama-workers");
    routerPolicy = (NetworkPolicy) named(own, NetworkPolicy.class, "tinyllama-router");

    StatefulSet ctx = (StatefulSet) named(own, StatefulSet.class, "tinyllama-context");
    StatefulSet gen = (StatefulSet) named(own, StatefulSet.class, "tinyllama-generation");
    Deployment rtr = (Deployment) named(own, Deployment.class, "tinyllama-router");
    StatefulSet otherCtx = (StatefulSet) named(other, StatefulSet.class, "other-context");
    Deployment otherRtr = (Deployment) named(other, Deployment.class, "other-router");
    Map<String, String> etcdLabels =
        chart
            .only("StatefulSet", StatefulSet.class)
            .getSpec()
            .getTemplate()
            .getMetadata()
            .getLabels();
    pods =
        new Pods(
            new Pod("ctx", NS, podLabels(ctx), "10.0.0.10"),
            new Pod("gen", NS, podLabels(gen), "10.0.0.11"),
            new Pod(
                "router", NS, rtr.getSpec().getTemplate().getMetadata().getLabels(), "10.0.0.12"),
            new Pod("other-ctx", NS, podLabels(otherCtx), "10.0.0.20"),
            new Pod(
                "other-router",
                NS,
                otherRtr.getSpec().getTemplate().getMetadata().getLabels(),
                "10.0.0.21"),
            new Pod(
                "operator",
                Rendered.NAMESPACE,
                operator.getSpec().getTemplate().getMetadata().getLabels(),
                "10.0.1.2"),
            new Pod(
                "prometheus",
                MONITORING_NS,
                Map.of("app.kubernetes.io/name", "prometheus", "prometheus", "k8s"),
                "10.0.2.2"),
            new Pod("curl", NS, Map.of("app", "curl"), "10.0.0.30"),
            new Pod("curl-elsewhere", ELSEWHERE_NS, Map.of("app", "curl"), "10.0.3.2"),
            new Pod("etcd", Rendered.NAMESPACE, etcdLabels, "10.0.1.3"),
            port(ctx),
            port(gen),
            rtr.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                .filter(p -> "http".equals(p.getName()))
                .findFirst()
                .orElseThrow()
                .getContainerPort());
  }

  private static List<HasMetadata> render(String yaml, NetworkPolicyDefaults settings)
      throws OfflineRender.InputException {
    OfflineRender.Outcome out =
        new OfflineRender(
                CrdAdmission.builtIn(), new OfflineRender.Settings(List.of(), NS, settings))
            .render(yaml);
    assertThat(out).isInstanceOf(OfflineRender.Rendered.class);
    return ((OfflineRender.Rendered) out).objects();
  }

  private static HasMetadata named(List<HasMetadata> objects, Class<?> type, String name) {
    return objects.stream()
        .filter(o -> type.isInstance(o) && o.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
  }

  private static Map<String, String> podLabels(StatefulSet s) {
    return s.getSpec().getTemplate().getMetadata().getLabels();
  }

  private static int port(StatefulSet s) {
    return s.getSpec().getTemplate().getSpec().getContainers().stream()
        .flatMap(c -> c.getPorts().stream())
        .filter(p -> "http".equals(p.getName()))
        .findFirst()
        .orElseThrow()
        .getContainerPort();
  }

  private static List<Case> matrix() {
    Pods p = pods;
    List<Case> c = new ArrayList<>();
    c.add(
        new Case(
            "router -> context http",
            p.router(),
            p.context(),
            "TCP",
            p.contextPort(),
            "http",
            true));
    c.add(
        new Case(
            "router -> generation http",
            p.router(),
            p.generation(),
            "TCP",
            p.generationPort(),
            "http",
            true));
    c.add(
        new Case(
            "same-namespace pod -> context http",
            p.samePod(),
            p.context(),
            "TCP",
            p.contextPort(),
            "http",
            false));
    c.add(
        new Case(
            "same-namespace pod -> generation KV port",
            p.samePod(),
            p.generation(),
            "TCP",
            KV_PORT,
            "",
            false));
    c.add(
        new Case(
            "other-namespace pod -> context http",
            p.elsewherePod(),
            p.context(),
            "TCP",
            p.contextPort(),
            "http",
            false));
    c.add(
        new Case(
            "operator -> context http",
            p.operator(),
            p.context(),
            "TCP",
            p.contextPort(),
            "http",
            true));
    c.add(
        new Case(
            "operator -> generation http",
            p.operator(),
            p.generation(),
            "TCP",
            p.generationPort(),
            "http",
            true));
    c.add(
        new Case(
            "operator -> router http",
            p.operator(),
            p.router(),
            "TCP",
            p.routerPort(),
            "http",
            true));
    c.add(
        new Case(
            "operator -> context KV port", p.operator(), p.context(), "TCP", KV_PORT, "", false));
    c.add(
        new Case(
            "prometheus -> generation http",
            p.prometheus(),
            p.generation(),
            "TCP",
            p.generationPort(),
            "http",
            true));
    c.add(
        new Case(
            "prometheus -> router http",
            p.prometheus(),
            p.router(),
            "TCP",
            p.routerPort(),
            "http",
            true));
    c.add(
        new Case(
            "prometheus -> generation KV port",
            p.prometheus(),
            p.generation(),
            "TCP",
            KV_PORT,
            "",
            false));
    c.add(
        new Case(
            "context -> generation KV port",
            p.context(),
            p.generation(),
            "TCP",
            KV_PORT,
            "",
            true));
    c.add(
        new Case(
            "generation -> context KV port",
            p.generation(),
            p.context(),
            "TCP",
            KV_PORT + 1,
            "",
            true));
    c.add(
        new Case(
            "context -> generation UDP", p.context(), p.generation(), "UDP", KV_PORT, "", true));
    c.add(
        new Case(
            "context -> context http",
            p.context(),
            p.context(),
            "TCP",
            p.contextPort(),
            "http",
            true));
    c.add(
        new Case(
            "other DisaggCluster's worker -> context KV port",
            p.otherContext(),
            p.context(),
            "TCP",
            KV_PORT,
            "",
            false));
    c.add(
        new Case(
            "other DisaggCluster's worker -> context http",
            p.otherContext(),
            p.context(),
            "TCP",
            p.contextPort(),
            "http",
            false));
    c.add(
        new Case(
            "other DisaggCluster's router -> context http",
            p.otherRouter(),
            p.context(),
            "TCP",
            p.contextPort(),
            "http",
            false));
    c.add(
        new Case("router -> context KV port", p.router(), p.context(), "TCP", KV_PORT, "", false));
    c.add(
        new Case(
            "same-namespace pod -> router http",
            p.samePod(),
            p.router(),
            "TCP",
            p.routerPort(),
            "http",
            true));
    c.add(
        new Case(
            "same-namespace pod -> router other port",
            p.samePod(),
            p.router(),
            "TCP",
            KV_PORT,
            "",
            false));
    c.add(
        new Case(
            "other-namespace pod -> router http",
            p.elsewherePod(),
            p.router(),
            "TCP",
            p.routerPort(),
            "http",
            false));
    c.add(
        new Case(
            "same-namespace pod -> etcd", p.samePod(), p.etcd(), "TCP", 2379, "client", false));
    c.add(
        new Case(
            "other-namespace pod -> etcd",
            p.elsewherePod(),
            p.etcd(),
            "TCP",
            2379,
            "client",
            false));
    c.add(new Case("context -> etcd", p.context(), p.etcd(), "TCP", 2379, "client", true));
    c.add(new Case("generation -> etcd", p.generation(), p.etcd(), "TCP", 2379, "client", true));
    c.add(new Case("router -> etcd", p.router(), p.etcd(), "TCP", 2379, "client", true));
    c.add(
        new Case(
            "other DisaggCluster's worker -> etcd",
            p.otherContext(),
            p.etcd(),
            "TCP",
            2379,
            "client",
            true));
    c.add(new Case("operator -> etcd", p.operator(), p.etcd(), "TCP", 2379, "client", true));
    c.add(
        new Case(
            "prometheus -> etcd client", p.prometheus(), p.etcd(), "TCP", 2379, "client", false));
    c.add(
        new Case(
            "prometheus -> etcd metrics", p.prometheus(), p.etcd(), "TCP", 2381, "metrics", true));
    return c;
  }

  @Test
  void everyPairGetsTheIntendedVerdict(@TempDir Path dir) throws IOException {
    List<Case> cases = matrix();
    List<Boolean> verdicts = evaluate(dir, List.of(workersPolicy, routerPolicy, etcdPolicy), cases);
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      if (verdicts.get(i) != cases.get(i).allowed()) {
        wrong.add(cases.get(i).what() + ": expected " + cases.get(i).allowed());
      }
    }
    assertThat(wrong).as("pairs with the wrong verdict").isEmpty();
  }

  /**
   * A deliberately wrong copy of the workers' policy (its KV rule opened to every pod of the
   * namespace, as a {@code podSelector: {}} would) fails the matrix on exactly the pairs it opens:
   * the evaluator reads what it is given, not what we meant.
   */
  @Test
  void aBrokenPolicyFailsTheMatrix(@TempDir Path dir) throws IOException {
    NetworkPolicy broken = SERIALIZATION.clone(workersPolicy);
    broken.getSpec().getIngress().get(1).getFrom().get(0).getPodSelector().setMatchLabels(Map.of());
    List<Case> cases = matrix();
    List<Boolean> verdicts = evaluate(dir, List.of(broken, routerPolicy, etcdPolicy), cases);
    List<String> flipped = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      if (verdicts.get(i) != cases.get(i).allowed()) {
        flipped.add(cases.get(i).what());
      }
    }
    assertThat(flipped)
        .containsExactlyInAnyOrder(
            "same-namespace pod -> context http",
            "same-namespace pod -> generation KV port",
            "other DisaggCluster's worker -> context KV port",
            "other DisaggCluster's worker -> context http",
            "other DisaggCluster's router -> context http",
            "router -> context KV port");
  }

  /** cyclonus's verdict for each case, in order; one file per policy (see the class comment). */
  private static List<Boolean> evaluate(Path dir, List<NetworkPolicy> policies, List<Case> cases)
      throws IOException {
    Path policyDir = Files.createDirectories(dir.resolve("policies"));
    for (NetworkPolicy p : policies) {
      Files.writeString(
          policyDir.resolve(p.getMetadata().getName() + ".yaml"), SERIALIZATION.asYaml(p));
    }
    assertThat(Files.list(policyDir).count()).isEqualTo(policies.size());
    Path traffic = dir.resolve("traffic.json");
    Files.writeString(
        traffic, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(traffic(cases)));
    GoTools.Result r =
        GoTools.run(
            "cyclonus",
            dir,
            List.of(
                "analyze",
                "--mode",
                "query-traffic",
                "--policy-path",
                policyDir.toString(),
                "--traffic-path",
                traffic.toString()));
    assertThat(r.exitCode()).as(r.output()).isZero();
    String[] blocks = r.output().split("Is traffic allowed\\?", -1);
    assertThat(blocks.length - 1).as("verdict blocks\n" + r.output()).isEqualTo(cases.size());
    Pattern verdict = Pattern.compile("IS ALLOWED\\?\\s*\\|\\s*(TRUE|FALSE)");
    List<Boolean> out = new ArrayList<>();
    for (int i = 1; i < blocks.length; i++) {
      Matcher m = verdict.matcher(blocks[i]);
      assertThat(m.find()).as("verdict in block " + i + ":\n" + blocks[i]).isTrue();
      out.add(m.group(1).equals("TRUE"));
    }
    return out;
  }

  private static ArrayNode traffic(List<Case> cases) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    for (Case c : cases) {
      ObjectNode t = a.addObject();
      t.set("Source", peer(c.from()));
      t.set("Destination", peer(c.to()));
      t.put("Protocol", c.protocol());
      t.put("ResolvedPort", c.port());
      t.put("ResolvedPortName", c.portName());
    }
    return a;
  }

  private static ObjectNode peer(Pod p) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    ObjectNode internal = o.putObject("Internal");
    internal.set("PodLabels", JSON.valueToTree(new LinkedHashMap<>(p.labels())));
    internal.putObject("NamespaceLabels").put("kubernetes.io/metadata.name", p.namespace());
    internal.put("Namespace", p.namespace());
    o.put("IP", p.ip());
    return o;
  }
}
