package io.disagg.e2e.trtllm;

/**
 * What a simulated node (and the image on it) offers the fabric pre-flight of a worker pod: the
 * {@link SimulatedKubelet} builds a fake container filesystem from it and runs the operator's real
 * {@code fabric-preflight.sh} against it (see {@link SimulatedKubelet.Builder#nodeFabric}).
 *
 * @param efaDevices uverbs devices the container sees; {@link #AS_ALLOCATED} (-1): the container's
 *     {@code vpc.amazonaws.com/efa} limit, as the EFA device plugin mounts them
 * @param efaProvider whether {@code fi_info -p efa} (a fake in {@code <efa>/bin}) succeeds; when
 *     false it fails as libfabric does without the provider ({@code fi_getinfo: -61})
 * @param hugepages whether {@code /proc/meminfo} shows the 2 MiB hugepages the container's {@code
 *     hugepages-2Mi} limit asks for (else {@code HugePages_Total: 0})
 * @param nixlLibfabricPlugin whether {@code libplugin_LIBFABRIC.so} is in the container's {@code
 *     NIXL_PLUGIN_DIR}
 */
public record NodeFabric(
    int efaDevices, boolean efaProvider, boolean hugepages, boolean nixlLibfabricPlugin) {

  /** {@link #efaDevices}: as many as the container's EFA limit. */
  public static final int AS_ALLOCATED = -1;

  /** A correctly set-up EFA node running an image with libfabric and NIXL's LIBFABRIC plugin. */
  public static final NodeFabric HEALTHY = new NodeFabric(AS_ALLOCATED, true, true, true);

  /** This node with {@code n} EFA devices visible, e.g. 0 for a node without the device plugin. */
  public NodeFabric withEfaDevices(int n) {
    return new NodeFabric(n, efaProvider, hugepages, nixlLibfabricPlugin);
  }
}
