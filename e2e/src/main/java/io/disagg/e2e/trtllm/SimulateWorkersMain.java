package io.disagg.e2e.trtllm;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs simulated TensorRT-LLM workers for the worker pods of one namespace until killed: the
 * stand-in for GPUs and containers in the local demo ({@code e2e/run.sh}). Each worker binds its
 * pod's loopback IP, registers in etcd as {@code trtllm-serve} does and answers {@code /health},
 * {@code /prometheus/metrics} and {@code /v1/completions}.
 *
 * <p>Usage: {@code SimulateWorkersMain <namespace> <etcd host:port>}, with {@code KUBECONFIG} set.
 */
public final class SimulateWorkersMain {
  private SimulateWorkersMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: SimulateWorkersMain <namespace> <etcd host:port>");
      System.exit(2);
    }
    String kubeconfig = System.getenv("KUBECONFIG");
    if (kubeconfig == null || !Files.isRegularFile(Path.of(kubeconfig))) {
      System.err.println("KUBECONFIG must name a kubeconfig file");
      System.exit(2);
    }
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig))))
            .build();
    SimulatedKubelet kubelet =
        SimulatedKubelet.builder(client, args[0], args[1]).serviceTimeMillis(50).start();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kubelet.close();
                  client.close();
                  stop.countDown();
                }));
    System.out.println(
        "simulating TensorRT-LLM workers for pods in namespace " + args[0] + ", etcd " + args[1]);
    stop.await();
  }
}
