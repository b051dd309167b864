package io.disagg.operator.controller;

import io.disagg.operator.api.v1alpha1.DisaggCluster;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Writes Kubernetes Events about a DisaggCluster ({@code kubectl describe dgc} shows them). Called
 * only when something happened (a condition changed, an error occurred), never on every reconcile,
 * so an unchanged cluster causes no writes. Failing to write an Event is logged and otherwise
 * ignored.
 */
public final class EventRecorder {
  private static final Logger LOG = Logger.getLogger(EventRecorder.class);

  /** The reporting component named in each Event. */
  public static final String COMPONENT = "disagg-operator";

  private EventRecorder() {}

  /** Records a Normal event. */
  public static void normal(
      KubernetesClient client, DisaggCluster cr, String reason, String message) {
    record(client, cr, "Normal", reason, message);
  }

  /** Records a Warning event. */
  public static void warning(
      KubernetesClient client, DisaggCluster cr, String reason, String message) {
    record(client, cr, "Warning", reason, message);
  }

  private static void record(
      KubernetesClient client, DisaggCluster cr, String type, String reason, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String name =
        cr.getMetadata().getName()
            + "."
            + Long.toHexString(System.currentTimeMillis())
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000));
    Event e =
        new EventBuilder()
            .withNewMetadata()
            .withName(name.toLowerCase(Locale.ROOT))
            .withNamespace(cr.getMetadata().getNamespace())
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(cr.getApiVersion())
                    .withKind(cr.getKind())
                    .withName(cr.getMetadata().getName())
                    .withNamespace(cr.getMetadata().getNamespace())
                    .withUid(cr.getMetadata().getUid())
                    .withResourceVersion(cr.getMetadata().getResourceVersion())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(truncate(message))
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .withReportingInstance(COMPONENT)
            .build();
    try {
      client.v1().events().inNamespace(cr.getMetadata().getNamespace()).resource(e).create();
    } catch (KubernetesClientException ex) {
      LOG.warnf(
          "could not record event %s/%s %s: %s",
          cr.getMetadata().getNamespace(), cr.getMetadata().getName(), reason, ex.getMessage());
    }
  }

  private static String truncate(String m) {
    return m == null || m.length() <= 1000 ? m : m.substring(0, 997) + "...";
  }
}
