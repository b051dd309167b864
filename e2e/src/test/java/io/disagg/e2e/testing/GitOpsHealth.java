package io.disagg.e2e.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.disagg.operator.testing.LocalCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How Flux and Argo CD judge an object's health, computed by their own code: the project's {@code
 * e2e/tools/gitops-health} runs Flux's kstatus library and Argo CD's Lua interpreter (gopher-lua)
 * with the health script of {@code config-samples/argocd/argocd-cm-health.yaml}. The tool is built
 * (once, cached) by {@code e2e/tools/build.sh}.
 */
public final class GitOpsHealth {
  /** The argocd-cm key that holds the DisaggCluster health script. */
  public static final String ARGOCD_KEY =
      "resource.customizations.health.serving.disagg.io_DisaggCluster";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static Path tool;
  private static Path script;

  private GitOpsHealth() {}

  /** Flux's (kstatus) and Argo CD's verdict on an object. */
  public record Verdict(
      String kstatus, String kstatusMessage, String argocd, String argocdMessage) {}

  /** Judges the object as both tools would. */
  public static Verdict of(HasMetadata object) {
    return of(SERIALIZATION.asJson(object));
  }

  /** Judges the object (JSON) as both tools would. */
  public static synchronized Verdict of(String json) {
    try {
      Process p =
          new ProcessBuilder(tool().toString(), "-argocd-lua", script().toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      p.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("gitops-health failed on " + json);
      }
      JsonNode n = JSON.readTree(out);
      return new Verdict(
          n.path("kstatus").path("status").asText(),
          n.path("kstatus").path("message").asText(),
          n.path("argocd").path("status").asText(),
          n.path("argocd").path("message").asText());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The Lua script, as written in the argocd-cm sample, in a temporary file. */
  private static Path script() throws IOException {
    if (script == null) {
      Path sample = LocalCluster.repoRoot().resolve("config-samples/argocd/argocd-cm-health.yaml");
      String lua =
          new YAMLMapper().readTree(sample.toFile()).path("data").path(ARGOCD_KEY).asText();
      if (lua.isBlank()) {
        throw new IllegalStateException(sample + " has no data." + ARGOCD_KEY);
      }
      script = Files.createTempFile("disaggcluster-health", ".lua");
      script.toFile().deleteOnExit();
      Files.writeString(script, lua);
    }
    return script;
  }

  private static Path tool() throws IOException, InterruptedException {
    if (tool == null) {
      Path build = LocalCluster.repoRoot().resolve("e2e/tools/build.sh");
      Process p =
          new ProcessBuilder(List.of("bash", build.toString(), "gitops-health"))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException("e2e/tools/build.sh gitops-health failed");
      }
      tool = Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    }
    return tool;
  }
}
