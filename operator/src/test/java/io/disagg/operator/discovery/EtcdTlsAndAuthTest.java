package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.disagg.operator.testing.EtcdServer;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's etcd connection with TLS (server verification, client certificates) and with
 * user/password.
 */
class EtcdTlsAndAuthTest {

  @TempDir static Path dir;
  static TlsEtcd etcd;

  @BeforeAll
  static void start() throws Exception {
    etcd = TlsEtcd.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    etcd.close();
  }

  static void roundTrip(Client c) throws Exception {
    c.getKVClient()
        .put(TrtllmStyleWorker.bytes("/tls"), TrtllmStyleWorker.bytes("ok"))
        .get(10, TimeUnit.SECONDS);
    assertThat(
            c.getKVClient()
                .get(TrtllmStyleWorker.bytes("/tls"))
                .get(10, TimeUnit.SECONDS)
                .getCount())
        .isEqualTo(1);
  }

  EtcdTarget target(String host, String ca, String clientKind) throws Exception {
    return new EtcdTarget(
        List.of("https://" + host + ":" + etcd.port),
        null,
        null,
        etcd.read(ca),
        clientKind == null ? null : etcd.read("client-" + clientKind + ".crt"),
        clientKind == null ? null : etcd.read("client-" + clientKind + ".key"));
  }

  @Test
  void clientCertificatesInEveryKeyEncodingConnect() throws Exception {
    for (String kind : new String[] {"pkcs8", "pkcs1", "ec"}) {
      try (Client c = EtcdConnections.newClient(target("localhost", "ca.crt", kind))) {
        roundTrip(c);
      }
    }
  }

  @Test
  void serverCertificateIsVerifiedAgainstTheCa() throws Exception {
    try (Client wrongCa = EtcdConnections.newClient(target("localhost", "other-ca.crt", "pkcs8"))) {
      assertThatThrownBy(() -> roundTrip(wrongCa)).hasStackTraceContaining("SSL");
    }
  }

  @Test
  void serverCertificateIsVerifiedForTheEndpointHost() throws Exception {
    // same server, same CA, but 127.0.0.1 is not a name in the server certificate
    try (Client wrongName = EtcdConnections.newClient(target("127.0.0.1", "ca.crt", "pkcs8"))) {
      assertThatThrownBy(() -> roundTrip(wrongName)).isNotNull();
    }
  }

  @Test
  void withoutAClientCertificateTheServerRefuses() throws Exception {
    try (Client noCert = EtcdConnections.newClient(target("localhost", "ca.crt", null))) {
      assertThatThrownBy(() -> roundTrip(noCert)).isNotNull();
    }
  }

  @Test
  void userAndPasswordAuthenticate() throws Exception {
    try (EtcdServer plain = EtcdServer.start();
        Client admin = plain.newClient()) {
      var auth = admin.getAuthClient();
      auth.roleAdd(TrtllmStyleWorker.bytes("root")).get(10, TimeUnit.SECONDS);
      auth.userAdd(TrtllmStyleWorker.bytes("root"), TrtllmStyleWorker.bytes("rootpw"))
          .get(10, TimeUnit.SECONDS);
      auth.userGrantRole(TrtllmStyleWorker.bytes("root"), TrtllmStyleWorker.bytes("root"))
          .get(10, TimeUnit.SECONDS);
      auth.roleAdd(TrtllmStyleWorker.bytes("disagg")).get(10, TimeUnit.SECONDS);
      auth.roleGrantPermission(
              TrtllmStyleWorker.bytes("disagg"),
              TrtllmStyleWorker.bytes("/"),
              TrtllmStyleWorker.bytes("0"),
              Permission.Type.READWRITE)
          .get(10, TimeUnit.SECONDS);
      auth.userAdd(TrtllmStyleWorker.bytes("operator"), TrtllmStyleWorker.bytes("s3cret"))
          .get(10, TimeUnit.SECONDS);
      auth.userGrantRole(TrtllmStyleWorker.bytes("operator"), TrtllmStyleWorker.bytes("disagg"))
          .get(10, TimeUnit.SECONDS);
      auth.authEnable().get(10, TimeUnit.SECONDS);

      EtcdTarget t =
          new EtcdTarget(List.of(plain.clientUrl()), "operator", "s3cret", null, null, null);
      try (Client c = EtcdConnections.newClient(t)) {
        roundTrip(c);
      }
      // what TensorRT-LLM does (no credentials) is refused once authentication is on
      try (Client anonymous = EtcdConnections.newClient(Targets.plain(plain.clientUrl()))) {
        assertThatThrownBy(() -> roundTrip(anonymous))
            .hasStackTraceContaining("user name is empty");
      }
    }
  }

  @Test
  void unreadableKeyMaterialIsReportedWithoutTheKey() throws Exception {
    EtcdTarget bad =
        new EtcdTarget(
            List.of("https://127.0.0.1:" + etcd.port),
            null,
            null,
            etcd.read("ca.crt"),
            etcd.read("client-pkcs8.crt"),
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
                .getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> EtcdConnections.newClient(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("https://127.0.0.1:" + etcd.port);
  }
}
