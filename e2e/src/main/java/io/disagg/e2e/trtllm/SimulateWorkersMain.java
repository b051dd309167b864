package io.disagg.e2e.trtllm;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link SimulatedKubelet} for the DisaggCluster pods of one namespace until killed: the
 * stand-in for GPUs, containers and the kubelet in the local demo ({@code e2e/run.sh}). Each worker
 * pod gets a simulated {@code trtllm-serve} worker on its loopback IP that registers in etcd as the
 * real one does, each router pod a simulated {@code trtllm-serve disaggregated} router; the pods'
 * probes run against them and set the pods' readiness.
 *
 * <p>Usage: {@code SimulateWorkersMain <namespace> <etcd host:port> [<TensorRT-LLM release>]}, with
 * {@code KUBECONFIG} set; the release ({@code 1.2} or {@code 1.3}) defaults to {@link
 * SimulatedRelease#DEFAULT}.
 */
public final class SimulateWorkersMain {
  private SimulateWorkersMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2 && args.length != 3) {
      System.err.println(
          "usage: SimulateWorkersMain <namespace> <etcd host:port> [<TensorRT-LLM release>]");
      System.exit(2);
    }
    SimulatedRelease release =
        args.length == 3 ? SimulatedRelease.of(args[2]) : SimulatedRelease.DEFAULT;
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
        SimulatedKubelet.builder(client, args[0], args[1])
            .release(release)
            .serviceTimeMillis(50)
            .start();
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
        "simulating TensorRT-LLM "
            + release.version()
            + " workers and routers for pods in namespace "
            + args[0]
            + ", etcd "
            + args[1]);
    stop.await();
  }
}
