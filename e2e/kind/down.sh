#!/usr/bin/env bash
# Deletes the kind cluster made by e2e/kind/up.sh and its kubeconfig. Usually run as `e2e/cluster/down.sh`
# (which picks the kind provider when up.sh recorded it) or `e2e/cluster/down.sh --provider kind`.
# Exit 0 when there is nothing to delete.
set -euo pipefail
# shellcheck source=../cluster/lib.sh
. "$(dirname "$0")/../cluster/lib.sh"

if ! command -v kind >/dev/null 2>&1; then
  log "kind is not installed: no kind cluster to delete"
elif kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  log "deleting kind cluster '$CLUSTER_NAME'"
  kind delete cluster --name "$CLUSTER_NAME" || die "kind delete cluster --name $CLUSTER_NAME failed"
else
  log "no kind cluster '$CLUSTER_NAME' to delete"
fi
rm -f "$KUBECONFIG_OUT" "$STATE_DIR/provider"
