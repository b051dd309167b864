package io.disagg.operator.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.testing.EffectiveSpecs;
import io.disagg.operator.testing.EtcdServer;
import io.disagg.operator.testing.Fixtures;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EtcdTargetResolverTest {

  static final String NS = "team-a";
  static final byte[] CA =
      "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n"
          .getBytes(StandardCharsets.US_ASCII);

  final Map<String, Map<String, byte[]>> secrets = new HashMap<>();
  final EtcdTargetResolver.SecretReader reader =
      (ns, name) -> Optional.ofNullable(secrets.get(ns + "/" + name));

  static DisaggCluster cr(String... endpoints) {
    DisaggCluster cr = Fixtures.minimal(NS, "demo");
    cr.getSpec().getDiscovery().getEtcd().setEndpoints(new ArrayList<>(List.of(endpoints)));
    return cr;
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The resolver as the reconciler uses it: on the effective spec, with the operator's default
   * endpoints.
   */
  record Resolver(EtcdTargetResolver.SecretReader reader, List<String> defaults) {
    EtcdTarget resolve(DisaggCluster cr) {
      return new EtcdTargetResolver(reader).resolve(EffectiveSpecs.of(cr, defaults).spec());
    }
  }

  @Test
  void endpointsAreNormalizedSortedAndDeduplicated() {
    Resolver r = new Resolver(reader, List.of("default.svc:2379"));
    EtcdTarget t =
        r.resolve(
            cr(
                "etcd://ETCD-B.infra.svc:2379/",
                " etcd-a.infra.svc:2379",
                "http://etcd-a.infra.svc:2379"));
    assertThat(t.endpoints())
        .containsExactly("http://etcd-a.infra.svc:2379", "http://etcd-b.infra.svc:2379");
    assertThat(t.tls()).isFalse();
    assertThat(t.authenticated()).isFalse();
    assertThat(r.resolve(cr(" etcd-a.infra.svc:2379", "etcd://ETCD-B.infra.svc:2379/")))
        .isEqualTo(t)
        .hasSameHashCodeAs(t);
    assertThat(r.resolve(cr("[fd00::1]:2379")).endpoints())
        .containsExactly("http://[fd00::1]:2379");
    assertThat(r.resolve(cr()).endpoints())
        .as("the operator default")
        .containsExactly("http://default.svc:2379");
  }

  @Test
  void withoutAnyEndpointThereIsNoTarget() {
    assertThatThrownBy(() -> new Resolver(reader, List.of()).resolve(cr()))
        .isInstanceOfSatisfying(
            DiscoveryConfigException.class,
            e -> assertThat(e.field()).isEqualTo("spec.discovery.etcd.endpoints"));
  }

  @Test
  void tlsSecretGivesHttpsAndCertificates() {
    secrets.put(NS + "/etcd-tls", Map.of("ca.crt", CA, "tls.crt", b("cert"), "tls.key", b("key")));
    DisaggCluster cr = cr("etcd.infra.svc:2379", "etcd2.infra.svc:2379");
    cr.getSpec().getDiscovery().getEtcd().setTlsSecretRef(new LocalObjectReference("etcd-tls"));
    EtcdTarget t = new Resolver(reader, List.of()).resolve(cr);
    assertThat(t.endpoints())
        .containsExactly("https://etcd.infra.svc:2379", "https://etcd2.infra.svc:2379");
    assertThat(t.tls()).isTrue();
    assertThat(t.caPem()).isEqualTo(CA);
    assertThat(t.certPem()).isEqualTo(b("cert"));
    assertThat(t.keyPem()).isEqualTo(b("key"));

    secrets.put(NS + "/etcd-tls", Map.of("ca.crt", CA));
    EtcdTarget caOnly = new Resolver(reader, List.of()).resolve(cr);
    assertThat(caOnly.certPem()).isNull();
    assertThat(caOnly).isNotEqualTo(t);
  }

  @Test
  void tlsErrorsNameSecretAndKey() {
    DisaggCluster cr = cr("etcd.infra.svc:2379");
    Resolver r = new Resolver(reader, List.of());
    cr.getSpec().getDiscovery().getEtcd().setTlsSecretRef(new LocalObjectReference("etcd-tls"));
    assertThatThrownBy(() -> r.resolve(cr))
        .isInstanceOfSatisfying(
            DiscoveryConfigException.class,
            e -> assertThat(e.field()).isEqualTo("spec.discovery.etcd.tlsSecretRef"))
        .hasMessageContaining("Secret team-a/etcd-tls does not exist");
    secrets.put(NS + "/etcd-tls", Map.of("tls.crt", b("c"), "tls.key", b("k")));
    assertThatThrownBy(() -> r.resolve(cr))
        .hasMessageContaining("spec.discovery.etcd.tlsSecretRef")
        .hasMessageContaining("team-a/etcd-tls")
        .hasMessageContaining("no key ca.crt");
    secrets.put(NS + "/etcd-tls", Map.of("ca.crt", CA, "tls.crt", b("c")));
    assertThatThrownBy(() -> r.resolve(cr)).hasMessageContaining("no key tls.key");
    secrets.put(NS + "/etcd-tls", Map.of("ca.crt", CA, "tls.key", b("k"), "tls.crt", new byte[0]));
    assertThatThrownBy(() -> r.resolve(cr)).hasMessageContaining("no key tls.crt");
    cr.getSpec().getDiscovery().getEtcd().setTlsSecretRef(new LocalObjectReference(""));
    assertThatThrownBy(() -> r.resolve(cr))
        .isInstanceOfSatisfying(
            DiscoveryConfigException.class,
            e -> assertThat(e.field()).isEqualTo("spec.discovery.etcd.tlsSecretRef.name"));
  }

  @Test
  void authSecretGivesCredentialsThatNeverShowInToString() {
    DisaggCluster cr = cr("etcd.infra.svc:2379");
    cr.getSpec().getDiscovery().getEtcd().setAuthSecretRef(new LocalObjectReference("etcd-auth"));
    Resolver r = new Resolver(reader, List.of());
    assertThatThrownBy(() -> r.resolve(cr))
        .hasMessageContaining("spec.discovery.etcd.authSecretRef")
        .hasMessageContaining("team-a/etcd-auth does not exist");
    secrets.put(NS + "/etcd-auth", Map.of("username", b("operator")));
    assertThatThrownBy(() -> r.resolve(cr))
        .isInstanceOfSatisfying(
            DiscoveryConfigException.class,
            e -> assertThat(e.field()).isEqualTo("spec.discovery.etcd.authSecretRef"))
        .hasMessageContaining("team-a/etcd-auth has no key password");
    secrets.put(NS + "/etcd-auth", Map.of("username", b("operator"), "password", b("s3cret")));
    EtcdTarget t = r.resolve(cr);
    assertThat(t.username()).isEqualTo("operator");
    assertThat(t.password()).isEqualTo("s3cret");
    assertThat(t.endpoints()).containsExactly("http://etcd.infra.svc:2379");
    assertThat(t.toString()).contains("operator").doesNotContain("s3cret");
    secrets.put(NS + "/etcd-auth", Map.of("username", b("operator"), "password", b("other")));
    assertThat(r.resolve(cr)).isNotEqualTo(t);
  }

  @Test
  void secretDataDecodesDataAndStringData() {
    var secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName("s")
            .endMetadata()
            .addToData("ca.crt", Base64.getEncoder().encodeToString(CA))
            .addToStringData("username", "u")
            .build();
    Map<String, byte[]> data = EtcdTargetResolver.secretData(secret);
    assertThat(data.get("ca.crt")).isEqualTo(CA);
    assertThat(data.get("username")).isEqualTo(b("u"));
  }

  @Test
  void resolvedTargetConnectsToARealEtcd() throws Exception {
    try (EtcdServer etcd = EtcdServer.start();
        EtcdConnections connections = new EtcdConnections()) {
      DisaggCluster cr = cr();
      EtcdTarget t = new Resolver(reader, List.of(etcd.endpoint())).resolve(cr);
      assertThat(t.endpoints()).containsExactly(etcd.clientUrl());
      try (EtcdConnections.Handle h = connections.acquire(t)) {
        h.client()
            .getKVClient()
            .put(TrtllmStyleWorker.bytes("/x"), TrtllmStyleWorker.bytes("y"))
            .get(5, TimeUnit.SECONDS);
        assertThat(
                h.client()
                    .getKVClient()
                    .get(TrtllmStyleWorker.bytes("/x"))
                    .get(5, TimeUnit.SECONDS)
                    .getCount())
            .isEqualTo(1);
      }
    }
  }

  @Test
  void aSecretTheOperatorMayNotReadNamesTheHelmValueThatGrantsIt() {
    Resolver r =
        new Resolver(
            (ns, name) -> {
              throw new io.fabric8.kubernetes.client.KubernetesClientException(
                  "secrets is forbidden", 403, null);
            },
            List.of());
    DisaggCluster cr = cr("etcd.infra.svc:2379");
    cr.getSpec().getDiscovery().getEtcd().setTlsSecretRef(new LocalObjectReference("etcd-tls"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> r.resolve(cr))
        .isInstanceOf(DiscoveryConfigException.class)
        .hasMessageContaining(EtcdTargetResolver.FIELD_TLS)
        .hasMessageContaining("team-a/etcd-tls")
        .hasMessageContaining("rbac.readEtcdSecrets=true");
    Resolver failing =
        new Resolver(
            (ns, name) -> {
              throw new io.fabric8.kubernetes.client.KubernetesClientException(
                  "connection refused");
            },
            List.of());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.resolve(cr))
        .as("other API errors are retried by JOSDK, not reported as a spec problem")
        .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
  }
}
