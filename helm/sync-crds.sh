#!/usr/bin/env bash
# Copies the CRD generated from the API classes into both places it is committed:
#   crds/                        (kubectl apply --server-side -f crds/)
#   helm/disagg-operator/crds/   (installed by helm install; Helm never upgrades or deletes it)
# CommittedCrdIT fails when crds/ differs from the generated CRD, HelmCrdSyncTest when the two copies differ.
# Usage: helm/sync-crds.sh            (runs ./mvnw package -DskipTests first unless --no-build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "${1:-}" != "--no-build" ]; then
  ./mvnw -B -q package -DskipTests
fi
src=operator/target/kubernetes/disaggclusters.serving.disagg.io-v1.yml
[ -f "$src" ] || { echo "sync-crds: $src not found; run ./mvnw package -DskipTests first" >&2; exit 1; }
for dir in crds helm/disagg-operator/crds; do
  rm -f "$dir"/*.yml "$dir"/*.yaml
  cp "$src" "$dir/"
done
echo "synced $src into crds/ and helm/disagg-operator/crds/"
