#!/usr/bin/env bash
# Prints the path of one of the Prometheus Operator's CRD manifests at the pinned version
# (PROMETHEUS_OPERATOR_VERSION in versions.env), fetched once from the Go module proxy and cached:
#
#   e2e/cluster/prometheus-operator-crds.sh podmonitors
#   -> ~/.cache/disagg-operator/prometheus-operator-<version>/monitoring.coreos.com_podmonitors.yaml
#
# The root module github.com/prometheus-operator/prometheus-operator carries the CRDs (Apache-2.0)
# under example/prometheus-operator-crd/ in its module zip; `go mod download` fetches and verifies it
# against the checksum database. A second run returns at once.
# Env: DISAGG_CACHE_DIR (default ~/.cache/disagg-operator), GOPROXY/GOFLAGS as usual.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kind=${1:?usage: prometheus-operator-crds.sh <plural, e.g. podmonitors>}
file="monitoring.coreos.com_$kind.yaml"
dir="$CACHE_ROOT/prometheus-operator-$PROMETHEUS_OPERATOR_VERSION"
if [ ! -f "$dir/$file" ]; then
  command -v go >/dev/null 2>&1 || die "Go is not installed (needed to fetch the Prometheus Operator CRDs)."
  log "fetching github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION from the Go module proxy ..."
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  # Outside any module, so no go.mod is read or written.
  mod=$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json \
    "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION") \
    || die "go mod download of the Prometheus Operator failed"
  src=$(printf '%s' "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -f "$src/example/prometheus-operator-crd/$file" ] || die "no $file in $src/example/prometheus-operator-crd"
  mkdir -p "$dir"
  cp "$src/example/prometheus-operator-crd/$file" "$dir/$file.partial"
  mv "$dir/$file.partial" "$dir/$file"
fi
echo "$dir/$file"
