package io.disagg.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.disagg.e2e.testing.HelmTest;
import io.disagg.operator.testing.LocalCluster;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled etcd's command line, as the chart renders it, run with the pinned etcd binary of the
 * local control plane (the same version as the chart's image tag): it starts, its probe paths
 * answer on the probe port, and a client can write and read on the client port. Only the addresses
 * are rewritten to free loopback ports and the data directory to a temporary one.
 */
@HelmTest
class HelmEtcdCommandTest {

  @Test
  void renderedEtcdCommandStartsThePinnedEtcdAndItsProbesAnswer(@TempDir Path dir)
      throws Exception {
    Path root = LocalCluster.repoRoot();
    String binDir = capture(root, "printf %s \"$BIN_DIR\"");
    String etcdVersion = capture(root, "printf %s \"$ETCD_VERSION\"");
    Path etcd = Path.of(binDir, "etcd");
    assumeTrue(
        Files.isExecutable(etcd) || System.getenv("CI") != null,
        "no etcd at " + etcd + "; run e2e/cluster/build.sh");

    StatefulSet sts =
        Rendered.template("--set", "etcd.enabled=true").only("StatefulSet", StatefulSet.class);
    Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getImage())
        .as("the chart's etcd is the version the tests run")
        .endsWith(":" + etcdVersion);
    assertThat(c.getVolumeMounts())
        .singleElement()
        .satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/var/lib/etcd"));

    int client = freePort();
    int peer = freePort();
    int metrics = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(etcd.toString());
    for (String a : c.getCommand().subList(1, c.getCommand().size())) {
      cmd.add(
          a.replace("/var/lib/etcd", dir.toString())
              .replace("http://0.0.0.0:2379", "http://127.0.0.1:" + client)
              .replace("http://127.0.0.1:2380", "http://127.0.0.1:" + peer)
              .replace("http://0.0.0.0:2381", "http://127.0.0.1:" + metrics));
    }
    assertThat(String.join(" ", cmd))
        .as("every listen address rewritten to loopback")
        .doesNotContain("0.0.0.0");
    Path log = dir.resolveSibling(dir.getFileName() + ".log");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      for (Probe probe :
          List.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe())) {
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("metrics");
        URI uri = URI.create("http://127.0.0.1:" + metrics + probe.getHttpGet().getPath());
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .untilAsserted(
                () -> {
                  assertThat(p.isAlive())
                      .as("etcd running; log:\n%s", Files.exists(log) ? Files.readString(log) : "")
                      .isTrue();
                  assertThat(
                          http.send(
                                  HttpRequest.newBuilder(uri).build(),
                                  HttpResponse.BodyHandlers.ofString())
                              .statusCode())
                      .as("GET %s", uri)
                      .isEqualTo(200);
                });
      }
      assertThat(c.getPorts())
          .anySatisfy(
              port -> {
                assertThat(port.getName()).isEqualTo("metrics");
                assertThat(port.getContainerPort()).isEqualTo(2381);
              });
      try (Client etcdClient = Client.builder().endpoints("http://127.0.0.1:" + client).build()) {
        ByteSequence key =
            ByteSequence.from("/trtllm-disagg/test/workers/w0", StandardCharsets.UTF_8);
        ByteSequence value = ByteSequence.from("{}", StandardCharsets.UTF_8);
        etcdClient.getKVClient().put(key, value).get(10, TimeUnit.SECONDS);
        assertThat(etcdClient.getKVClient().get(key).get(10, TimeUnit.SECONDS).getKvs())
            .singleElement()
            .satisfies(kv -> assertThat(kv.getValue()).isEqualTo(value));
      }
      assertThat(dir.resolve("data"))
          .as("etcd keeps its data in a subdirectory of the volume")
          .isDirectory();
    } finally {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static String capture(Path root, String script) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                "bash", "-c", ". \"$0\"; " + script, root.resolve("e2e/cluster/lib.sh").toString())
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
