#!/usr/bin/env bash
# kind variant of e2e/cluster/up.sh, for machines with Docker (or Podman): a real v1.33 cluster with one control
# plane and two GPU-labelled workers (kind-config.yaml). Usually run as `e2e/cluster/up.sh --provider kind`.
#
# Creates (or reuses) kind cluster $DISAGG_CLUSTER_NAME (default "disagg"), writes its kubeconfig to the same
# known path as the kwok provider, patches nvidia.com/gpu: 8 and vpc.amazonaws.com/efa: 32 into the workers'
# node status, waits for Ready nodes and the default ServiceAccount, and prints `export KUBECONFIG=...`.
#
# Needs: kind >= v0.29.0, a container runtime kind can use, kubectl >= 1.24 on PATH (or built by
# e2e/cluster/build.sh). Env: KIND_NODE_IMAGE overrides the node image of kind-config.yaml.
# Caveat: a kubelet restart drops extended resources it does not manage; rerun up.sh to patch them again.
set -euo pipefail
# shellcheck source=../cluster/lib.sh
. "$(dirname "$0")/../cluster/lib.sh"
KIND_DIR="$(cd "$(dirname "$0")" && pwd)"

command -v kind >/dev/null 2>&1 ||
  die "kind is not installed: https://kind.sigs.k8s.io/docs/user/quick-start/#installation (v0.29.0 or newer), or use the default kwok provider"
if command -v kubectl >/dev/null 2>&1; then KUBECTL=kubectl
elif [ -x "$BIN_DIR/kubectl" ]; then KUBECTL="$BIN_DIR/kubectl"
else die "kubectl not found: install it or run e2e/cluster/build.sh"
fi
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" "$@"; }

mkdir -p "$STATE_DIR" "$(dirname "$KUBECONFIG_OUT")"
created=0
cleanup_on_failure() {
  local rc=$?
  [ "$rc" -ne 0 ] && [ "$created" = 1 ] || return 0
  if [ "${DISAGG_KEEP_ON_FAILURE:-0}" = 1 ]; then
    log "DISAGG_KEEP_ON_FAILURE=1: keeping kind cluster '$CLUSTER_NAME' (kind export logs --name $CLUSTER_NAME; e2e/cluster/down.sh)"
    return 0
  fi
  log "removing the kind cluster this run created (set DISAGG_KEEP_ON_FAILURE=1 to keep it for debugging)"
  kind delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
  rm -f "$STATE_DIR/provider" "$KUBECONFIG_OUT"
}
trap cleanup_on_failure EXIT

start=$(date +%s)
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  log "reusing kind cluster '$CLUSTER_NAME'"
else
  log "creating kind cluster '$CLUSTER_NAME' ($KIND_DIR/kind-config.yaml)"
  image_args=()
  [ -z "${KIND_NODE_IMAGE:-}" ] || image_args=(--image "$KIND_NODE_IMAGE")
  echo kind >"$STATE_DIR/provider"
  created=1
  kind create cluster --name "$CLUSTER_NAME" --config "$KIND_DIR/kind-config.yaml" \
    --kubeconfig "$KUBECONFIG_OUT" --wait 180s ${image_args[@]+"${image_args[@]}"} || die "kind create cluster failed"
fi
echo kind >"$STATE_DIR/provider"
# Only this cluster's context in the known kubeconfig path.
kind get kubeconfig --name "$CLUSTER_NAME" >"$KUBECONFIG_OUT.tmp.$$"
chmod 600 "$KUBECONFIG_OUT.tmp.$$"; mv -f "$KUBECONFIG_OUT.tmp.$$" "$KUBECONFIG_OUT"

k wait --for=condition=Ready nodes --all --timeout=180s >/dev/null || die "the kind nodes did not become Ready"

# Extended resources exist only in node status: JSON patch on the status subresource, "/" in a resource name
# escaped as "~1". "add" replaces an existing value, so this is idempotent. Allocatable is patched too so the
# scheduler sees it at once (the kubelet would copy capacity into it on its next status update).
patch='['
for field in capacity allocatable; do
  patch+="{\"op\":\"add\",\"path\":\"/status/$field/nvidia.com~1gpu\",\"value\":\"8\"},"
  patch+="{\"op\":\"add\",\"path\":\"/status/$field/vpc.amazonaws.com~1efa\",\"value\":\"32\"},"
done
patch="${patch%,}]"
gpu_nodes=$(k get nodes -l nvidia.com/gpu.present=true -o jsonpath='{.items[*].metadata.name}')
[ -n "$gpu_nodes" ] || die "no node labelled nvidia.com/gpu.present=true (check kind-config.yaml)"
for node in $gpu_nodes; do
  k patch node "$node" --subresource=status --type=json -p "$patch" >/dev/null ||
    die "patching the extended resources into node $node failed (kubectl >= 1.24 is needed for --subresource)"
done

deadline=$(( $(date +%s) + 60 ))
until k -n default get serviceaccount default >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || die "ServiceAccount default/default was not created"
  sleep 1
done

created=0
log "kind cluster '$CLUSTER_NAME' is up in $(( $(date +%s) - start ))s; GPU nodes: $gpu_nodes"
log "kubeconfig: $KUBECONFIG_OUT   delete: e2e/cluster/down.sh"
echo "export KUBECONFIG=$KUBECONFIG_OUT"
