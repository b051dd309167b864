package io.disagg.operator.testing;

import io.fabric8.kubernetes.client.KubernetesClient;

/** A fresh namespace of a test and a client of the cluster it lives in. */
public record TestNamespace(KubernetesClient client, String name) {}
