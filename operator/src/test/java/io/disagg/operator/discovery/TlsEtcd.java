package io.disagg.operator.discovery;

import io.disagg.operator.testing.LocalCluster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Test helper: a real etcd serving clients over TLS only, with client-certificate authentication,
 * on 127.0.0.1 ({@code EtcdServer} has no TLS). Certificates come from the {@code openssl} command:
 * a CA, a server certificate for the name localhost only (not for 127.0.0.1), and client
 * certificates whose keys are in PKCS#8, PKCS#1 (RSA) and SEC1 (EC) encodings.
 */
final class TlsEtcd implements AutoCloseable {
  final Path dir;
  final int port;
  private final Process process;

  private TlsEtcd(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  static TlsEtcd start(Path dir) throws Exception {
    certificates(dir);
    int port = freePort();
    int peer = freePort();
    Path log = dir.resolve("etcd.log");
    List<String> cmd =
        List.of(
            etcdBinary().toString(),
            "--name",
            "tls",
            "--data-dir",
            dir.resolve("data").toString(),
            "--listen-client-urls",
            "https://127.0.0.1:" + port,
            "--advertise-client-urls",
            "https://127.0.0.1:" + port,
            "--listen-peer-urls",
            "http://127.0.0.1:" + peer,
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:" + peer,
            "--initial-cluster",
            "tls=http://127.0.0.1:" + peer,
            "--listen-metrics-urls",
            "http://127.0.0.1:" + freePort(),
            "--cert-file",
            dir.resolve("server.crt").toString(),
            "--key-file",
            dir.resolve("server.key").toString(),
            "--trusted-ca-file",
            dir.resolve("ca.crt").toString(),
            "--client-cert-auth",
            "--log-level",
            "warn");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              if (!p.isAlive()) {
                throw new IllegalStateException("etcd exited: " + Files.readString(log));
              }
              try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
              } catch (IOException e) {
                return false;
              }
            });
    return new TlsEtcd(dir, port, p);
  }

  byte[] read(String file) throws IOException {
    return Files.readAllBytes(dir.resolve(file));
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void certificates(Path dir) throws Exception {
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=DNS:localhost\n");
    Files.writeString(dir.resolve("client.ext"), "extendedKeyUsage=clientAuth\n");
    openssl(
        dir,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca");
    openssl(
        dir,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "other-ca.key",
        "-out",
        "other-ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=other-ca");
    openssl(
        dir,
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=etcd");
    openssl(
        dir,
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext");
    // client keys: PKCS#8 RSA, PKCS#1 RSA ("BEGIN RSA PRIVATE KEY"), SEC1 EC ("BEGIN EC PRIVATE
    // KEY")
    openssl(
        dir,
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        "client-pkcs8.key");
    openssl(dir, "genrsa", "-traditional", "-out", "client-pkcs1.key", "2048");
    openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "client-ec.key");
    for (String k : new String[] {"pkcs8", "pkcs1", "ec"}) {
      openssl(
          dir,
          "req",
          "-new",
          "-key",
          "client-" + k + ".key",
          "-out",
          "client-" + k + ".csr",
          "-subj",
          "/CN=operator");
      openssl(
          dir,
          "x509",
          "-req",
          "-in",
          "client-" + k + ".csr",
          "-CA",
          "ca.crt",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-out",
          "client-" + k + ".crt",
          "-days",
          "2",
          "-extfile",
          "client.ext");
    }
  }

  private static void openssl(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }
  }

  /**
   * The etcd binary EtcdServer uses: the one e2e/cluster/build.sh prints the directory of, else
   * PATH.
   */
  private static Path etcdBinary() throws Exception {
    Path root = LocalCluster.repoRoot();
    Process p =
        new ProcessBuilder("bash", root.resolve("e2e/cluster/build.sh").toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String d = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (p.waitFor() == 0 && Files.isExecutable(Path.of(d, "etcd"))) {
      return Path.of(d, "etcd");
    }
    for (String pathDir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(pathDir, "etcd"))) {
        return Path.of(pathDir, "etcd");
      }
    }
    throw new IllegalStateException("no etcd binary");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
