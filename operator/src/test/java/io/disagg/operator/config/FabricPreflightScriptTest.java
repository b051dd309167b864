package io.disagg.operator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fabric-preflight.sh} as the operator ships it, run with {@code /bin/sh} against a fake
 * image and node under a temporary {@code PREFLIGHT_ROOT}: uverbs device files, {@code
 * /proc/meminfo}, a fake {@code fi_info} that succeeds or fails, NIXL plugin directories.
 */
class FabricPreflightScriptTest {

  static final Path SH = Path.of("/bin/sh");

  @TempDir Path root;
  Path script;
  Map<String, String> env;

  record Run(int exit, String stdout, String terminationLog) {}

  @BeforeEach
  void fakeHealthyEfaNode() throws IOException {
    assumeTrue(Files.isExecutable(SH), "/bin/sh is missing");
    script = root.resolve("fabric-preflight.sh");
    Files.writeString(script, TrtllmConfig.preflightScript());
    devices(4);
    Files.createDirectories(root.resolve("proc"));
    Files.writeString(
        root.resolve("proc/meminfo"),
        "MemTotal:       2097152 kB\nHugePages_Total:    2560\nHugePages_Free:     2560\n"
            + "Hugepagesize:       2048 kB\n");
    env = new HashMap<>();
    env.put("PREFLIGHT_ROOT", root.toString());
    env.put("NODE_NAME", "gpu-node-7");
    env.put("PREFLIGHT_EFA_DEVICES", "4");
    env.put("PREFLIGHT_EFA_LIBRARY_PATH", "/opt/amazon/efa/lib64");
    env.put("PATH", "/usr/bin:/bin");
  }

