# Shared helpers for the cluster scripts. Sourced, never run.
# shellcheck shell=bash
CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$CLUSTER_DIR/versions.env"
CACHE_ROOT="${DISAGG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/disagg-operator}"
BIN_DIR="$CACHE_ROOT/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
# helm has its own directory, so a helm bump does not rebuild the control plane (and vice versa).
HELM_BIN_DIR="$CACHE_ROOT/bin/helm-$HELM_VERSION"
# shellcheck disable=SC2034 # used by build.sh and the Java test harness
HELM_BIN="$HELM_BIN_DIR/helm"
CLUSTER_NAME="${DISAGG_CLUSTER_NAME:-disagg}"
STATE_DIR="$CACHE_ROOT/clusters/$CLUSTER_NAME"
KUBECONFIG_OUT="${DISAGG_KUBECONFIG:-$CACHE_ROOT/kubeconfig-$CLUSTER_NAME}"
# kwokctl keeps each cluster (pki, etcd data, pids, component logs) under $KWOK_WORKDIR/clusters/<name>.
KWOK_WORKDIR_DIR="$CACHE_ROOT/kwok"
# shellcheck disable=SC2034 # used by the scripts that source this file
KWOK_CLUSTER_DIR="$KWOK_WORKDIR_DIR/clusters/$CLUSTER_NAME"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# kwokctl with everything pinned: our workdir, our kubectl (kwokctl prefers a kubectl on PATH,
# then KWOK_KUBECTL_BINARY, and would otherwise download one), and our Kubernetes/etcd versions.
kwokctl_() {
  PATH="$BIN_DIR:$PATH" KWOK_WORKDIR="$KWOK_WORKDIR_DIR" KWOK_KUBECTL_BINARY="$BIN_DIR/kubectl" \
    KWOK_KUBE_VERSION="$K8S_VERSION" KWOK_ETCD_VERSION="${ETCD_VERSION#v}" \
    "$BIN_DIR/kwokctl" --name "$CLUSTER_NAME" "$@"
}
kubectl_() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_OUT" "$@"; }

# alive_pid <pid>: a running (not zombie) process executing a binary from BIN_DIR.
alive_pid() {
  local stat exe
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  case "$stat" in ''|Z*) return 1 ;; esac
  if [ -d "/proc/$1" ]; then
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    case "$exe" in "$(cd "$BIN_DIR" 2>/dev/null && pwd -P)"/*) ;; *) return 1 ;; esac
  fi
}

# The provider (kwok|kind) whose cluster is up under CLUSTER_NAME, recorded by up.sh; empty if none.
recorded_provider() { cat "$STATE_DIR/provider" 2>/dev/null || true; }
