package io.disagg.operator.discovery;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which registrations under a DisaggCluster's etcd prefix are foreign and may be deleted: the
 * router sends user prompts to every registered {@code host:port} ({@code
 * OpenAIDisaggServer._update_router_by_watch_events} in {@code
 * tensorrt_llm/serve/openai_disagg_server.py}: {@code add_server} on every SET, {@code
 * remove_server} on every DELETE), and TensorRT-LLM's workers reach etcd without TLS or credentials
 * ({@code tensorrt_llm/serve/cluster_storage.py}), so anything that can reach etcd can register.
 * Pure: the caller observes, this decides, the caller deletes (docs/foreign-registrations.md).
 *
 * <p>The rule is on the <b>host</b> only, never on the port or the role:
 *
 * <ul>
 *   <li>A registration whose host is an IP of one of the DisaggCluster's pods (any pod, any
 *       revision, terminating ones included), or was one within {@link Input#recentWindow} (a
 *       stopped worker's key expires with its lease), is <b>kept</b>, whatever its port, role or
 *       shape: the router removes servers by endpoint, so deleting a key with one of our endpoints
 *       would drop our worker from routing, and a release that adds a field to the value (which
 *       {@link Registrations#parse} then calls malformed) must not lose its workers.
 *   <li>Any other registration, malformed ones included, is <b>foreign</b> once its host has been
 *       seen as foreign for {@link Input#grace} (so a new pod that the operator's cache has not
 *       seen yet is not taken for a stranger; the caller also re-reads the pods before deleting). A
 *       registration without any readable host (neither in the value nor in the worker id of the
 *       key) names no pod of ours and is foreign once seen for the grace, under its key.
 * </ul>
 *
 * <p>When a host was first seen as foreign is remembered for {@link #REMEMBER} after it was last
 * seen, so a registrant that writes its key again after a deletion is removed at once, without a
 * new grace.
 */
public final class ForeignRegistrations {
  private ForeignRegistrations() {}

  /** How long a foreign host's first sighting is remembered after it was last seen. */
  public static final Duration REMEMBER = Duration.ofMinutes(10);

  /**
   * The worker id TensorRT-LLM generates, {@code <ROLE>-<host>:<port>-<ms>-<pid>-<rand>} ({@code
   * DisaggClusterWorker.__init__} in {@code tensorrt_llm/serve/disagg_auto_scaling.py}); the host
   * may contain colons (IPv6), the port is the last colon's.
   */
  private static final Pattern WORKER_ID = Pattern.compile("^[A-Z_]+-(.+):\\d+-\\d+-\\d+-\\d+$");

  /**
   * What is known at one reconcile.
   *
   * @param registrations the registrations under the prefixes of the DisaggCluster (every revision)
   * @param podIps the IPs of the DisaggCluster's pods now ({@code status.podIP}, {@code
   *     status.podIPs}), any case
   * @param lastOurs when each IP was last seen as one of the DisaggCluster's pods (any case)
   * @param firstSeen when each foreign host (lower-case), or key of a registration without a host,
   *     was first seen, and when last; from the previous {@link Decision#firstSeen}, empty at first
   * @param grace how long a host must have been seen as foreign before its registrations go (>= 0)
   * @param recentWindow how long an IP counts as ours after its pod was last seen (>= 0)
   * @param now the time of the decision
   */
  public record Input(
      Collection<Registration> registrations,
      Collection<String> podIps,
      Map<String, Instant> lastOurs,
      Map<String, Seen> firstSeen,
      Duration grace,
      Duration recentWindow,
      Instant now) {
    public Input {
      Objects.requireNonNull(registrations, "registrations");
      Objects.requireNonNull(podIps, "podIps");
      Objects.requireNonNull(lastOurs, "lastOurs");
      Objects.requireNonNull(firstSeen, "firstSeen");
      Objects.requireNonNull(now, "now");
      if (grace.isNegative() || recentWindow.isNegative()) {
        throw new IllegalArgumentException("grace and recentWindow must not be negative");
      }
    }
  }

  /**
   * When a foreign host (or a hostless key) was first and last seen.
   *
   * @param first first sighting
   * @param last latest sighting
   */
  public record Seen(Instant first, Instant last) {}

  /**
   * A foreign registration.
   *
   * @param registration the registration as observed (its {@code modRevision} conditions the
   *     delete)
   * @param host the host it names (lower-case), null when none can be read
   */
  public record Foreign(Registration registration, String host) {}

  /**
   * The decision.
   *
   * @param remove foreign registrations whose grace is over: delete them (after confirming with the
   *     API server that no pod of the DisaggCluster has their host)
   * @param waiting foreign registrations still within their grace
   * @param firstSeen the sightings to pass to the next decision (entries not seen for {@link
   *     #REMEMBER} dropped)
   * @param recheckAfter when the first {@code waiting} one's grace ends, null when none waits
   */
  public record Decision(
      List<Foreign> remove,
      List<Foreign> waiting,
      Map<String, Seen> firstSeen,
      Duration recheckAfter) {
    public Decision {
      remove = List.copyOf(remove);
      waiting = List.copyOf(waiting);
      firstSeen = Map.copyOf(firstSeen);
    }
  }

  /**
   * The host a registration names, lower-case: the value's {@code host}, else (a malformed value)
   * the host in the worker id of the key ({@code <ROLE>-<host>:<port>-<ms>-<pid>-<rand>}), else
   * null.
   */
  public static String host(Registration r) {
    if (r.host() != null && !r.host().isBlank()) {
      return r.host().toLowerCase(Locale.ROOT);
    }
    String id = r.key().substring(r.key().lastIndexOf('/') + 1);
    Matcher m = WORKER_ID.matcher(id);
    return m.matches() ? m.group(1).toLowerCase(Locale.ROOT) : null;
  }

  /** Decides which registrations are foreign and which of them to delete now. */
  public static Decision decide(Input in) {
    Set<String> ours = new java.util.HashSet<>();
    in.podIps().forEach(ip -> ours.add(ip.toLowerCase(Locale.ROOT)));
    in.lastOurs()
        .forEach(
            (ip, at) -> {
              if (!at.plus(in.recentWindow()).isBefore(in.now())) {
                ours.add(ip.toLowerCase(Locale.ROOT));
              }
            });
    Map<String, Seen> seen = new HashMap<>();
    in.firstSeen()
        .forEach(
            (k, s) -> {
              if (!s.last().plus(REMEMBER).isBefore(in.now())) {
                seen.put(k, s);
              }
            });
    List<Foreign> remove = new ArrayList<>();
    List<Foreign> waiting = new ArrayList<>();
    Duration next = null;
    for (Registration r : in.registrations()) {
      String host = host(r);
      if (host != null && ours.contains(host)) {
        continue;
      }
      String id = host != null ? host : r.key();
      Seen s = seen.get(id);
      s = s == null ? new Seen(in.now(), in.now()) : new Seen(s.first(), in.now());
      seen.put(id, s);
      Instant due = s.first().plus(in.grace());
      Foreign f = new Foreign(r, host);
      if (due.isAfter(in.now())) {
        waiting.add(f);
        Duration left = Duration.between(in.now(), due);
        next = next == null || left.compareTo(next) < 0 ? left : next;
      } else {
        remove.add(f);
      }
    }
    return new Decision(remove, waiting, seen, next);
  }
}
