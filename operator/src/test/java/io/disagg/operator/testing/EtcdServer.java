package io.disagg.operator.testing;

import io.etcd.jetcd.Client;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real etcd server process for tests, on 127.0.0.1 with free ports and a temporary data
 * directory. It can be stopped and started again on the same ports and data (an etcd restart as
 * workers and the operator see it). The binary is the one {@code e2e/cluster/build.sh} builds
 * (version pinned in {@code e2e/cluster/versions.env}), else {@code etcd} on the PATH.
 */
public final class EtcdServer implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Path binary;
  private final Path dataDir;
  private final Path log;
  private final int clientPort;
  private final int peerPort;
  private final int metricsPort;
  private Process process;

  private EtcdServer(Path binary) throws IOException {
    this.binary = binary;
    this.dataDir = Files.createTempDirectory("etcd-test-");
    this.log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
    this.clientPort = freePort();
    this.peerPort = freePort();
    this.metricsPort = freePort();
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
      return c
          .getKVClient()
          .get(
              io.etcd.jetcd.ByteSequence.from(
                  "/trtllm-disagg/" + clusterName + "/workers/", StandardCharsets.UTF_8),
              io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
          .get(10, TimeUnit.SECONDS)
          .getKvs()
          .stream()
          .map(kv -> kv.getValue().toString(StandardCharsets.UTF_8))
          .toList();
    } catch (Exception e) {
      throw new IllegalStateException("cannot read registrations from " + clientUrl(), e);
    }
  }

  /**
   * The watchers etcd holds now (its gauge {@code etcd_debugging_mvcc_watcher_total}): one per
   * watch a client created and has not cancelled.
   */
  public int watchers() {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
            .timeout(Duration.ofSeconds(5))
            .build();
    try {
      String text = HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body();
      return text.lines()
          .filter(l -> l.startsWith("etcd_debugging_mvcc_watcher_total "))
          .map(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim()))
          .findFirst()
          .orElseThrow(
              () -> new IllegalStateException("etcd reports no etcd_debugging_mvcc_watcher_total"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the metrics of " + clientUrl(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The TCP connections this JVM has open to etcd's client port now, as the kernel lists them
   * (Linux: the established sockets of {@code /proc/net/tcp} and {@code /proc/net/tcp6} whose
   * remote port is the client port and whose inode is one of this process's file descriptors). A
   * jetcd client to one endpoint holds one once it has sent a request, until it is closed; etcd's
   * connection to itself and other processes' connections are not counted.
   */
  public int connectionsFromThisProcess() {
    Set<String> sockets = new HashSet<>();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      fds.forEach(
          fd -> {
            try {
              String target = Files.readSymbolicLink(fd).toString();
              if (target.startsWith("socket:[")) {
                sockets.add(target.substring("socket:[".length(), target.length() - 1));
              }
            } catch (IOException ignored) {
              // closed meanwhile
            }
          });
      int n = 0;
      for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
        Path p = Path.of(table);
        if (!Files.isReadable(p)) {
          continue;
        }
        List<String> lines = Files.readAllLines(p);
        for (String line : lines.subList(1, lines.size())) {
          // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout
          // inode
          String[] f = line.trim().split("\\s+");
          String remote = f[2];
          boolean established = "01".equals(f[3]);
          int remotePort = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
          if (established && remotePort == clientPort && sockets.contains(f[9])) {
            n++;
          }
        }
      }
      return n;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read this process's sockets", e);
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
    List<String> cmd =
        List.of(
            binary.toString(),
            "--name",
            "test",
            "--data-dir",
            dataDir.toString(),
            "--listen-client-urls",
            clientUrl(),
            "--advertise-client-urls",
            clientUrl(),
            "--listen-peer-urls",
            "http://127.0.0.1:" + peerPort,
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:" + peerPort,
            "--initial-cluster",
            "test=http://127.0.0.1:" + peerPort,
            "--listen-metrics-urls",
            "http://127.0.0.1:" + metricsPort,
            "--log-level",
            "warn");
    process =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    "etcd exited: " + Files.readString(log, StandardCharsets.UTF_8));
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
      Process p =
          new ProcessBuilder("bash", root.resolve("e2e/cluster/build.sh").toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
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