  void devices(int n) throws IOException {
    Path dir = Files.createDirectories(root.resolve("dev/infiniband"));
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.delete(p);
      }
    }
    for (int i = 0; i < n; i++) {
      Files.createFile(dir.resolve("uverbs" + i));
    }
    Files.createFile(dir.resolve("rdma_cm")); // not a uverbs device
  }

  /** An executable fake tool printing {@code output} and exiting {@code exit}. */
  Path tool(String relative, String output, int exit) throws IOException {
    Path p = root.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(
        p,
        "#!/bin/sh\necho \"$0 $*\" >> \""
            + root
            + "/calls\"\necho '"
            + output
            + "'\nexit "
            + exit
            + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  Run run() throws Exception {
    List<String> cmd = new ArrayList<>(List.of(SH.toString(), script.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().putAll(env);
    long t0 = System.nanoTime();
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0))
        .as("within seconds")
        .isLessThan(10);
    Path log = root.resolve("dev/termination-log");
    return new Run(p.exitValue(), out, Files.exists(log) ? Files.readString(log) : null);
  }

  @Test
  void aHealthyEfaNodePassesAndSaysFiInfoWasNotChecked() throws Exception {
    Run r = run();
    assertThat(r.exit()).as(r.stdout()).isZero();
    assertThat(r.terminationLog()).isNull();
    assertThat(r.stdout()).contains("4 EFA devices", "no fi_info", "all checks passed");
  }

  @Test
  void tooFewDevicesIsEfaDevicesMissingWithNodeAndCounts() throws Exception {
    devices(1);
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.terminationLog())
        .startsWith("EfaDevicesMissing: node gpu-node-7: 1 of 4 EFA devices visible")
        .contains(root.resolve("dev/infiniband").toString())
        .endsWith("\n")
        .hasLineCount(1);
  }

  @Test
  void noDeviceDirectoryAtAllIsEfaDevicesMissing() throws Exception {
    env.put("PREFLIGHT_DEV_DIR", root.resolve("nowhere").toString());
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.terminationLog()).startsWith("EfaDevicesMissing: node gpu-node-7: 0 of 4");
  }

  @Test
  void fiInfoInTheEfaBinDirectoryIsRunWithTheEfaProvider() throws Exception {
    tool("opt/amazon/efa/bin/fi_info", "provider: efa", 0);
    Run r = run();
    assertThat(r.exit()).as(r.stdout()).isZero();
    assertThat(Files.readString(root.resolve("calls"))).contains("fi_info -p efa");
    assertThat(r.stdout()).contains("EFA provider available");
  }

  @Test
  void aFailingFiInfoIsEfaProviderUnavailableQuotingItsLastLine() throws Exception {
    tool("opt/amazon/efa/bin/fi_info", "fi_getinfo: -61 (No data available)", 61);
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.terminationLog())
        .startsWith("EfaProviderUnavailable: node gpu-node-7: ")
        .contains("exited 61", "fi_getinfo: -61 (No data available)")
        .hasLineCount(1);
  }

  @Test
  void fiInfoOnThePathComesFirst() throws Exception {
    tool("opt/amazon/efa/bin/fi_info", "provider: efa", 0);
    Path onPath = tool("usr/local/bin/fi_info", "no efa", 1);
    env.put("PATH", onPath.getParent() + ":/usr/bin:/bin");
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.terminationLog())
        .startsWith("EfaProviderUnavailable:")
        .contains(onPath.toString());
  }

  @Test
  void noHugepagesIsHugepagesMissing() throws Exception {
    Files.writeString(root.resolve("proc/meminfo"), "HugePages_Total:       0\n");
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.terminationLog())
        .startsWith("HugepagesMissing: node gpu-node-7: HugePages_Total is 0");
    env.put("PREFLIGHT_PROC_MEMINFO", root.resolve("missing").toString());
    assertThat(run().terminationLog())
        .startsWith("HugepagesMissing: node gpu-node-7: no HugePages_Total");
  }

  @Test
  void libfabricNeedsThePluginInNixlPluginDir() throws Exception {
    env.put("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC");
    env.put("NIXL_PLUGIN_DIR", "/opt/nixl/lib/x86_64-linux-gnu/plugins");
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.terminationLog())
        .isEqualTo(
            "NixlPluginMissing: node gpu-node-7: no libplugin_LIBFABRIC.so in NIXL_PLUGIN_DIR"
                + " /opt/nixl/lib/x86_64-linux-gnu/plugins; the image lacks NIXL's LIBFABRIC plugin"
                + " there (fabric.efa.nixlPluginsDir)\n");
    Path dir = Files.createDirectories(root.resolve("opt/nixl/lib/x86_64-linux-gnu/plugins"));
    Files.createFile(dir.resolve("libplugin_UCX.so"));
    assertThat(run().exit()).isEqualTo(1);
    Files.delete(root.resolve("dev/termination-log"));
    Files.createFile(dir.resolve("libplugin_LIBFABRIC.so"));
    Run ok = run();
    assertThat(ok.exit()).as(ok.stdout()).isZero();
    assertThat(ok.terminationLog()).isNull();
  }

  @Test
  void withoutNixlPluginDirTheDefaultIsNextToLibnixlsParentDirectory() throws Exception {
    env.put("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC");
    env.put("PREFLIGHT_NIXL_SEARCH", "/opt/nvidia/nvda_nixl");
    Path lib = Files.createDirectories(root.resolve("opt/nvidia/nvda_nixl/lib/x86_64-linux-gnu"));
    Files.createFile(lib.resolve("libnixl.so"));
    // a plugin next to the library is not where getPluginDir() looks
    Files.createDirectories(lib.resolve("plugins"));
    Files.createFile(lib.resolve("plugins/libplugin_LIBFABRIC.so"));
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.terminationLog())
        .startsWith("NixlPluginMissing: node gpu-node-7: NIXL_PLUGIN_DIR unset")
        .contains(root.resolve("opt/nvidia/nvda_nixl/lib/plugins").toString());
    Files.delete(root.resolve("dev/termination-log"));
    Path dflt = Files.createDirectories(root.resolve("opt/nvidia/nvda_nixl/lib/plugins"));
    Files.createFile(dflt.resolve("libplugin_LIBFABRIC.so"));
    Run ok = run();
    assertThat(ok.exit()).as(ok.stdout()).isZero();
    assertThat(ok.stdout()).contains("NIXL's default directory");
  }

  @Test
  void withoutNixlPluginDirAndWithoutLibnixlThePluginIsNotChecked() throws Exception {
    env.put("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC");
    env.put("PREFLIGHT_NIXL_SEARCH", "/opt/nvidia/nvda_nixl");
    Run r = run();
    assertThat(r.exit()).as(r.stdout()).isZero();
    assertThat(r.stdout()).contains("no libnixl.so found");
  }

  @Test
  void libfabricWithoutEfaChecksOnlyThePlugin() throws Exception {
    env.remove("PREFLIGHT_EFA_DEVICES");
    devices(0);
    Files.writeString(root.resolve("proc/meminfo"), "HugePages_Total:       0\n");
    env.put("TRTLLM_NIXL_KVCACHE_BACKEND", "LIBFABRIC");
    env.put("NIXL_PLUGIN_DIR", "/plugins");
    Files.createDirectories(root.resolve("plugins"));
    Files.createFile(root.resolve("plugins/libplugin_LIBFABRIC.so"));
    Run r = run();
    assertThat(r.exit()).as(r.stdout()).isZero();
    env.put("TRTLLM_NIXL_KVCACHE_BACKEND", "UCX");
    Files.delete(root.resolve("plugins/libplugin_LIBFABRIC.so"));
    assertThat(run().exit()).isZero();
  }

  @Test
  void theFirstFailureWins() throws Exception {
    devices(0);
    Files.writeString(root.resolve("proc/meminfo"), "HugePages_Total:       0\n");
    Run r = run();
    assertThat(r.terminationLog()).startsWith("EfaDevicesMissing:").hasLineCount(1);
  }

  @Test
  void anUnwritableTerminationLogStillFails() throws Exception {
    devices(0);
    env.put("PREFLIGHT_TERMINATION_LOG", root.resolve("no/such/dir/log").toString());
    Run r = run();
    assertThat(r.exit()).isEqualTo(1);
    // FallbackToLogsOnError: the kubelet then takes the end of the log, which names the reason
    assertThat(r.stdout()).contains("EfaDevicesMissing: node gpu-node-7: 0 of 4");
  }
}
