package io.disagg.operator.render;

import io.disagg.operator.core.SpecProblem;
import io.disagg.operator.discovery.DiscoverySettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The offline render's command line, like {@code helm template}: reads a {@code DisaggCluster} YAML
 * and writes what the operator would create from it, without a cluster or a network. A plain {@code
 * main}: no Quarkus, no CDI, no Kubernetes client. Run by {@code operator/render.sh} from the
 * packaged application ({@code operator/target/quarkus-app}).
 *
 * <p>Exit codes: {@value #OK} rendered; {@value #INVALID_SPEC} the spec is invalid (the API server
 * or the operator refuses it; their messages go to standard error); {@value #USAGE} a usage or
 * input error (bad options, not one {@code DisaggCluster} document); {@value #IO_ERROR} the input
 * cannot be read or the output cannot be written; {@value #INTERNAL} an internal error (a bug).
 */
public final class RenderMain {
  private RenderMain() {}

  /** Exit code: rendered. */
  public static final int OK = 0;

  /** Exit code: the API server or the operator refuses the spec. */
  public static final int INVALID_SPEC = 1;

  /** Exit code: bad command line, or the input is not one DisaggCluster document. */
  public static final int USAGE = 2;

  /** Exit code: the input cannot be read, or the output cannot be written. */
  public static final int IO_ERROR = 3;

  /** Exit code: an unexpected failure of the render itself. */
  public static final int INTERNAL = 4;

  /** Environment variable of the operator's default etcd endpoints, read when no option sets it. */
  public static final String ENDPOINTS_ENV = "DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS";

  static final String USAGE_TEXT =
      """
      Usage: render.sh [OPTIONS] FILE
      Renders what the disagg-operator creates for the DisaggCluster in FILE ('-' reads standard
      input), without a cluster: the Kubernetes objects, the TensorRT-LLM files, the fabric
      environment and each container's command line. The spec is first checked as the API server
      (the CRD's schema and CEL rules) and the operator would check it.

      Options:
        -o, --output-dir DIR    write one file per object and per file into DIR (created; it must
                                be empty); default: one multi-document YAML stream on stdout
            --objects-only      the stream holds only the Kubernetes objects (for kubectl apply
                                or diff); ignored with --output-dir
        -n, --namespace NS      the namespace of the request, as kubectl -n; default: the file's
                                metadata.namespace, else "default"
            --default-etcd-endpoints HOST:PORT[,HOST:PORT...]
                                the operator's disagg.discovery.default-etcd-endpoints, used when
                                the spec names no etcd endpoint; default: the environment variable
                                DISAGG_DISCOVERY_DEFAULT_ETCD_ENDPOINTS, else none
            --crd FILE          check against this CRD instead of the one the operator was built
                                with
        -h, --help              this text

      Exit codes: 0 rendered; 1 invalid spec (the API server or the operator refuses it, the
      messages are on stderr); 2 usage or input error; 3 I/O error; 4 internal error.
      """;

  /**
   * Runs the command line and exits with its code. Libraries' logging is switched off (SLF4J's
   * no-operation provider, unless {@code -Dslf4j.provider} says otherwise): the packaged
   * application's SLF4J binding needs the JBoss LogManager that only a Quarkus start sets up, and
   * the render's own messages go to standard error.
   */
  public static void main(String[] args) {
    if (System.getProperty("slf4j.provider") == null) {
      System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
      System.setProperty("slf4j.internal.verbosity", "ERROR");
    }
    System.exit(run(args, System.in, System.out, System.err, System.getenv()));
  }

  /** The parsed command line. */
  private record Options(
      String input,
      Path outputDir,
      boolean objectsOnly,
      String namespace,
      String endpoints,
      Path crd,
      boolean help) {}

  private static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Runs the command line: {@code args} as in {@link #USAGE_TEXT}, {@code stdin} for the input
   * {@code -}, the stream (or nothing, with {@code --output-dir}) to {@code out}, messages to
   * {@code err}, {@code env} for {@value #ENDPOINTS_ENV}.
   *
   * @return the exit code ({@link #OK}, {@link #INVALID_SPEC}, {@link #USAGE}, {@link #IO_ERROR},
   *     {@link #INTERNAL})
   */
  public static int run(
      String[] args, InputStream stdin, PrintStream out, PrintStream err, Map<String, String> env) {
    Options o;
    try {
      o = parse(args);
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      err.println("Run with --help for usage.");
      return USAGE;
    }
    if (o.help()) {
      out.print(USAGE_TEXT);
      return OK;
    }
    try {
      checkOutputDir(o.outputDir());
    } catch (UsageException e) {
      err.println("error: " + e.getMessage());
      return USAGE;
    } catch (IOException e) {
      err.println("error: " + describe(e));
      return IO_ERROR;
    }
    try {
      return render(o, stdin, out, err, env);
    } catch (OfflineRender.InputException e) {
      err.println("error: " + source(o) + ": " + e.getMessage());
      return USAGE;
    } catch (IOException e) {
      err.println("error: " + describe(e));
      return IO_ERROR;
    } catch (RuntimeException | Error e) {
      err.println("internal error (a bug of the render): " + e);
      e.printStackTrace(err);
      return INTERNAL;
    }
  }

  private static int render(
      Options o, InputStream stdin, PrintStream out, PrintStream err, Map<String, String> env)
      throws IOException, OfflineRender.InputException {
    String yaml =
        "-".equals(o.input())
            ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
            : Files.readString(Path.of(o.input()), StandardCharsets.UTF_8);
    CrdAdmission crd;
    if (o.crd() == null) {
      crd = CrdAdmission.builtIn();
    } else {
      try (InputStream in = Files.newInputStream(o.crd())) {
        crd = CrdAdmission.read(in);
      } catch (IllegalArgumentException e) {
        throw new OfflineRender.InputException(o.crd() + ": " + e.getMessage());
      }
    }
    String endpoints = o.endpoints() != null ? o.endpoints() : env.get(ENDPOINTS_ENV);
    OfflineRender render =
        new OfflineRender(
            crd,
            new OfflineRender.Settings(
                DiscoverySettings.fromConfig(endpoints).defaultEtcdEndpoints(), o.namespace()));
    OfflineRender.Outcome outcome = render.render(yaml);

    for (String n : outcome.notChecked()) {
      err.println("warning: not checked offline (the API server checks it): " + n);
    }
    for (SpecProblem w : outcome.warnings()) {
      err.println("warning: " + w + " (the operator reports it as a SpecWarning Event)");
    }
    if (outcome instanceof OfflineRender.Refused refused) {
      String what = "DisaggCluster " + FieldError.goQuote(refused.name());
      err.println(
          refused.stage() == OfflineRender.Stage.API_SERVER
              ? "The API server would refuse " + what + " (the CRD's schema and CEL rules):"
              : "The operator would refuse "
                  + what
                  + " (condition Degraded, reason SpecInvalid; it creates nothing):");
      refused.messages().forEach(m -> err.println("* " + m));
      return INVALID_SPEC;
    }
    OfflineRender.Rendered rendered = (OfflineRender.Rendered) outcome;
    if (o.outputDir() == null) {
      out.print(RenderOutput.stream(rendered, o.objectsOnly()));
      out.flush();
      if (out.checkError()) {
        throw new IOException("cannot write to standard output");
      }
    } else {
      writeDirectory(o.outputDir(), RenderOutput.files(rendered));
      err.println(
          "rendered DisaggCluster "
              + rendered.plan().cluster().getMetadata().getNamespace()
              + "/"
              + rendered.name()
              + " into "
              + o.outputDir());
    }
    return OK;
  }

  /** The output directory must be absent or empty: a render never mixes its files with others. */
  private static void checkOutputDir(Path dir) throws UsageException, IOException {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new UsageException("--output-dir " + dir + " exists and is not a directory");
    }
    try (Stream<Path> entries = Files.list(dir)) {
      if (entries.findAny().isPresent()) {
        throw new UsageException(
            "--output-dir "
                + dir
                + " is not empty: remove it or choose another directory (a render never mixes"
                + " its files with others)");
      }
    }
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file: " + e.getMessage();
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied: " + e.getMessage();
    }
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private static void writeDirectory(Path dir, Map<String, String> files) throws IOException {
    for (Map.Entry<String, String> f : files.entrySet()) {
      Path p = dir.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.writeString(p, f.getValue(), StandardCharsets.UTF_8);
    }
  }

  private static String source(Options o) {
    return "-".equals(o.input()) ? "<stdin>" : o.input();
  }

  private static Options parse(String[] args) throws UsageException {
    String input = null;
    Path outputDir = null;
    boolean objectsOnly = false;
    String namespace = null;
    String endpoints = null;
    Path crd = null;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      switch (a) {
        case "-h", "--help" -> {
          return new Options(null, null, false, null, null, null, true);
        }
        case "-o", "--output-dir" -> {
          outputDir = Path.of(value != null ? value : next(args, ++i, a));
        }
        case "--objects-only" -> objectsOnly = true;
        case "-n", "--namespace" -> namespace = value != null ? value : next(args, ++i, a);
        case "--default-etcd-endpoints" -> endpoints = value != null ? value : next(args, ++i, a);
        case "--crd" -> crd = Path.of(value != null ? value : next(args, ++i, a));
        default -> {
          if (a.startsWith("-") && !a.equals("-")) {
            throw new UsageException("unknown option " + a);
          }
          rest.add(a);
        }
      }
    }
    if (rest.size() != 1) {
      throw new UsageException(
          rest.isEmpty()
              ? "no input file (give FILE, or - for standard input)"
              : "one input file expected, got " + rest);
    }
    input = rest.get(0);
    return new Options(input, outputDir, objectsOnly, namespace, endpoints, crd, false);
  }

  private static String next(String[] args, int i, String option) throws UsageException {
    if (i >= args.length) {
      throw new UsageException(option + " needs a value");
    }
    return args[i];
  }
}
