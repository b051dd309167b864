package io.disagg.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.config.TrtllmConfig;
import io.disagg.operator.core.Pool;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workers' preStop script ({@code deregister.py}, as the operator ships it) against a real
 * etcd, with registrations written the way TensorRT-LLM writes them ({@code
 * tensorrt_llm/serve/disagg_auto_scaling.py}): one lease per worker, put-if-absent of {@code
 * /trtllm-disagg/<cluster_name>/workers/<worker_id>} = {@code {"worker_id","host","port","role"}}.
 *
 * <p>Needs {@code python3} with the modules of {@code e2e/requirements-prestop.txt}; without them
 * the tests are skipped, unless the environment variable {@code CI} is set: then they fail.
 */
class DeregisterScriptIT {

  private static final String POD_IP = "10.1.2.3";
  private static final int PORT = 8000;

  /** Upper bound for one run of the script: its etcd deadline is 8 s, the grace comes on top. */
  private static final Duration RUN_TIMEOUT = Duration.ofSeconds(60);

  private static EtcdServer etcd;
  private static Client client;

  @TempDir Path dir;

  /** Why python3 cannot run the script here, or null when it can. */
  private static String missingPython;

  @BeforeAll
  static void startEtcd() {
    missingPython = missingPythonModules();
    if (missingPython != null && System.getenv("CI") != null) {
      throw new IllegalStateException("CI is set: " + missingPython);
    }
    if (missingPython == null) {
      etcd = EtcdServer.start();
      client = etcd.newClient();
    }
  }

  @BeforeEach
  void skipWithoutPython() {
    Assumptions.assumeTrue(missingPython == null, () -> "skipped: " + missingPython);
  }

