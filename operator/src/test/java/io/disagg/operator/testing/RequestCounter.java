package io.disagg.operator.testing;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Fabric8 HTTP interceptor that records every request a client sends ("METHOD path") and, with its
 * RBAC verb and resource, every response status, so a test can assert how many writes the operator
 * made, which permissions it used and whether any request was forbidden.
 */
public final class RequestCounter implements Interceptor {
  private final List<String> requests = new ArrayList<>();
  private final List<ApiRequest> responses = new ArrayList<>();

  @Override
  public synchronized void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    requests.add(request.method() + " " + request.uri().getRawPath());
  }

  @Override
  public void after(
      HttpRequest request,
      HttpResponse<?> response,
      AsyncBody.Consumer<List<ByteBuffer>> consumer) {
    // Called by Fabric8 for every response, successful or not, and for watches.
    record(request, response.code());
  }

  private synchronized void record(HttpRequest request, int code) {
    responses.add(ApiRequest.of(request.method(), request.uri()).withStatus(code));
  }

  /** Forgets what was recorded so far. */
  public synchronized void reset() {
    requests.clear();
    responses.clear();
  }

  /** Requests that change state (anything but GET), in order. */
  public synchronized List<String> writes() {
    return requests.stream().filter(r -> !r.startsWith("GET ")).toList();
  }

  /** Every recorded request, in order. */
  public synchronized List<String> all() {
    return new ArrayList<>(requests);
  }

  /** Every answered request with its verb, resource and status, in order of the answers. */
  public synchronized List<ApiRequest> answered() {
    return new ArrayList<>(responses);
  }

  /** Answered requests the API server refused with 403 Forbidden. */
  public synchronized List<ApiRequest> forbidden() {
    return responses.stream().filter(r -> r.status() == 403).toList();
  }
}
