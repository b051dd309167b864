package io.disagg.operator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EtcdEndpointTest {

  @ParameterizedTest
  @CsvSource({
    "etcd.infra.svc:2379, '', etcd.infra.svc:2379",
    "etcd://ETCD-B.infra.svc:2379/, etcd, etcd-b.infra.svc:2379",
    "' http://10.0.0.7:12379 ', http, 10.0.0.7:12379",
    "HTTPS://etcd:2379, https, etcd:2379",
    "[fd00::1]:2379, '', [fd00::1]:2379",
    "etcd://[FD00::1]:2379//, etcd, [fd00::1]:2379"
  })
  void oneGrammar(String raw, String scheme, String hostPort) {
    EtcdEndpoint e = EtcdEndpoint.parse(raw);
    assertThat(e.scheme()).isEqualTo(scheme);
    assertThat(e.hostPort()).isEqualTo(hostPort);
    assertThat(e.tls()).isEqualTo(scheme.equals("https"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "etcd.infra.svc",
        "etcd:port",
        "etcd:2379/path",
        "a b:2379",
        "etcd:0",
        "etcd:99999",
        "grpc://etcd:2379",
        "fd00::1:2379",
        "-etcd:2379",
        ":2379",
        " "
      })
  void everythingElseIsRefusedWithTheReason(String raw) {
    assertThatThrownBy(() -> EtcdEndpoint.parse(raw))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageMatching(".*(host:port|out of range|scheme|is empty).*");
  }
}