  @AfterAll
  static void stopEtcd() {
    if (client != null) {
      client.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void deletesOnlyThisPodsKeyAndKeepsItsLease() throws Exception {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().getDiscovery().setClusterName("dereg-only-mine");
    // an unreachable member first: the script must go on to the next one
    cr.getSpec()
        .getDiscovery()
        .getEtcd()
        .setEndpoints(List.of("127.0.0.1:" + closedPort(), etcd.endpoint()));
    String prefix = "/trtllm-disagg/dereg-only-mine/workers/";

    Worker mine = register(prefix, "GENERATION", POD_IP, PORT, 1);
    Worker otherHost = register(prefix, "GENERATION", "10.1.2.4", PORT, 1);
    Worker otherPort = register(prefix, "CONTEXT", POD_IP, PORT + 1, 0);
    Worker malformed = put(prefix + "CONTEXT-garbage", "{not json", lease(60));
    Worker otherCluster =
        register("/trtllm-disagg/another-cluster/workers/", "GENERATION", POD_IP, PORT, 1);

    Run run = runScript(cr, Pool.GENERATION, Map.of("POD_IP", POD_IP), "0");

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("deleted " + mine.key()).contains("failed");
    assertThat(keys("/trtllm-disagg/"))
        .containsExactlyInAnyOrder(
            otherHost.key(), otherPort.key(), malformed.key(), otherCluster.key());

    // the lease is untouched: the worker's heartbeat (a lease refresh) keeps succeeding
    assertThat(
            client
                .getLeaseClient()
                .timeToLive(mine.lease(), LeaseOption.DEFAULT)
                .get(10, TimeUnit.SECONDS)
                .getTTL())
        .isPositive();
    assertThat(
            client.getLeaseClient().keepAliveOnce(mine.lease()).get(10, TimeUnit.SECONDS).getTTL())
        .isPositive();
  }

  @Test
  void waitsTheGraceOnlyAfterADeletion() throws Exception {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().getDiscovery().setClusterName("dereg-grace");
    cr.getSpec().getDiscovery().getEtcd().setEndpoints(List.of(etcd.endpoint()));
    Worker mine = register("/trtllm-disagg/dereg-grace/workers/", "CONTEXT", POD_IP, PORT, 0);

    Run first = runScript(cr, Pool.CONTEXT, Map.of("POD_IP", POD_IP), "2");
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(first.output()).contains("deleted " + mine.key());
    assertThat(first.elapsed()).isGreaterThanOrEqualTo(Duration.ofSeconds(2));

    // again, as after the operator's own drain: nothing left to delete, so no wait
    Run second = runScript(cr, Pool.CONTEXT, Map.of("POD_IP", POD_IP), "30");
    assertThat(second.exitCode()).as(second.output()).isZero();
    assertThat(second.output()).contains("0 key(s)").doesNotContain("deleted /");
    assertThat(second.elapsed()).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void exitsZeroInBoundedTimeWhenEtcdIsUnreachable() throws Exception {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec()
        .getDiscovery()
        .getEtcd()
        .setEndpoints(List.of("127.0.0.1:" + closedPort(), "127.0.0.1:" + closedPort()));

    Run run = runScript(cr, Pool.GENERATION, Map.of("POD_IP", POD_IP), "30");

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("no etcd endpoint answered");
    assertThat(run.elapsed()).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void exitsZeroWithoutPodIpOrWithAMissingFile() throws Exception {
    DisaggCluster cr = ModelFixtures.cluster();
    cr.getSpec().getDiscovery().getEtcd().setEndpoints(List.of(etcd.endpoint()));

    Run noIp = runScript(cr, Pool.GENERATION, Map.of(), "30");
    assertThat(noIp.exitCode()).as(noIp.output()).isZero();
    assertThat(noIp.output()).contains("POD_IP is not set");

    Path script = dir.resolve("deregister.py");
    Files.writeString(script, TrtllmConfig.deregisterScript());
    Run noFile =
        run(
            List.of(
                "python3", script.toString(), dir.resolve("missing.yaml").toString(), "8000", "30"),
            Map.of("POD_IP", POD_IP));
    assertThat(noFile.exitCode()).as(noFile.output()).isZero();
    assertThat(noFile.output()).contains("FileNotFoundError");
    assertThat(noFile.elapsed()).isLessThan(Duration.ofSeconds(20));
  }

  // --- registrations as TensorRT-LLM writes them
  // ---------------------------------------------------

  record Worker(String key, long lease) {}

  /** A worker's registration: its own lease (TTL 60 s) and a put-if-absent of its JSON. */
  private static Worker register(String prefix, String role, String host, int port, int roleNumber)
      throws Exception {
    String workerId =
        role
            + "-"
            + host
            + ":"
            + port
            + "-"
            + System.currentTimeMillis()
            + "-"
            + ProcessHandle.current().pid()
            + "-"
            + String.format("%03d", (int) (Math.random() * 1000));
    String json =
        "{\"worker_id\": \""
            + workerId
            + "\", \"host\": \""
            + host
            + "\", \"port\": "
            + port
            + ", \"role\": "
            + roleNumber
            + "}";
    return put(prefix + workerId, json, lease(60));
  }

  private static long lease(long ttlSeconds) throws Exception {
    return client.getLeaseClient().grant(ttlSeconds).get(10, TimeUnit.SECONDS).getID();
  }

  private static Worker put(String key, String value, long lease) throws Exception {
    ByteSequence k = bytes(key);
    boolean created =
        client
            .getKVClient()
            .txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.version(0)))
            .Then(Op.put(k, bytes(value), PutOption.builder().withLeaseId(lease).build()))
            .commit()
            .get(10, TimeUnit.SECONDS)
            .isSucceeded();
    assertThat(created).as("put-if-absent of %s", key).isTrue();
    return new Worker(key, lease);
  }

  private static List<String> keys(String prefix) throws Exception {
    List<String> out = new ArrayList<>();
    for (KeyValue kv :
        client
            .getKVClient()
            .get(bytes(prefix), GetOption.builder().isPrefix(true).build())
            .get(10, TimeUnit.SECONDS)
            .getKvs()) {
      out.add(kv.getKey().toString(StandardCharsets.UTF_8));
    }
    return out;
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  // --- running the script
  // ---------------------------------------------------------------------------

  record Run(int exitCode, String output, Duration elapsed) {}

  /**
   * Writes the ConfigMap files the pod would mount (the pool's YAML and the script) and runs the
   * hook.
   */
  private Run runScript(DisaggCluster cr, Pool pool, Map<String, String> env, String grace)
      throws Exception {
    Map<String, String> data = TrtllmConfig.configMapData(EffectiveSpecs.of(cr, List.of()).spec());
    Path yaml = dir.resolve(TrtllmConfig.workerConfigKey(pool));
    Path script = dir.resolve(TrtllmConfig.DEREGISTER_SCRIPT_KEY);
    Files.writeString(yaml, data.get(TrtllmConfig.workerConfigKey(pool)));
    Files.writeString(script, data.get(TrtllmConfig.DEREGISTER_SCRIPT_KEY));
    int port = cr.getSpec().pool(pool).getPort();
    return run(
        List.of("python3", script.toString(), yaml.toString(), String.valueOf(port), grace), env);
  }

  private Run run(List<String> command, Map<String, String> env) throws Exception {
    Path out = Files.createTempFile(dir, "deregister-", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().remove("POD_IP");
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(
          "deregister.py still running after " + RUN_TIMEOUT + ":\n" + Files.readString(out));
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    return new Run(p.exitValue(), Files.readString(out), elapsed);
  }

  /** A loopback port nobody listens on (bound, then closed). */
  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Null when python3 has PyYAML and etcd-sdk-python's {@code pyetcd} (loaded the way the script
   * and TensorRT-LLM load it), else what is missing.
   */
  private static String missingPythonModules() {
    String check =
        "import importlib.metadata as m, yaml, grpc, google.protobuf; m.distribution('etcd-sdk-python'); import pyetcd";
    String problem;
    try {
      Process p = new ProcessBuilder("python3", "-c", check).redirectErrorStream(true).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        problem = "python3 did not answer within 60 s";
      } else {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        problem = p.exitValue() == 0 ? null : out.substring(out.lastIndexOf('\n') + 1);
      }
    } catch (IOException e) {
      problem = "no python3: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      problem = "interrupted";
    }
    return problem == null
        ? null
        : "python3 lacks the preStop script's modules ("
            + problem
            + "); install them with: python3 -m pip install -r e2e/requirements-prestop.txt";
  }
}
