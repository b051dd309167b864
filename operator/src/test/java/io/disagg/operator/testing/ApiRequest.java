package io.disagg.operator.testing;

import java.net.URI;
import java.util.List;

/**
 * One request a client sent to the API server, with the RBAC verb and resource it needs (following
 * the API server's request-info rules: a GET of a collection is {@code list}, or {@code watch} with
 * {@code watch=true}; POST is {@code create}, PUT {@code update}, PATCH {@code patch}, DELETE of a
 * collection {@code deletecollection}).
 *
 * @param method HTTP method
 * @param path raw path, e.g. {@code /apis/apps/v1/namespaces/ns/statefulsets/x}
 * @param verb RBAC verb; empty for a non-resource URL (e.g. {@code /version})
 * @param group API group, {@code ""} for the core group
 * @param resource resource, with {@code /subresource} when there is one (e.g. {@code
 *     disaggclusters/status})
 * @param namespace namespace, or {@code null} for a cluster-scoped or all-namespaces request
 * @param status HTTP status of the response, 0 while none was seen
 */
public record ApiRequest(
    String method,
    String path,
    String verb,
    String group,
    String resource,
    String namespace,
    int status) {

  /** Parses a request; {@code status} is 0. */
  public static ApiRequest of(String method, URI uri) {
    String path = uri.getRawPath();
    List<String> parts = List.of(path.replaceAll("^/+", "").split("/"));
    String group;
    int i;
    if (parts.size() >= 2 && parts.get(0).equals("api")) {
      group = "";
      i = 2;
    } else if (parts.size() >= 3 && parts.get(0).equals("apis")) {
      group = parts.get(1);
      i = 3;
    } else {
      return new ApiRequest(method, path, "", "", "", null, 0);
    }
    String namespace = null;
    if (parts.size() > i + 1 && parts.get(i).equals("namespaces")) {
      namespace = parts.get(i + 1);
      i += 2;
      if (parts.size() == i) { // the namespace object itself
        return new ApiRequest(method, path, verb(method, true, uri), "", "namespaces", null, 0);
      }
    }
    if (parts.size() <= i) {
      return new ApiRequest(method, path, "", group, "", namespace, 0);
    }
    String resource = parts.get(i);
    boolean named = parts.size() > i + 1;
    if (parts.size() > i + 2) {
      resource = resource + "/" + parts.get(i + 2);
    }
    return new ApiRequest(method, path, verb(method, named, uri), group, resource, namespace, 0);
  }

  private static String verb(String method, boolean named, URI uri) {
    String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
    return switch (method) {
      case "GET", "HEAD" ->
          named ? "get" : query.matches("(^|.*&)watch=(true|1)(&.*|$)") ? "watch" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> method.toLowerCase();
    };
  }

  /** This request with the response's status. */
  public ApiRequest withStatus(int code) {
    return new ApiRequest(method, path, verb, group, resource, namespace, code);
  }

  /** {@code verb group/resource}, e.g. {@code patch apps/statefulsets} or {@code get /pods}. */
  public String permission() {
    return verb + " " + group + "/" + resource;
  }

  /**
   * The permissions the API server checked for this request: {@link #permission()}, and for a PATCH
   * that created the object (201, a server-side apply of a new object) {@code create} too.
   */
  public List<String> permissions() {
    return "patch".equals(verb) && status == 201
        ? List.of(permission(), "create " + group + "/" + resource)
        : List.of(permission());
  }
}
