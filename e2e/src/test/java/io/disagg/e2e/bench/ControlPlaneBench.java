package io.disagg.e2e.bench;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.disagg.e2e.testing.Helm;
import io.disagg.e2e.testing.PackagedOperator;
import io.disagg.e2e.trtllm.SimulatedKubelet;
import io.disagg.e2e.trtllm.WorkerRole;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.LocalCluster;
import io.disagg.operator.testing.Samples;
import io.disagg.operator.testing.TestNamespace;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Benchmark "control-plane cost" (issue 13, section 1) for one number N of DisaggClusters, on the
 * local cluster ({@link LocalCluster}):
 *
 * <ol>
 *   <li>The chart is installed in a fresh namespace ({@code replicas=0}, watching that namespace,
 *       an etcd of this process as its default) and the packaged operator runs as one replica with
 *       the chart's ServiceAccount token and the chart's JVM options and memory limit ({@link
 *       PackagedOperator#chartJvmOptions}); its cost is measured idle (N = 0).
 *   <li><b>Operator side:</b> {@code kubectl apply --server-side} of N DisaggClusters (the minimal
 *       sample with 1 context and 1 generation worker and 1 router, 1 GPU per worker); timed from
 *       the apply's start until all 10 N children exist, and until every DisaggCluster is {@code
 *       Ready} for its generation (simulated workers registered in etcd, router ready: {@link
 *       SimulatedKubelet}).
 *   <li><b>SSA side:</b> the same children, dumped (without owner references, status, uid,
 *       resourceVersion, managedFields, creationTimestamp, generation, allocated ClusterIPs) into a
 *       second namespace with a second simulated kubelet and etcd, applied with one {@code kubectl
 *       apply --server-side}; timed until they all exist and until every StatefulSet and Deployment
 *       has all replicas ready. It runs after the operator side, on the same cluster, which then
 *       holds the operator side's N clusters too.
 *   <li><b>Writes</b> of the operator's ServiceAccount (the kube-apiserver's audit log, {@link
 *       AuditLog}): in a quiet window, after an annotation on one DisaggCluster (a no-op), and for
 *       one pool's scale change (generation replicas 1 to 2, until Ready again).
 *   <li><b>Operator cost</b> with N clusters, after the quiet window ({@link ProcessCost}).
 * </ol>
 *
 * Simulated GPU nodes for 4 N + 8 workers (8 GPUs each) are added first ({@link #ensureNodes}) and
 * removed by {@link #removeNodes}.
 */
final class ControlPlaneBench {

  static final String RELEASE = "disagg-operator";
  static final String NODE_LABEL = "serving.disagg.io/bench";
  private static final int GPUS_PER_NODE = 8;

  /**
   * Settings of a run.
   *
   * @param n DisaggClusters
   * @param quiet length of the quiet window (the issue asks for a minute)
   * @param noOpWindow how long writes are counted after the no-op annotation
   * @param settle pause after everything is Ready before the quiet window starts (late status
   *     updates, e.g. of the autoscaling status, belong to the apply, not to the quiet minute)
   * @param timeout bound of each wait
   * @param warmUp whether one DisaggCluster is created and deleted before the measurements
   * @param ssaSide whether the server-side-apply side runs (it doubles the simulated processes;
   *     without it the ratios are not measured)
   */
  record Options(
      int n,
      Duration quiet,
      Duration noOpWindow,
      Duration settle,
      Duration timeout,
      boolean warmUp,
      boolean ssaSide) {}

  /**
   * Times from the start of an apply, seconds; {@code readySeconds} is NaN when not everything was
   * ready within the timeout, {@code readyAtTimeout} then says how much was.
   */
  record Side(
      double applySeconds, double childrenSeconds, double readySeconds, String readyAtTimeout) {

    /** The server-side-apply side when it was not run ({@link Options#ssaSide}). */
    static final Side NOT_RUN = new Side(Double.NaN, Double.NaN, Double.NaN, "not run");

    boolean ran() {
      return this != NOT_RUN;
    }
  }

  /** One run's results. */
  record Result(
      int n,
      Side operator,
      Side ssa,
      Map<String, Integer> quietWrites,
      double quietSeconds,
      Map<String, Integer> noOpWrites,
      Map<String, Integer> scaleWrites,
      double scaleReadySeconds,
      ProcessCost idle,
      ProcessCost loaded,
      double cpuApplyToReady,
      double cpuQuiet,
      String collector,
      long maxHeapMiB,
      List<String> jvmOptions) {

    double childrenRatio() {
      return operator.childrenSeconds() / ssa.childrenSeconds();
    }

    double readyRatio() {
      return operator.readySeconds() / ssa.readySeconds();
    }
  }

  private ControlPlaneBench() {}

  /** Adds simulated GPU nodes until those labelled {@link #NODE_LABEL} hold {@code gpus} GPUs. */
  static void ensureNodes(KubernetesClient client, int gpus) {
    int want = (gpus + GPUS_PER_NODE - 1) / GPUS_PER_NODE;
    int have = client.nodes().withLabel(NODE_LABEL).list().getItems().size();
    if (have >= want) {
      return;
    }
    String template;
    try {
      template = Files.readString(LocalCluster.repoRoot().resolve("e2e/cluster/nodes.yaml.tmpl"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String version = LocalTools.libVariable("K8S_VERSION");
    StringBuilder all = new StringBuilder();
    for (int i = have; i < want; i++) {
      String name = String.format(Locale.ROOT, "bench-gpu-%04d", i);
      all.append(
              template
                  .replace("@NAME@", name)
                  .replace("@ZONE@", "us-east-1a")
                  .replace("@REGION@", "us-east-1")
                  .replace("@K8S_VERSION@", version)
                  .replace(
                      "    kwok.x-k8s.io/node: fake\n",
                      "    kwok.x-k8s.io/node: fake\n    " + NODE_LABEL + ": control-plane\n"))
          .append("\n---\n");
    }
    Path f = temp("nodes", all.toString());
    LocalTools.kubectl(Duration.ofMinutes(5), null, "apply", "-f", f.toString()).orFail();
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                client.nodes().withLabel(NODE_LABEL).list().getItems().stream()
                        .filter(
                            n ->
                                n.getStatus().getConditions() != null
                                    && n.getStatus().getConditions().stream()
                                        .anyMatch(
                                            c ->
                                                "Ready".equals(c.getType())
                                                    && "True".equals(c.getStatus())))
                        .count()
                    >= want);
  }

  /** Deletes the nodes {@link #ensureNodes} added. */
  static void removeNodes(KubernetesClient client) {
    client.nodes().withLabel(NODE_LABEL).delete();
  }

  /** One run with {@code o.n()} DisaggClusters; leaves nothing behind but the nodes. */
  static Result run(KubernetesClient admin, Options o, java.io.PrintStream log) throws Exception {
    String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
    String opNs = "cpb-" + o.n() + "-op-" + suffix;
    String ssaNs = "cpb-" + o.n() + "-ssa-" + suffix;
    createNamespace(admin, opNs);
    createNamespace(admin, ssaNs);
    TestNamespace op = new TestNamespace(admin, opNs);
    AuditLog audit = new AuditLog(LocalTools.auditLog());
    if (!audit.exists()) {
      throw new IllegalStateException(
          "no audit log at "
              + LocalTools.auditLog()
              + ": the local cluster predates e2e/cluster/audit-policy.yaml; e2e/cluster/up.sh recreates it");
    }
    ensureNodes(admin, 4 * o.n() + 8);
    try (EtcdServer etcdOp = EtcdServer.start();
        EtcdServer etcdSsa = EtcdServer.start()) {
      Helm.run(
              Duration.ofMinutes(4),
              List.of(
                  "install",
                  RELEASE,
                  Helm.chartDir().toString(),
                  "--namespace",
                  opNs,
                  "--kubeconfig",
                  LocalCluster.availability().kubeconfig().toString(),
                  "--skip-crds",
                  "--wait",
                  "--set",
                  "replicas=0",
                  "--set",
                  "watchNamespaces={" + opNs + "}",
                  "--set",
                  "discovery.defaultEtcdEndpoints={" + etcdOp.endpoint() + "}"))
          .orFail();
      Deployment chart = PackagedOperator.chartDeployment(op, RELEASE);
      String sa = chart.getSpec().getTemplate().getSpec().getServiceAccountName();
      String user = "system:serviceaccount:" + opNs + ":" + sa;
      List<String> jvm = PackagedOperator.chartJvmOptions(chart);
      List<String> names = new ArrayList<>();
      for (int i = 0; i < o.n(); i++) {
        names.add(String.format(Locale.ROOT, "c-%04d", i));
      }
      List<String> children = names.stream().flatMap(c -> Children.expected(c).stream()).toList();
      List<String> workloads = names.stream().flatMap(c -> Children.workloads(c).stream()).toList();
      List<String> crKeys = names.stream().map(c -> "DisaggCluster/" + c).toList();
      try (SimulatedKubelet kubeletOp =
              SimulatedKubelet.builder(admin, opNs, etcdOp.endpoint()).start();
          SimulatedKubelet kubeletSsa =
              SimulatedKubelet.builder(admin, ssaNs, etcdSsa.endpoint()).start();
          Children opWatch = new Children(admin, opNs, true);
          Children ssaWatch = new Children(admin, ssaNs, false);
          PackagedOperator operator =
              PackagedOperator.start(op, chart, "operator-0", Map.of(), jvm)) {
        Sim opSim = new Sim(opNs, opWatch, kubeletOp);
        Sim ssaSim = new Sim(ssaNs, ssaWatch, kubeletSsa);
        try {
          return measure(
              admin, o, log, op, opSim, ssaSim, audit, etcdOp, user, jvm, names, children,
              workloads, crKeys, operator);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          diagnose(admin, opSim, log);
          diagnose(admin, ssaSim, log);
          log.println("[control-plane] operator log tail:\n" + operator.logTail(60));
          throw e;
        }
      } finally {
        Helm.run(
            Duration.ofMinutes(2),
            List.of(
                "uninstall",
                RELEASE,
                "--namespace",
                opNs,
                "--kubeconfig",
                LocalCluster.availability().kubeconfig().toString()));
      }
    } finally {
      admin.namespaces().withName(opNs).delete();
      admin.namespaces().withName(ssaNs).delete();
      // What was measured stands even when the clean-up is slow (at N = 500, deleting 1500 pods
      // took longer than 10 minutes on 2 cores): a warning, not a failure.
      Duration cleanup = Duration.ofMinutes(Math.max(10, o.n() / 25));
      try {
        await()
            .atMost(cleanup)
            .pollInterval(Duration.ofSeconds(2))
            .until(
                () ->
                    admin.namespaces().withName(opNs).get() == null
                        && admin.namespaces().withName(ssaNs).get() == null);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        log.println(
            "[control-plane] WARNING: namespaces "
                + opNs
                + " and "
                + ssaNs
                + " still terminating after "
                + cleanup.toMinutes()
                + " min; the next N starts next to them");
      }
    }
  }

  /** Whether {@code conditions} (may be null) hold a condition "Ready" with status "True". */
  private static <C> boolean readyTrue(
      List<C> conditions, Function<C, String> type, Function<C, String> status) {
    return conditions != null
        && conditions.stream()
            .anyMatch(c -> "Ready".equals(type.apply(c)) && "True".equals(status.apply(c)));
  }

  /**
   * One side of the comparison: its namespace, the watch of its children and the simulated kubelet
   * that runs its pods.
   */
  private record Sim(String ns, Children watch, SimulatedKubelet kubelet) {}

  /**
   * What is not Ready on one side: DisaggClusters, pods and simulated routers (their worker lists
   * and last events), a few of each.
   */
  private static void diagnose(KubernetesClient admin, Sim sim, java.io.PrintStream log) {
    String ns = sim.ns();
    sim.kubelet().routers().entrySet().stream()
        .filter(r -> !r.getValue().isReady())
        .limit(3)
        .forEach(
            r -> {
              List<String> events = r.getValue().events();
              log.printf(
                  "[control-plane] router not ready: %s/%s servers %s prepared %s, last events %s%n",
                  ns,
                  r.getKey(),
                  Arrays.stream(WorkerRole.values()).map(r.getValue()::servers).toList(),
                  Arrays.stream(WorkerRole.values()).map(r.getValue()::preparedServers).toList(),
                  events.subList(Math.max(0, events.size() - 15), events.size()));
            });
    try {
      admin.resources(DisaggCluster.class).inNamespace(ns).list().getItems().stream()
          .filter(
              d ->
                  !readyTrue(
                      d.getStatus() == null ? null : d.getStatus().getConditions(),
                      c -> c.getType(),
                      c -> c.getStatus()))
          .limit(5)
          .forEach(
              d ->
                  log.printf(
                      "[control-plane] not Ready: %s/%s %s%n",
                      ns,
                      d.getMetadata().getName(),
                      d.getStatus() == null ? "(no status)" : Serialization.asJson(d.getStatus())));
      admin.pods().inNamespace(ns).list().getItems().stream()
          .filter(
              p ->
                  !readyTrue(
                      p.getStatus() == null ? null : p.getStatus().getConditions(),
                      c -> c.getType(),
                      c -> c.getStatus()))
          .limit(10)
          .forEach(
              p ->
                  log.printf(
                      "[control-plane] pod not Ready: %s/%s node %s phase %s ip %s conditions %s%n",
                      ns,
                      p.getMetadata().getName(),
                      p.getSpec().getNodeName(),
                      p.getStatus() == null ? null : p.getStatus().getPhase(),
                      p.getStatus() == null ? null : p.getStatus().getPodIP(),
                      p.getStatus() == null
                          ? null
                          : Serialization.asJson(p.getStatus().getConditions())));
    } catch (RuntimeException e) {
      log.println("[control-plane] diagnosis failed: " + e);
    }
  }

  private static Result measure(
      KubernetesClient admin,
      Options o,
      java.io.PrintStream log,
      TestNamespace op,
      Sim opSim,
      Sim ssaSim,
      AuditLog audit,
      EtcdServer etcdOp,
      String user,
      List<String> jvm,
      List<String> names,
      List<String> children,
      List<String> workloads,
      List<String> crKeys,
      PackagedOperator operator)
      throws Exception {
    String opNs = opSim.ns();
    String ssaNs = ssaSim.ns();
    Children opWatch = opSim.watch();
    {
      {
        long pid = operator.process().pid();
        await()
            .atMost(Duration.ofSeconds(120))
            .until(() -> operator.process().isAlive() && operator.started());
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> "operator-0".equals(PackagedOperator.leaseHolder(op, RELEASE + "-leader")));
        // warm-up: one DisaggCluster created, Ready, deleted (the first reconciles of a fresh JVM
        // load and compile most of the code; a running operator has done that long ago)
        if (o.warmUp()) {
          Path warm = temp("warmup", crYaml(List.of("warmup")));
          LocalTools.kubectl(
                  o.timeout(), null, "apply", "--server-side", "-n", opNs, "-f", warm.toString())
              .orFail();
          awaitTime(
              o,
              "warm-up: Ready",
              () -> opWatch.allReady(List.of("DisaggCluster/warmup")).orElse(null),
              () -> "not Ready");
          admin.resources(DisaggCluster.class).inNamespace(opNs).withName("warmup").delete();
          await()
              .atMost(o.timeout())
              .pollInterval(Duration.ofSeconds(1))
              .until(
                  () ->
                      admin.apps().statefulSets().inNamespace(opNs).list().getItems().isEmpty()
                          && admin.pods().inNamespace(opNs).list().getItems().isEmpty());
        }
        // idle: leading, after one cluster came and went, nothing to reconcile
        ProcessCost idle = ProcessCost.measure(pid);
        String collector = ProcessCost.collector(pid);
        long maxHeap = ProcessCost.maxHeapMiB(pid);
        log.printf(
            "[control-plane] N=%d idle operator: %s (GC %s, max heap %d MiB, %s)%n",
            o.n(), idle, collector, maxHeap, jvm);
        log.printf(
            "[control-plane] N=%d idle operator threads by name: %s%n",
            o.n(), ProcessCost.threadNames(pid));

        // --- operator side
        Path crs = temp("crs", crYaml(names));
        AuditLog.Mark applyMark = audit.mark();
        double cpu0 = ProcessCost.cpuSeconds(pid);
        Side opSide =
            applyAndTime(o, "operator side", admin, opSim, crs, children, crKeys, "Ready", log);
        double cpuApplyToReady = ProcessCost.cpuSeconds(pid) - cpu0;
        log.printf("[control-plane] N=%d operator side: %s%n", o.n(), opSide);
        log.printf(
            "[control-plane] N=%d operator side, request latencies: %s%n",
            o.n(), audit.latencies(applyMark, opNs, user));
        // --- SSA side: the same children, ownerless, in the other namespace
        Side ssaSide = Side.NOT_RUN;
        if (o.ssaSide()) {
          AuditLog.Mark ssaMark = audit.mark();
          Path dump = temp("children", childrenYaml(admin, opNs, ssaNs));
          ssaSide =
              applyAndTime(
                  o, "SSA side", admin, ssaSim, dump, children, workloads, "workloads ready", log);
          log.printf("[control-plane] N=%d SSA side: %s%n", o.n(), ssaSide);
          log.printf(
              "[control-plane] N=%d SSA side, request latencies: %s%n",
              o.n(), audit.latencies(ssaMark, ssaNs, user));
        }

        // --- writes: a quiet window
        stays(o.settle(), operator);
        AuditLog.Mark mark = audit.mark();
        double cpuQ0 = ProcessCost.cpuSeconds(pid);
        Instant q0 = Instant.now();
        stays(o.quiet(), operator);
        Instant q1 = Instant.now();
        double cpuQuiet = ProcessCost.cpuSeconds(pid) - cpuQ0;
        Map<String, Integer> quiet = audit.writes(mark, user, q0, q1);
        log.printf("[control-plane] N=%d quiet %.0f s: %s%n", o.n(), seconds(q0, q1), quiet);
        ProcessCost loaded = ProcessCost.measure(pid);
        log.printf("[control-plane] N=%d operator: %s%n", o.n(), loaded);
        log.printf(
            "[control-plane] N=%d operator heap by class:%n%s",
            o.n(), ProcessCost.classHistogram(pid, 25));
        log.printf(
            "[control-plane] N=%d operator threads by name: %s%n",
            o.n(), ProcessCost.threadNames(pid));

        // --- writes: a no-op change (an annotation)
        String first = names.get(0);
        mark = audit.mark();
        Instant a0 = Instant.now();
        admin
            .resources(DisaggCluster.class)
            .inNamespace(opNs)
            .withName(first)
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                "{\"metadata\":{\"annotations\":{\"bench.disagg.io/touched\":\"" + a0 + "\"}}}");
        stays(o.noOpWindow(), operator);
        Map<String, Integer> noOp = audit.writes(mark, user, a0, Instant.now());
        log.printf("[control-plane] N=%d no-op annotation: %s%n", o.n(), noOp);

        // --- writes: one pool's scale change, until Ready again
        mark = audit.mark();
        opWatch.forgetReady("DisaggCluster/" + first);
        Instant g0 = Instant.now();
        admin
            .resources(DisaggCluster.class)
            .inNamespace(opNs)
            .withName(first)
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"generation\":{\"replicas\":2}}}");
        Instant scaled =
            awaitTime(
                o,
                "scale change: Ready",
                () -> opWatch.allReady(List.of("DisaggCluster/" + first)).orElse(null),
                () -> "not Ready");
        // and what follows Ready within the no-op window (late status updates)
        stays(o.noOpWindow(), operator);
        Map<String, Integer> scale = audit.writes(mark, user, g0, Instant.now());
        log.printf("[control-plane] N=%d scale 1->2: %s%n", o.n(), scale);

        Result r =
            new Result(
                o.n(),
                opSide,
                ssaSide,
                quiet,
                seconds(q0, q1),
                noOp,
                scale,
                seconds(g0, scaled),
                idle,
                loaded,
                cpuApplyToReady,
                cpuQuiet,
                collector,
                maxHeap,
                jvm);
        return r;
      }
    }
  }

  /**
   * One side of the comparison: {@code kubectl apply --server-side} of {@code yaml} into {@code
   * ns}, then the time until every one of {@code children} exists and until every one of {@code
   * readyKeys} is ready (NaN, with how much was ready, when not within the timeout; what is not
   * ready is then logged). Times in seconds from the apply's start.
   */
  private static Side applyAndTime(
      Options o,
      String side,
      KubernetesClient admin,
      Sim sim,
      Path yaml,
      Collection<String> children,
      Collection<String> readyKeys,
      String readyWhat,
      java.io.PrintStream log) {
    Children watch = sim.watch();
    Instant t0 = Instant.now();
    // The apply itself is not bounded by o.timeout() (the bound of the waits): at N = 500 on
    // 2 cores the CRs' apply alone took 930 s.
    Duration applyBound = Duration.ofMinutes(5).plusSeconds(3L * children.size());
    LocalTools.kubectl(
            applyBound, null, "apply", "--server-side", "-n", sim.ns(), "-f", yaml.toString())
        .orFail();
    double apply = seconds(t0, Instant.now());
    Instant seen =
        awaitTime(
            o,
            side + ": children",
            () -> watch.allSeen(children).orElse(null),
            () -> watch.countSeen(children) + "/" + children.size() + " children");
    Instant ready =
        awaitTimeOrNull(
            o,
            side + ": " + readyWhat,
            () -> watch.allReady(readyKeys).orElse(null),
            () -> watch.countReady(readyKeys) + "/" + readyKeys.size() + " " + readyWhat);
    if (ready == null) {
      diagnose(admin, sim, log);
    }
    return new Side(
        apply,
        seconds(t0, seen),
        ready == null ? Double.NaN : seconds(t0, ready),
        watch.countReady(readyKeys) + "/" + readyKeys.size());
  }

  /** Waits {@code window}, failing if the operator exits meanwhile. */
  private static void stays(Duration window, PackagedOperator operator) {
    await().during(window).atMost(window.plusSeconds(10)).until(() -> operator.process().isAlive());
  }

  /** {@link #awaitTime}, or null at the timeout. */
  private static Instant awaitTimeOrNull(
      Options o, String what, Supplier<Instant> time, Supplier<String> progress) {
    try {
      return awaitTime(o, what, time, progress);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      System.out.printf("[control-plane] %s: timed out at %s%n", what, progress.get());
      return null;
    }
  }

  private static Instant awaitTime(
      Options o, String what, Supplier<Instant> time, Supplier<String> progress) {
    Instant[] result = new Instant[1];
    await()
        .alias(what)
        .atMost(o.timeout())
        .pollInterval(Duration.ofMillis(100))
        .conditionEvaluationListener(
            c -> {
              if (c.getElapsedTimeInMS() / 1000 != (c.getElapsedTimeInMS() - 100) / 1000
                  && c.getElapsedTimeInMS() % 10_000 < 100) {
                System.out.printf(
                    "[control-plane] %s: %s after %d s%n",
                    what, progress.get(), c.getElapsedTimeInMS() / 1000);
              }
            })
        .until(
            () -> {
              result[0] = time.get();
              return result[0] != null;
            });
    return result[0];
  }

  /**
   * N DisaggClusters from {@code config-samples/minimal.yaml}: 1 context and 1 generation worker.
   */
  static String crYaml(List<String> names) {
    StringBuilder out = new StringBuilder();
    for (String name : names) {
      DisaggCluster cr = Samples.load("minimal.yaml");
      cr.getMetadata().setName(name);
      cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>()); // the chart's default
      cr.getSpec().getContext().setReplicas(1);
      cr.getSpec().getContext().setMinimalInstances(1);
      cr.getSpec().getGeneration().setReplicas(1);
      cr.getSpec().getGeneration().setMinimalInstances(1);
      out.append(Serialization.asYaml(cr)).append("\n");
    }
    return out.toString();
  }

  /**
   * The DisaggCluster children in {@code from}, as a user would write them for {@code to}: no owner
   * references, status or server-set metadata, no allocated ClusterIPs.
   */
  @SuppressWarnings("unchecked")
  static String childrenYaml(KubernetesClient admin, String from, String to) {
    List<HasMetadata> all = new ArrayList<>();
    all.addAll(admin.configMaps().inNamespace(from).list().getItems());
    all.addAll(admin.services().inNamespace(from).list().getItems());
    // Routers before workers: a 1.2 router routes only to workers that register after it started
    // (SimulatedRelease.routerAddsExistingRegistrations), so with the StatefulSets applied first
    // (kubectl applies one object at a time, minutes at N = 100) no router ever became ready.
    all.addAll(admin.apps().deployments().inNamespace(from).list().getItems());
    all.addAll(admin.apps().statefulSets().inNamespace(from).list().getItems());
    all.addAll(admin.policy().v1().podDisruptionBudget().inNamespace(from).list().getItems());
    all.addAll(admin.network().v1().networkPolicies().inNamespace(from).list().getItems());
    ObjectMapper yaml =
        new ObjectMapper(
                new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .disable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    StringBuilder out = new StringBuilder();
    for (HasMetadata o : all) {
      if (o.getMetadata().getOwnerReferences() == null
          || o.getMetadata().getOwnerReferences().stream()
              .noneMatch(r -> "DisaggCluster".equals(r.getKind()))) {
        continue;
      }
      Map<String, Object> m =
          new LinkedHashMap<>(Serialization.jsonMapper().convertValue(o, Map.class));
      m.remove("status");
      Map<String, Object> meta = (Map<String, Object>) m.get("metadata");
      for (String f :
          List.of(
              "ownerReferences",
              "uid",
              "resourceVersion",
              "managedFields",
              "creationTimestamp",
              "generation",
              "selfLink")) {
        meta.remove(f);
      }
      meta.put("namespace", to);
      Map<String, Object> annotations = (Map<String, Object>) meta.get("annotations");
      if (annotations != null) {
        annotations.remove("deployment.kubernetes.io/revision");
        if (annotations.isEmpty()) {
          meta.remove("annotations");
        }
      }
      Map<String, Object> spec = (Map<String, Object>) m.get("spec");
      if ("Service".equals(o.getKind()) && spec != null && !"None".equals(spec.get("clusterIP"))) {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
      }
      try {
        out.append("---\n").append(yaml.writeValueAsString(m));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out.toString();
  }

  private static void createNamespace(KubernetesClient admin, String name) {
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("serving.disagg.io/test", "true")
                .endMetadata()
                .build())
        .create();
  }

  private static Path temp(String prefix, String text) {
    try {
      Path f = Files.createTempFile("cpbench-" + prefix, ".yaml");
      f.toFile().deleteOnExit();
      Files.writeString(f, text);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double seconds(Instant from, Instant to) {
    return Duration.between(from, to).toMillis() / 1000.0;
  }
}
