package io.disagg.operator.testing;

import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real etcd server process for tests, on 127.0.0.1 with free ports and a temporary data
 * directory. It can be stopped and started again on the same ports and data (an etcd restart as
 * workers and the operator see it). The binary is the one {@code e2e/cluster/build.sh} builds
 * (version pinned in {@code e2e/cluster/versions.env}), else {@code etcd} on the PATH.
 */
public final class EtcdServer implements AutoCloseable {

  private final Path binary;
  private final Path dataDir;
  private final Path log;
  private final int clientPort;
  private final int peerPort;
  private Process process;

  private EtcdServer(Path binary) throws IOException {
    this.binary = binary;
    this.dataDir = Files.createTempDirectory("etcd-test-");
    this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    this.clientPort = freePort();
    this.peerPort = freePort();
  }

  /** Starts a new etcd; fails the test when no binary can be had. */
  public static EtcdServer start() {
    try {
      EtcdServer s = new EtcdServer(findBinary());
      s.startProcess();
      return s;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start etcd: " + e.getMessage(), e);
    }
  }

  /** Client URL, e.g. {@code http://127.0.0.1:23790}. */
  public String clientUrl() {
    return "http://127.0.0.1:" + clientPort;
  }

  /** {@code 127.0.0.1:port}, the form a DisaggCluster's {@code discovery.etcd.endpoints} takes. */
  public String endpoint() {
    return "127.0.0.1:" + clientPort;
  }

  /** A new jetcd client for this server; the caller closes it. */
  public Client newClient() {
    return Client.builder().endpoints(clientUrl()).build();
  }

  /**
   * The worker registrations of a TensorRT-LLM cluster ({@code disagg_cluster.cluster_name}), the
   * values under {@code /trtllm-disagg/<clusterName>/workers/}.
   */
  public List<String> workerRegistrations(String clusterName) {
    try (Client c = newClient()) {
      return c.getKVClient().get(io.etcd.jetcd.ByteSequence.from("/trtllm-disagg/" + clusterName + "/workers/",
              StandardCharsets.UTF_8), io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
          .get(10, TimeUnit.SECONDS).getKvs().stream().map(kv -> kv.getValue().toString(StandardCharsets.UTF_8)).toList();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read registrations from " + clientUrl(), e);
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL) and keeps the data directory. */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** Starts the process again on the same ports and data directory (after {@link #stop()}). */
  public synchronized void restart() {
    stop();
    try {
      startProcess();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    stop();
    try (var walk = Files.walk(dataDir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp directory; best effort
    }
  }

  private synchronized void startProcess() throws IOException {
    List<String> cmd = List.of(binary.toString(),
        "--name", "test",
        "--data-dir", dataDir.toString(),
        "--listen-client-urls", clientUrl(),
        "--advertise-client-urls", clientUrl(),
        "--listen-peer-urls", "http://127.0.0.1:" + peerPort,
        "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
        "--initial-cluster", "test=http://127.0.0.1:" + peerPort,
        "--listen-metrics-urls", "http://127.0.0.1:" + freePort(),
        "--log-level", "warn");
    process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("etcd exited: " + Files.readString(log, StandardCharsets.UTF_8));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", clientPort), 200);
        return true;
      } catch (IOException e) {
        return false;
      }
    });
  }

  private static Path findBinary() throws IOException {
    Path root = LocalCluster.repoRoot();
    try {
      Process p = new ProcessBuilder("bash", root.resolve("e2e/cluster/build.sh").toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String dir = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.waitFor() == 0 && Files.isExecutable(Path.of(dir, "etcd"))) {
        return Path.of(dir, "etcd");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path c = Path.of(d, "etcd");
      if (Files.isExecutable(c)) {
        return c;
      }
    }
    throw new IOException("no etcd binary: run e2e/cluster/build.sh or install etcd");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
