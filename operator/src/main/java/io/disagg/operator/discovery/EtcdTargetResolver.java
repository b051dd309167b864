package io.disagg.operator.discovery;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.EtcdSpec;
import io.disagg.operator.core.EtcdEndpoint;
import io.disagg.operator.spec.EffectiveSpec;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Works out the {@link EtcdTarget} of a DisaggCluster from its {@link EffectiveSpec}: the parsed
 * endpoints (the spec's or the operator's default, see {@link EffectiveSpec}); TLS material from
 * the Secret named by {@code tlsSecretRef} (keys {@value #CA_KEY}, optionally {@value #CERT_KEY} +
 * {@value #KEY_KEY}); user and password from the Secret named by {@code authSecretRef} (keys
 * {@value #USERNAME_KEY}, {@value #PASSWORD_KEY}). Both Secrets live in the DisaggCluster's
 * namespace.
 *
 * <p>Only the operator's connection is described here: TensorRT-LLM connects to the same endpoints
 * without TLS and without credentials ({@code Etcd3ClusterStorage} in {@code
 * tensorrt_llm/serve/cluster_storage.py}).
 *
 * <p>Every problem is a {@link DiscoveryConfigException} naming the field, Secret and key. A Secret
 * the operator may not read (403) is a {@link DiscoveryConfigException} that names the Helm value
 * granting it; other errors reading a Secret propagate unchanged.
 */
public final class EtcdTargetResolver {

  public static final String FIELD_TLS = "spec.discovery.etcd.tlsSecretRef";
  public static final String FIELD_AUTH = "spec.discovery.etcd.authSecretRef";
  public static final String CA_KEY = "ca.crt";
  public static final String CERT_KEY = "tls.crt";
  public static final String KEY_KEY = "tls.key";
  public static final String USERNAME_KEY = "username";
  public static final String PASSWORD_KEY = "password";

  /**
   * Reads a Secret's data (decoded) by namespace and name; empty when the Secret does not exist.
   */
  @FunctionalInterface
  public interface SecretReader {
    Optional<Map<String, byte[]>> read(String namespace, String name);

    /**
     * Reads Secrets through the Kubernetes API ({@code data} decoded from base64, {@code
     * stringData} as UTF-8).
     */
    static SecretReader of(KubernetesClient client) {
      return (namespace, name) ->
          Optional.ofNullable(client.secrets().inNamespace(namespace).withName(name).get())
              .map(EtcdTargetResolver::secretData);
    }
  }

  private final SecretReader secrets;

  public EtcdTargetResolver(SecretReader secrets) {
    this.secrets = secrets;
  }

  /**
   * The etcd target of a DisaggCluster.
   *
   * @throws DiscoveryConfigException when it has no endpoint, or a referenced Secret or key is
   *     missing
   */
  public EtcdTarget resolve(EffectiveSpec spec) {
    DisaggCluster cr = spec.cluster();
    EtcdSpec etcd = cr.getSpec().getDiscovery().getEtcd();
    String namespace = cr.getMetadata().getNamespace();
    byte[] ca = null;
    byte[] cert = null;
    byte[] key = null;
    LocalObjectReference tlsRef = etcd == null ? null : etcd.getTlsSecretRef();
    if (tlsRef != null) {
      Map<String, byte[]> data = readSecret(namespace, tlsRef, FIELD_TLS);
      String secret = namespace + "/" + tlsRef.getName();
      ca = required(data, CA_KEY, secret, FIELD_TLS);
      cert = optional(data, CERT_KEY);
      key = optional(data, KEY_KEY);
      if (cert != null && key == null) {
        throw missingKey(KEY_KEY, secret, FIELD_TLS, " (needed with " + CERT_KEY + ")");
      }
      if (key != null && cert == null) {
        throw missingKey(CERT_KEY, secret, FIELD_TLS, " (needed with " + KEY_KEY + ")");
      }
    }
    String user = null;
    String password = null;
    LocalObjectReference authRef = etcd == null ? null : etcd.getAuthSecretRef();
    if (authRef != null) {
      Map<String, byte[]> data = readSecret(namespace, authRef, FIELD_AUTH);
      String secret = namespace + "/" + authRef.getName();
      user = new String(required(data, USERNAME_KEY, secret, FIELD_AUTH), StandardCharsets.UTF_8);
      password =
          new String(required(data, PASSWORD_KEY, secret, FIELD_AUTH), StandardCharsets.UTF_8);
    }
    if (spec.etcdEndpoints().isEmpty()) {
      throw new DiscoveryConfigException(EffectiveSpec.FIELD_ENDPOINTS, "no etcd endpoint");
    }
    String scheme = ca != null ? "https://" : "http://";
    TreeSet<String> urls = new TreeSet<>();
    for (EtcdEndpoint e : spec.etcdEndpoints()) {
      urls.add(scheme + e.hostPort());
    }
    return new EtcdTarget(new ArrayList<>(urls), user, password, ca, cert, key);
  }

  private Map<String, byte[]> readSecret(String namespace, LocalObjectReference ref, String field) {
    String name = ref.getName();
    if (name == null || name.isBlank()) {
      throw new DiscoveryConfigException(
          field + ".name", "is empty: name the Secret in namespace " + namespace);
    }
    Optional<Map<String, byte[]>> data;
    try {
      data = secrets.read(namespace, name);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        // The chart grants Secrets only on request: say which switch, where the user looks.
        throw new DiscoveryConfigException(
            field,
            "the operator may not read Secret "
                + namespace
                + "/"
                + name
                + " (403 Forbidden): install the Helm chart with rbac.readEtcdSecrets=true, or grant get on secrets");
      }
      throw e;
    }
    return data.orElseThrow(
        () ->
            new DiscoveryConfigException(
                field, "Secret " + namespace + "/" + name + " does not exist"));
  }

  private static byte[] required(
      Map<String, byte[]> data, String key, String secret, String field) {
    byte[] v = optional(data, key);
    if (v == null) {
      throw missingKey(key, secret, field, "");
    }
    return v;
  }

  private static byte[] optional(Map<String, byte[]> data, String key) {
    byte[] v = data.get(key);
    return v == null || v.length == 0 ? null : v;
  }

  private static DiscoveryConfigException missingKey(
      String key, String secret, String field, String why) {
    return new DiscoveryConfigException(field, "Secret " + secret + " has no key " + key + why);
  }

  /** A Secret's {@code data} (base64-decoded) overlaid with its {@code stringData} (UTF-8). */
  static Map<String, byte[]> secretData(Secret s) {
    Map<String, byte[]> out = new HashMap<>();
    if (s.getData() != null) {
      s.getData()
          .forEach(
              (k, v) -> {
                if (v != null) {
                  out.put(k, Base64.getMimeDecoder().decode(v));
                }
              });
    }
    if (s.getStringData() != null) {
      s.getStringData()
          .forEach(
              (k, v) -> {
                if (v != null) {
                  out.put(k, v.getBytes(StandardCharsets.UTF_8));
                }
              });
    }
    return out;
  }
}
