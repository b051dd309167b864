package io.disagg.operator.model;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.disagg.operator.api.v1alpha1.PodSecuritySpec;
import io.disagg.operator.core.Pool;
import io.disagg.operator.spec.EffectiveSpec;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Security contexts of the pods the operator renders, and the Pod Security Standard level a pod
 * spec meets (docs/pod-security.md). Pure.
 *
 * <p><b>Defaults.</b> Without EFA every operator pod (workers, router, model download Job) is
 * rendered to meet {@code restricted}: pod {@code runAsNonRoot: true}, {@code runAsUser} ({@code
 * spec.podSecurity.runAsUser}, default {@value PodSecuritySpec#DEFAULT_RUN_AS_USER}: TensorRT-LLM's
 * release image sets no {@code USER} ({@code docker/Dockerfile.multi}), so it runs as root and the
 * kubelet refuses {@code runAsNonRoot} without an explicit non-zero UID), {@code seccompProfile:
 * RuntimeDefault}; every operator container {@code allowPrivilegeEscalation: false}, {@code
 * capabilities.drop: [ALL]} and {@code readOnlyRootFilesystem} ({@code
 * spec.podSecurity.readOnlyRootFilesystem}, default true) with writable emptyDir volumes at {@value
 * #TMP_PATH} and {@value #HOME_PATH} ({@code HOME}).
 *
 * <p>With EFA the worker pods need {@code IPC_LOCK} and {@code SYS_RESOURCE} ({@link
 * #EFA_CAPABILITIES}), which baseline does not allow ({@code capabilities_allowed_1_0} in
 * k8s.io/pod-security-admission {@code policy/check_capabilities_baseline.go}), so they meet {@code
 * privileged} only. They get no {@code runAsUser}: Kubernetes sets no ambient capabilities, so an
 * added capability is effective only for root (kubernetes/kubernetes#56374), and TensorRT-LLM
 * images run as root. They keep the runtime's default capabilities (no {@code drop: [ALL]}).
 *
 * <p><b>Checks.</b> {@link #violations} follows k8s.io/pod-security-admission v0.33 {@code policy/}
 * (the checks of the fields the operator and its users set; AppArmor, SELinux, procMount, sysctls
 * and Windows host process are not evaluated here: the operator sets none of them).
 */
public final class SecurityContexts {
  private SecurityContexts() {}

  /** Pod Security Standard levels, lowest first. */
  public enum Level {
    PRIVILEGED("privileged"),
    BASELINE("baseline"),
    RESTRICTED("restricted");

    private final String label;

    Level(String label) {
      this.label = label;
    }

    /** The level's name in {@code pod-security.kubernetes.io/enforce} labels. */
    public String label() {
      return label;
    }
  }

  /** A check a pod spec fails: the level it keeps the pod below and what fails. */
  public record Violation(Level breaks, String message) {}

  /** Capabilities EFA worker containers add: pinned memory for RDMA, and resource limits. */
  public static final List<String> EFA_CAPABILITIES = List.of("IPC_LOCK", "SYS_RESOURCE");

  /** Volume of the writable {@value #TMP_PATH}. */
  public static final String TMP_VOLUME = "tmp";

  public static final String TMP_PATH = "/tmp";

  /** Volume of the writable home directory. */
  public static final String HOME_VOLUME = "home";

  /** {@code HOME} of the operator's containers (a UID without a passwd entry would get "/"). */
  public static final String HOME_PATH = "/home/trtllm";

  public static final String ENV_HOME = "HOME";

  /** Capabilities baseline allows to add ({@code check_capabilities_baseline.go}). */
  static final Set<String> BASELINE_CAPABILITIES =
      Set.of(
          "AUDIT_WRITE",
          "CHOWN",
          "DAC_OVERRIDE",
          "FOWNER",
          "FSETID",
          "KILL",
          "MKNOD",
          "NET_BIND_SERVICE",
          "SETFCAP",
          "SETGID",
          "SETPCAP",
          "SETUID",
          "SYS_CHROOT");

  /** Volume types restricted allows ({@code check_restrictedVolumes.go}). */
  static final Set<String> RESTRICTED_VOLUMES =
      Set.of(
          "configMap",
          "downwardAPI",
          "emptyDir",
          "projected",
          "secret",
          "csi",
          "persistentVolumeClaim",
          "ephemeral",
          "image");

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Whether the worker pods use EFA (and so meet {@code privileged} only). */
  public static boolean efa(DisaggCluster cr) {
    return Placement.efaEnabled(cr);
  }

  /** The level the operator's defaults give worker pods: restricted, or privileged with EFA. */
  public static Level workerLevel(DisaggCluster cr) {
    return efa(cr) ? Level.PRIVILEGED : defaultLevel(cr);
  }

  /**
   * The level the operator's defaults give router and download pods, and worker pods without EFA:
   * restricted, or baseline with {@code spec.podSecurity.runAsUser: 0}.
   */
  public static Level defaultLevel(DisaggCluster cr) {
    return runAsUser(cr) == 0 ? Level.BASELINE : Level.RESTRICTED;
  }

  /** {@code spec.podSecurity.runAsUser}, {@value PodSecuritySpec#DEFAULT_RUN_AS_USER} if unset. */
  public static long runAsUser(DisaggCluster cr) {
    PodSecuritySpec p = cr.getSpec().getPodSecurity();
    return p == null || p.getRunAsUser() == null
        ? PodSecuritySpec.DEFAULT_RUN_AS_USER
        : p.getRunAsUser();
  }

  /** {@code spec.podSecurity.readOnlyRootFilesystem}, true if unset. */
  public static boolean readOnlyRootFilesystem(DisaggCluster cr) {
    PodSecuritySpec p = cr.getSpec().getPodSecurity();
    return p == null || !Boolean.FALSE.equals(p.getReadOnlyRootFilesystem());
  }

  /**
   * The pod security context of router and download pods, and of worker pods without EFA: {@code
   * runAsNonRoot: true} and {@code runAsUser}, or {@code runAsUser: 0} alone when {@code
   * spec.podSecurity.runAsUser} is 0; {@code seccompProfile: RuntimeDefault}.
   */
  public static PodSecurityContext pod(DisaggCluster cr) {
    long uid = runAsUser(cr);
    return new PodSecurityContextBuilder()
        .withRunAsNonRoot(uid == 0 ? null : Boolean.TRUE)
        .withRunAsUser(uid)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .build();
  }

  /**
   * The pod security context of worker pods: without EFA {@link #pod}; with EFA only {@code
   * seccompProfile: RuntimeDefault} (the image's user, root). Then the pool's {@code
   * podTemplate.securityContext} field by field over it ({@link #merge}).
   */
  public static PodSecurityContext workerPod(DisaggCluster cr, PodSecurityContext user) {
    PodSecurityContext defaults =
        efa(cr)
            ? new PodSecurityContextBuilder()
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .build()
            : pod(cr);
    return merge(defaults, user);
  }

  /**
   * The download Job's pod security context: {@link #pod} plus, for a non-root UID, {@code fsGroup}
   * = that UID with {@code fsGroupChangePolicy: OnRootMismatch}, so that the Job can write into a
   * new claim whose root directory belongs to root (volume types that support ownership management
   * only; NFS-based ones such as EFS do not, docs/pod-security.md).
   */
  public static PodSecurityContext downloadPod(DisaggCluster cr) {
    PodSecurityContext p = pod(cr);
    long uid = runAsUser(cr);
    if (uid != 0) {
      p.setFsGroup(uid);
      p.setFsGroupChangePolicy("OnRootMismatch");
    }
    return p;
  }

  /**
   * The container security context of router and download containers, and of the operator's
   * worker-pod containers without EFA: {@code allowPrivilegeEscalation: false}, {@code
   * capabilities.drop: [ALL]}, {@code readOnlyRootFilesystem} from the spec.
   */
  public static SecurityContext container(DisaggCluster cr) {
    return new SecurityContextBuilder()
        .withAllowPrivilegeEscalation(false)
        .withNewCapabilities()
        .withDrop("ALL")
        .endCapabilities()
        .withReadOnlyRootFilesystem(readOnlyRootFilesystem(cr))
        .build();
  }

  /**
   * The container security context of the operator's containers in worker pods (worker, {@code
   * fabric-preflight}, {@code model-cache-wait}): without EFA {@link #container}; with EFA {@code
   * capabilities.add} {@link #EFA_CAPABILITIES}, {@code readOnlyRootFilesystem} from the spec, and
   * either {@code privileged: true} ({@code efa.privileged}) or {@code allowPrivilegeEscalation:
   * false} (the API server refuses both together). Then the pool's {@code
   * podTemplate.containerSecurityContext} field by field over it.
   */
  public static SecurityContext workerContainer(DisaggCluster cr, SecurityContext user) {
    SecurityContext defaults;
    if (efa(cr)) {
      SecurityContextBuilder b =
          new SecurityContextBuilder()
              .withNewCapabilities()
              .withAdd(EFA_CAPABILITIES)
              .endCapabilities()
              .withReadOnlyRootFilesystem(readOnlyRootFilesystem(cr));
      if (Placement.efa(cr).isPrivileged()) {
        b.withPrivileged(true);
      } else {
        b.withAllowPrivilegeEscalation(false);
      }
      defaults = b.build();
    } else {
      defaults = container(cr);
    }
    return merge(defaults, user, SecurityContext.class);
  }

  /** Writable emptyDir volumes of a pod whose containers get {@link #writableMounts}. */
  public static List<Volume> writableVolumes() {
    return List.of(
        new VolumeBuilder().withName(TMP_VOLUME).withNewEmptyDir().endEmptyDir().build(),
        new VolumeBuilder().withName(HOME_VOLUME).withNewEmptyDir().endEmptyDir().build());
  }

  /** Mounts of {@link #writableVolumes}: {@value #TMP_PATH} and {@value #HOME_PATH}. */
  public static List<VolumeMount> writableMounts() {
    return List.of(
        new VolumeMountBuilder().withName(TMP_VOLUME).withMountPath(TMP_PATH).build(),
        new VolumeMountBuilder().withName(HOME_VOLUME).withMountPath(HOME_PATH).build());
  }

  /**
   * {@code HOME} = {@value #HOME_PATH}, unless {@code env} already names {@code HOME}: PyTorch,
   * Triton, DeepGEMM ({@code TRTLLM_DG_CACHE_DIR} unset) and Hugging Face ({@code HF_HOME} unset)
   * write their caches under it.
   */
  public static List<EnvVar> withHome(List<EnvVar> env) {
    List<EnvVar> out = new ArrayList<>(env);
    if (out.stream().noneMatch(e -> ENV_HOME.equals(e.getName()))) {
      out.add(new EnvVarBuilder().withName(ENV_HOME).withValue(HOME_PATH).build());
    }
    return out;
  }

  /**
   * {@code user}'s fields over {@code defaults}, field by field (a field the user sets replaces the
   * default's whole value, e.g. all of {@code seccompProfile}). A user {@code runAsUser: 0} without
   * {@code runAsNonRoot} drops the default {@code runAsNonRoot: true}, which the kubelet would
   * refuse together with UID 0.
   */
  public static PodSecurityContext merge(PodSecurityContext defaults, PodSecurityContext user) {
    PodSecurityContext out = merge(defaults, user, PodSecurityContext.class);
    if (user != null
        && user.getRunAsNonRoot() == null
        && Long.valueOf(0).equals(user.getRunAsUser())) {
      out.setRunAsNonRoot(null);
    }
    return out;
  }

  private static <T> T merge(T defaults, T user, Class<T> type) {
    Map<String, Object> out = toMap(defaults);
    if (user != null) {
      out.putAll(toMap(user));
    }
    return MAPPER.convertValue(out, type);
  }

  private static Map<String, Object> toMap(Object o) {
    Map<String, Object> m = MAPPER.convertValue(o, new TypeReference<Map<String, Object>>() {});
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach(
        (k, v) -> {
          if (v != null
              && !(v instanceof List<?> l && l.isEmpty())
              && !(v instanceof Map<?, ?> mm && mm.isEmpty())) {
            out.put(k, v);
          }
        });
    return out;
  }

  /**
   * The highest level every pod rendered for {@code spec} meets: the worker pods of both pools
   * (with their sidecars, init containers and volumes), the router pods and, when the operator
   * downloads the model, the download Job's pods.
   */
  public static Level level(EffectiveSpec spec) {
    DisaggCluster cr = spec.cluster();
    RevisionNames names = RevisionNames.legacy(spec, "-");
    List<PodSpec> pods = new ArrayList<>();
    for (Pool pool : Pool.values()) {
      if (cr.getSpec().pool(pool) != null) {
        pods.add(WorkerStatefulSets.podTemplate(cr, names, pool, "").getSpec());
      }
    }
    pods.add(RouterDeployments.desired(cr, names, 1, "").getSpec().getTemplate().getSpec());
    if (ModelCaches.downloads(cr)) {
      pods.add(ModelCaches.job(cr).getSpec().getTemplate().getSpec());
    }
    Level out = Level.RESTRICTED;
    for (PodSpec p : pods) {
      Level l = level(p);
      if (l.ordinal() < out.ordinal()) {
        out = l;
      }
    }
    return out;
  }

  /** The highest level {@code pod} meets: the lowest level any violation leaves it at. */
  public static Level level(PodSpec pod) {
    Level level = Level.RESTRICTED;
    for (Violation v : violations(pod)) {
      Level below = Level.values()[v.breaks().ordinal() - 1];
      if (below.ordinal() < level.ordinal()) {
        level = below;
      }
    }
    return level;
  }

  /**
   * What keeps {@code pod} from baseline or restricted, in container order: host namespaces,
   * privileged containers, added capabilities beyond baseline's list, hostPath volumes, host ports,
   * an {@code Unconfined} seccomp profile (baseline); volume types beyond restricted's list, a
   * container without {@code allowPrivilegeEscalation: false}, without {@code runAsNonRoot: true}
   * (its own or the pod's), with {@code runAsUser: 0}, without a {@code RuntimeDefault} or {@code
   * Localhost} seccomp profile, without {@code capabilities.drop: [ALL]}, or adding anything but
   * {@code NET_BIND_SERVICE} (restricted).
   */
  public static List<Violation> violations(PodSpec pod) {
    List<Violation> out = new ArrayList<>();
    PodSecurityContext psc =
        pod.getSecurityContext() == null ? new PodSecurityContext() : pod.getSecurityContext();
    if (Boolean.TRUE.equals(pod.getHostNetwork())
        || Boolean.TRUE.equals(pod.getHostPID())
        || Boolean.TRUE.equals(pod.getHostIPC())) {
      out.add(new Violation(Level.BASELINE, "host namespaces (check_hostNamespaces.go)"));
    }
    for (Volume v : orEmpty(pod.getVolumes())) {
      String type = volumeType(v);
      if ("hostPath".equals(type)) {
        out.add(
            new Violation(
                Level.BASELINE,
                "volume " + v.getName() + " is a hostPath (check_hostPathVolumes.go)"));
      } else if (!RESTRICTED_VOLUMES.contains(type)) {
        out.add(
            new Violation(
                Level.RESTRICTED,
                "volume " + v.getName() + " is a " + type + " (check_restrictedVolumes.go)"));
      }
    }
    String podSeccomp = psc.getSeccompProfile() == null ? null : psc.getSeccompProfile().getType();
    if ("Unconfined".equals(podSeccomp)) {
      out.add(new Violation(Level.BASELINE, "pod seccompProfile Unconfined"));
    }
    if (psc.getRunAsUser() != null && psc.getRunAsUser() == 0) {
      out.add(new Violation(Level.RESTRICTED, "pod runAsUser 0 (check_runAsUser.go)"));
    }
    List<Container> containers = new ArrayList<>(orEmpty(pod.getInitContainers()));
    containers.addAll(orEmpty(pod.getContainers()));
    for (Container c : containers) {
      String n = "container " + c.getName() + ": ";
      SecurityContext sc =
          c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
      if (Boolean.TRUE.equals(sc.getPrivileged())) {
        out.add(new Violation(Level.BASELINE, n + "privileged (check_privileged.go)"));
      }
      Capabilities caps = sc.getCapabilities();
      List<String> add = caps == null ? List.of() : orEmpty(caps.getAdd());
      List<String> notBaseline =
          add.stream().filter(a -> !BASELINE_CAPABILITIES.contains(a)).toList();
      if (!notBaseline.isEmpty()) {
        out.add(
            new Violation(
                Level.BASELINE,
                n
                    + "adds capabilities "
                    + notBaseline
                    + " beyond baseline's (check_capabilities_baseline.go)"));
      }
      if (orEmpty(c.getPorts()).stream()
          .anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
        out.add(new Violation(Level.BASELINE, n + "hostPort (check_hostPorts.go)"));
      }
      String seccomp =
          sc.getSeccompProfile() == null ? podSeccomp : sc.getSeccompProfile().getType();
      if ("Unconfined".equals(seccomp)
          && !"Unconfined".equals(podSeccomp)) { // the pod's is reported once above
        out.add(new Violation(Level.BASELINE, n + "seccompProfile Unconfined"));
      }
      if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
        out.add(
            new Violation(
                Level.RESTRICTED,
                n + "allowPrivilegeEscalation is not false (check_allowPrivilegeEscalation.go)"));
      }
      Boolean nonRoot = sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : psc.getRunAsNonRoot();
      if (!Boolean.TRUE.equals(nonRoot)) {
        out.add(
            new Violation(
                Level.RESTRICTED, n + "runAsNonRoot is not true (check_runAsNonRoot.go)"));
      }
      if (sc.getRunAsUser() != null && sc.getRunAsUser() == 0) {
        out.add(new Violation(Level.RESTRICTED, n + "runAsUser 0 (check_runAsUser.go)"));
      }
      if (!"RuntimeDefault".equals(seccomp) && !"Localhost".equals(seccomp)) {
        out.add(
            new Violation(
                Level.RESTRICTED,
                n
                    + "seccompProfile is not RuntimeDefault or Localhost"
                    + " (check_seccompProfile_restricted.go)"));
      }
      List<String> drop = caps == null ? List.of() : orEmpty(caps.getDrop());
      if (!drop.contains("ALL")) {
        out.add(
            new Violation(
                Level.RESTRICTED,
                n + "capabilities.drop lacks ALL (check_capabilities_restricted.go)"));
      }
      List<String> notRestricted = add.stream().filter(a -> !"NET_BIND_SERVICE".equals(a)).toList();
      if (!notRestricted.isEmpty()) {
        out.add(
            new Violation(
                Level.RESTRICTED,
                n
                    + "adds capabilities "
                    + notRestricted
                    + " beyond NET_BIND_SERVICE (check_capabilities_restricted.go)"));
      }
    }
    return out;
  }

  /** The volume's source type, as the API names it (e.g. {@code hostPath}, {@code emptyDir}). */
  static String volumeType(Volume v) {
    Map<String, Object> m = MAPPER.convertValue(v, new TypeReference<Map<String, Object>>() {});
    return m.entrySet().stream()
        .filter(e -> e.getValue() != null && !"name".equals(e.getKey()))
        .map(Map.Entry::getKey)
        .findFirst()
        .orElse("unknown");
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? List.of() : l;
  }
}
