package io.disagg.operator.discovery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.disagg.operator.core.Pool;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * Keys and values of TensorRT-LLM worker registrations in etcd, as written by {@code
 * DisaggClusterWorker} and read by {@code DisaggClusterManager} in {@code
 * tensorrt_llm/serve/disagg_auto_scaling.py}.
 */
public final class Registrations {
  private Registrations() {}

  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final Set<String> FIELDS = Set.of("worker_id", "host", "port", "role");

  /**
   * The key prefix of a cluster's workers, with the trailing slash: {@code
   * /trtllm-disagg/<clusterName>/workers/} ({@code get_worker_key_prefix} plus the {@code /} that
   * {@code get_worker_key} inserts before the worker id). The slash keeps cluster {@code a} from
   * seeing cluster {@code ab}'s workers.
   */
  public static String workersPrefix(String clusterName) {
    return "/trtllm-disagg/" + clusterName + "/workers/";
  }

  /**
   * Whether {@code key} is a worker registration key of some cluster: {@code
   * /trtllm-disagg/<name>/workers/<id>}.
   */
  public static boolean isWorkerKey(String key) {
    if (key == null || !key.startsWith("/trtllm-disagg/")) {
      return false;
    }
    String rest = key.substring("/trtllm-disagg/".length());
    int slash = rest.indexOf('/');
    return slash > 0
        && rest.startsWith("workers/", slash + 1)
        && rest.length() > slash + 1 + "workers/".length();
  }

  /**
   * Parses one registration; never throws on bad data.
   *
   * <p>Accepted like {@code DisaggClusterManager._parse_worker_info}: a JSON object whose keys are
   * among {@code worker_id} (required), {@code host}, {@code port} and {@code role}, which builds
   * {@code WorkerInfo(**value)} (a missing {@code role} defaults to 0 = CONTEXT, a missing {@code
   * port} to 0). Anything the router would not count as a context or generation worker is kept with
   * {@code malformed} set and {@code pool} null: not JSON, not an object, an unknown key, no {@code
   * worker_id}, a {@code role} other than 0 or 1 (TensorRT-LLM's {@code ServerRole} has further
   * roles such as 2 = MM_ENCODER, which its router does not count either). This parser is stricter
   * on types than Python: {@code worker_id} and {@code host} must be strings, {@code port} and
   * {@code role} integers. A malformed value that is a JSON object keeps its {@code host} and
   * {@code port} when they are of the right type (e.g. beside an unknown key).
   *
   * @param key the etcd key
   * @param value the etcd value (UTF-8)
   * @param lease the key's lease id, 0 when none
   * @param modRevision the key's last modification revision
   */
  public static Registration parse(String key, byte[] value, long lease, long modRevision) {
    String raw = value == null ? "" : new String(value, StandardCharsets.UTF_8);
    String fallbackId = key.substring(key.lastIndexOf('/') + 1);
    JsonNode n;
    try {
      n = JSON.readTree(raw);
    } catch (JsonProcessingException | RuntimeException e) {
      n = null;
    }
    if (n == null || !n.isObject()) {
      return malformed(key, fallbackId, null, 0, lease, modRevision, raw);
    }
    JsonNode id = n.get("worker_id");
    JsonNode host = n.get("host");
    JsonNode port = n.get("port");
    JsonNode role = n.get("role");
    String hostText =
        host != null && host.isTextual() && !host.asText().isEmpty() ? host.asText() : null;
    int portNumber =
        port != null
                && port.isIntegralNumber()
                && port.canConvertToInt()
                && port.asInt() >= 0
                && port.asInt() <= 65535
            ? port.asInt()
            : 0;
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      if (!FIELDS.contains(it.next())) {
        // host and port kept: a release that adds a field must not make its own workers' keys
        // look foreign (ForeignRegistrations keeps a malformed value whose host is ours)
        return malformed(key, fallbackId, hostText, portNumber, lease, modRevision, raw);
      }
    }
    boolean ok =
        id != null
            && id.isTextual()
            && (host == null || host.isTextual())
            && (port == null
                || (port.isIntegralNumber()
                    && port.canConvertToInt()
                    && port.asInt() >= 0
                    && port.asInt() <= 65535))
            && (role == null || (role.isIntegralNumber() && role.canConvertToInt()));
    Pool pool = !ok ? null : role == null ? Pool.CONTEXT : Pool.fromRoleNumber(role.asInt());
    if (pool == null) {
      String workerId = id != null && id.isTextual() ? id.asText() : fallbackId;
      return malformed(key, workerId, hostText, portNumber, lease, modRevision, raw);
    }
    return new Registration(
        key, id.asText(), hostText, portNumber, pool, lease, modRevision, false, raw);
  }

  private static Registration malformed(
      String key,
      String workerId,
      String host,
      int port,
      long lease,
      long modRevision,
      String raw) {
    return new Registration(key, workerId, host, port, null, lease, modRevision, true, raw);
  }
}
