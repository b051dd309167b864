package io.disagg.operator.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.disagg.operator.model.WorkerStatefulSets;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The files of a {@link OfflineRender.Rendered}: one YAML file per Kubernetes object, the
 * TensorRT-LLM files, the fabric environment as an env file and each container's command line. The
 * same content goes to a directory ({@link #files}) or to one multi-document YAML stream ({@link
 * #stream}). Deterministic: the same input gives the same bytes (objects in the workflow's order,
 * maps as the builders order them, files sorted).
 *
 * <p>Layout (paths relative to the output directory; {@code N} is the DisaggCluster's name):
 *
 * <ul>
 *   <li>{@code <kind>-<object name>.yaml}: each child, e.g. {@code configmap-N-config.yaml}, {@code
 *       statefulset-N-context.yaml}, {@code deployment-N-router.yaml} ({@code kind} in lower case);
 *   <li>{@code trtllm/<key>}: every entry of the {@code N-config} ConfigMap as the containers see
 *       it under {@code /etc/trtllm}: {@code context.yaml}, {@code generation.yaml} (the pools'
 *       {@code --extra_llm_api_options}), {@code router.yaml} ({@code trtllm-serve disaggregated
 *       -c}) and {@code deregister.py} (the workers' preStop hook);
 *   <li>{@code trtllm/fabric.env}: the {@code N-fabric} ConfigMap, {@code KEY=value} lines that a
 *       POSIX shell can source ({@code set -a; . trtllm/fabric.env});
 *   <li>{@code commands/<workload>.<container>.sh}: the command line (command and args, shell
 *       quoted) of every container and init container that sets one, and {@code
 *       commands/<workload>.<container>.preStop.sh} for an exec preStop hook.
 * </ul>
 */
public final class RenderOutput {
  private RenderOutput() {}

  /** Directory of the TensorRT-LLM files in the layout. */
  public static final String TRTLLM_DIR = "trtllm";

  /** Directory of the command lines in the layout. */
  public static final String COMMANDS_DIR = "commands";

  /** The fabric environment's file name. */
  public static final String FABRIC_ENV = TRTLLM_DIR + "/fabric.env";

  /** Words a shell reads as themselves, left unquoted in command lines. */
  private static final Pattern BARE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private static final ObjectMapper FILE_YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE));

  /** The name of an object's file: {@code <kind in lower case>-<name>.yaml}. */
  public static String objectFile(HasMetadata o) {
    return o.getKind().toLowerCase(Locale.ROOT) + "-" + o.getMetadata().getName() + ".yaml";
  }

  /**
   * Every file of the layout, path to content, in output order: the objects, then the TensorRT-LLM
   * files, then the commands.
   */
  public static Map<String, String> files(OfflineRender.Rendered r) {
    Map<String, String> out = new LinkedHashMap<>();
    r.objects().forEach(o -> out.put(objectFile(o), objectYaml(o)));
    out.putAll(nonObjectFiles(r));
    return out;
  }

  /**
   * The files that are not Kubernetes objects (TensorRT-LLM files, fabric environment, commands),
   * path to content.
   */
  public static Map<String, String> nonObjectFiles(OfflineRender.Rendered r) {
    Map<String, String> out = new LinkedHashMap<>();
    new TreeMap<>(r.plan().configFiles())
        .forEach((key, content) -> out.put(TRTLLM_DIR + "/" + key, content));
    out.put(FABRIC_ENV, envFile(r.plan().fabricEnv()));
    for (HasMetadata o : r.objects()) {
      PodSpec pod = podSpec(o);
      if (pod == null) {
        continue;
      }
      List<Container> containers = new ArrayList<>();
      if (pod.getInitContainers() != null) {
        containers.addAll(pod.getInitContainers());
      }
      containers.addAll(pod.getContainers());
      String workload = o.getMetadata().getName();
      for (Container c : containers) {
        List<String> argv = new ArrayList<>();
        if (c.getCommand() != null) {
          argv.addAll(c.getCommand());
        }
        if (c.getArgs() != null) {
          argv.addAll(c.getArgs());
        }
        String base = COMMANDS_DIR + "/" + workload + "." + c.getName();
        if (!argv.isEmpty()) {
          out.put(
              base + ".sh",
              "# "
                  + o.getKind()
                  + " "
                  + workload
                  + ", container "
                  + c.getName()
                  + ": command and args\n"
                  + commandLine(argv)
                  + "\n");
        }
        var preStop = c.getLifecycle() == null ? null : c.getLifecycle().getPreStop();
        if (preStop != null
            && preStop.getExec() != null
            && preStop.getExec().getCommand() != null) {
          out.put(
              base + ".preStop.sh",
              "# "
                  + o.getKind()
                  + " "
                  + workload
                  + ", container "
                  + c.getName()
                  + ": preStop hook\n"
                  + commandLine(preStop.getExec().getCommand())
                  + "\n");
        }
      }
    }
    return out;
  }

  /**
   * One multi-document YAML stream: each object as a document; unless {@code objectsOnly}, then
   * each other file as a document {@code {path: <path in the layout>, content: <text>}}. Every
   * document is preceded by a comment {@code # Source: <path in the layout>}.
   */
  public static String stream(OfflineRender.Rendered r, boolean objectsOnly) {
    StringBuilder sb = new StringBuilder();
    for (HasMetadata o : r.objects()) {
      document(sb, objectFile(o), objectYaml(o));
    }
    if (!objectsOnly) {
      for (Map.Entry<String, String> f : nonObjectFiles(r).entrySet()) {
        Map<String, String> doc = new LinkedHashMap<>();
        doc.put("path", f.getKey());
        doc.put("content", f.getValue());
        try {
          document(sb, f.getKey(), FILE_YAML.writeValueAsString(doc));
        } catch (JsonProcessingException e) {
          throw new IllegalStateException("cannot serialize " + f.getKey(), e);
        }
      }
    }
    return sb.toString();
  }

  private static void document(StringBuilder sb, String source, String yaml) {
    sb.append("---\n# Source: ").append(source).append('\n').append(yaml);
    if (!yaml.endsWith("\n")) {
      sb.append('\n');
    }
  }

  /** An object as YAML by Fabric8's serialization, without a document start marker. */
  public static String objectYaml(HasMetadata o) {
    String yaml = SERIALIZATION.asYaml(o);
    return yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
  }

  /** {@code KEY=value} lines, sorted by key; values quoted for a POSIX shell where needed. */
  public static String envFile(Map<String, String> env) {
    StringBuilder sb = new StringBuilder();
    new TreeMap<>(env)
        .forEach(
            (k, v) -> sb.append(k).append('=').append(shellWord(v == null ? "" : v)).append('\n'));
    return sb.toString();
  }

  /** The argv as one shell command line: each word bare when safe, else single-quoted. */
  public static String commandLine(List<String> argv) {
    return String.join(" ", argv.stream().map(RenderOutput::shellWord).toList());
  }

  private static String shellWord(String w) {
    return BARE.matcher(w).matches() ? w : WorkerStatefulSets.shellQuote(w);
  }

  private static PodSpec podSpec(HasMetadata o) {
    if (o instanceof StatefulSet s && s.getSpec() != null && s.getSpec().getTemplate() != null) {
      return s.getSpec().getTemplate().getSpec();
    }
    if (o instanceof Deployment d && d.getSpec() != null && d.getSpec().getTemplate() != null) {
      return d.getSpec().getTemplate().getSpec();
    }
    return null;
  }
}
