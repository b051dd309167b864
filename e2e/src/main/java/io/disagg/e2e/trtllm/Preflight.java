package io.disagg.e2e.trtllm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * One run of a pod's fabric pre-flight init container for the {@link SimulatedKubelet}: the script
 * its command names, read from the mounted ConfigMap, run with {@code /bin/sh} against a fake
 * container filesystem built from the node's {@link NodeFabric}. See the kubelet's Javadoc.
 */
final class Preflight {
  private Preflight() {}

  /** Exit code and termination message ({@code ""} when none). */
  record Result(int exitCode, String message) {}

  static final long TIMEOUT_SECONDS = 30;
  static final String DEFAULT_EFA_LIBRARY_PATH = "/opt/amazon/efa/lib64";
  static final long TWO_MIB = 2L * 1024 * 1024;

  /**
   * Runs {@code c}'s script.
   *
   * @param configMaps ConfigMap data by name (null when the ConfigMap does not exist)
   * @throws IllegalStateException when the command is not {@code [sh, <mounted ConfigMap file>]} or
   *     the ConfigMap or key is missing (the real kubelet would not start the container)
   */
  static Result run(
      Pod pod, Container c, NodeFabric node, Function<String, Map<String, String>> configMaps)
      throws IOException {
    String script = script(pod, c, configMaps);
    Path root = Files.createTempDirectory("sim-kubelet-preflight-");
    try {
      Map<String, String> env = environment(pod, c, configMaps);
      fakeContainerFilesystem(root, c, env, node);
      Path file = root.resolve("preflight.sh");
      Files.writeString(file, script);
      env.put("PREFLIGHT_ROOT", root.toString());
      env.put("PATH", "/usr/bin:/bin");
      ProcessBuilder pb =
          new ProcessBuilder("/bin/sh", file.toString())
              .redirectErrorStream(true)
              .directory(root.toFile());
      pb.environment().clear();
      pb.environment().putAll(env);
      Process p = pb.start();
      byte[] out;
      try (var in = p.getInputStream()) {
        out = in.readAllBytes();
      }
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(137, "");
      }
      int exit = p.exitValue();
      return new Result(exit, terminationMessage(root, c, exit, out));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      deleteRecursively(root);
    }
  }

  /**
   * The termination message ({@code kuberuntime_container.go}): the file at the termination path
   * (here under the fake root, as the script writes it), at most 4096 bytes; when it is empty, the
   * exit code non-zero and the policy {@code FallbackToLogsOnError}, the log's last 80 lines and
   * 2048 bytes.
   */
  static String terminationMessage(Path root, Container c, int exit, byte[] log)
      throws IOException {
    Path file = root.resolve("dev/termination-log");
    String msg = "";
    if (Files.exists(file)) {
      byte[] b = Files.readAllBytes(file);
      msg =
          new String(
              b,
              0,
              Math.min(b.length, SimulatedKubelet.MAX_TERMINATION_MESSAGE),
              StandardCharsets.UTF_8);
    }
    if (msg.isEmpty()
        && exit != 0
        && "FallbackToLogsOnError".equals(c.getTerminationMessagePolicy())) {
      String[] lines = new String(log, StandardCharsets.UTF_8).split("\n");
      String tail =
          String.join(
              "\n",
              Arrays.copyOfRange(
                  lines,
                  Math.max(0, lines.length - SimulatedKubelet.FALLBACK_LOG_LINES),
                  lines.length));
      msg =
          tail.length() <= SimulatedKubelet.FALLBACK_LOG_BYTES
              ? tail
              : tail.substring(tail.length() - SimulatedKubelet.FALLBACK_LOG_BYTES);
    }
    return msg;
  }

  /** The script: {@code command[1]} is a file of a ConfigMap volume mounted in the container. */
  static String script(Pod pod, Container c, Function<String, Map<String, String>> configMaps) {
    List<String> cmd = c.getCommand();
    if (cmd == null
        || cmd.size() != 2
        || !(cmd.get(0).equals("sh") || cmd.get(0).endsWith("/sh"))) {
      throw new IllegalStateException("pre-flight command is not [sh, <file>]: " + cmd);
    }
    String path = cmd.get(1);
    for (VolumeMount m : c.getVolumeMounts()) {
      String dir = m.getMountPath().endsWith("/") ? m.getMountPath() : m.getMountPath() + "/";
      if (!path.startsWith(dir)) {
        continue;
      }
      String rel = path.substring(dir.length());
      Volume v =
          pod.getSpec().getVolumes().stream()
              .filter(x -> x.getName().equals(m.getName()))
              .findFirst()
              .orElseThrow(() -> new IllegalStateException("no volume " + m.getName()));
      if (v.getConfigMap() == null) {
        throw new IllegalStateException("volume " + m.getName() + " is not a ConfigMap");
      }
      String key = rel;
      if (v.getConfigMap().getItems() != null && !v.getConfigMap().getItems().isEmpty()) {
        key =
            v.getConfigMap().getItems().stream()
                .filter(i -> rel.equals(i.getPath()))
                .map(KeyToPath::getKey)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(path + " is not projected"));
      }
      Map<String, String> data = configMaps.apply(v.getConfigMap().getName());
      String text = data == null ? null : data.get(key);
      if (text == null) {
        throw new IllegalStateException(
            "ConfigMap " + v.getConfigMap().getName() + " has no key " + key);
      }
      return text;
    }
    throw new IllegalStateException(path + " is on no mounted volume");
  }

  /**
   * The container's environment: {@code envFrom} ConfigMaps, then {@code env} (values and the
   * {@code fieldRef}s the operator uses).
   */
  static Map<String, String> environment(
      Pod pod, Container c, Function<String, Map<String, String>> configMaps) {
    Map<String, String> env = new HashMap<>();
    if (c.getEnvFrom() != null) {
      for (EnvFromSource f : c.getEnvFrom()) {
        if (f.getConfigMapRef() != null) {
          Map<String, String> data = configMaps.apply(f.getConfigMapRef().getName());
          if (data == null) {
            throw new IllegalStateException(
                "configmap " + f.getConfigMapRef().getName() + " not found");
          }
          String prefix = f.getPrefix() == null ? "" : f.getPrefix();
          data.forEach((k, v) -> env.put(prefix + k, v));
        }
      }
    }
    if (c.getEnv() != null) {
      for (EnvVar e : c.getEnv()) {
        String v = e.getValue();
        if (v == null && e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
          v =
              switch (e.getValueFrom().getFieldRef().getFieldPath()) {
                case "spec.nodeName" -> pod.getSpec().getNodeName();
                case "metadata.name" -> pod.getMetadata().getName();
                case "metadata.namespace" -> pod.getMetadata().getNamespace();
                case "status.podIP" -> pod.getStatus() == null ? null : pod.getStatus().getPodIP();
                default -> null;
              };
        }
        if (v != null) {
          env.put(e.getName(), v);
        }
      }
    }
    return env;
  }

  /**
   * What the container would see of the node and the image: uverbs devices, {@code /proc/meminfo},
   * {@code fi_info} in {@code <efa>/bin}, NIXL's plugins in {@code NIXL_PLUGIN_DIR}.
   */
  static void fakeContainerFilesystem(
      Path root, Container c, Map<String, String> env, NodeFabric node) throws IOException {
    Map<String, Quantity> limits =
        c.getResources() == null || c.getResources().getLimits() == null
            ? Map.of()
            : c.getResources().getLimits();
    int devices =
        node.efaDevices() == NodeFabric.AS_ALLOCATED
            ? limits.containsKey(SimulatedKubelet.EFA_RESOURCE)
                ? limits.get(SimulatedKubelet.EFA_RESOURCE).getNumericalAmount().intValue()
                : 0
            : node.efaDevices();
    Path dev = Files.createDirectories(root.resolve("dev/infiniband"));
    for (int i = 0; i < devices; i++) {
      Files.createFile(dev.resolve("uverbs" + i));
    }
    long pages = 0;
    if (node.hugepages() && limits.containsKey(SimulatedKubelet.HUGEPAGES_2MI_RESOURCE)) {
      BigDecimal bytes = limits.get(SimulatedKubelet.HUGEPAGES_2MI_RESOURCE).getNumericalAmount();
      pages = bytes.longValue() / TWO_MIB;
    }
    Files.createDirectories(root.resolve("proc"));
    Files.writeString(
        root.resolve("proc/meminfo"),
        "HugePages_Total: " + pages + "\nHugePages_Free: " + pages + "\nHugepagesize: 2048 kB\n");
    String lib = env.getOrDefault("PREFLIGHT_EFA_LIBRARY_PATH", DEFAULT_EFA_LIBRARY_PATH);
    Path bin = root.resolve(Path.of(lib).getParent().toString().substring(1)).resolve("bin");
    Files.createDirectories(bin);
    Path fiInfo = bin.resolve("fi_info");
    Files.writeString(
        fiInfo,
        node.efaProvider()
            ? "#!/bin/sh\necho 'provider: efa'\necho '    fabric: efa'\nexit 0\n"
            : "#!/bin/sh\necho 'fi_getinfo: -61 (No data available)' >&2\nexit 1\n");
    Files.setPosixFilePermissions(fiInfo, PosixFilePermissions.fromString("rwxr-xr-x"));
    String pluginDir = env.get("NIXL_PLUGIN_DIR");
    if (pluginDir != null && pluginDir.startsWith("/")) {
      Path dir = Files.createDirectories(root.resolve(pluginDir.substring(1)));
      Files.createFile(dir.resolve("libplugin_UCX.so"));
      if (node.nixlLibfabricPlugin()) {
        Files.createFile(dir.resolve("libplugin_LIBFABRIC.so"));
      }
    }
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      s.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  // best effort
                }
              });
    } catch (IOException e) {
      // best effort
    }
  }
}
