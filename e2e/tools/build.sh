#!/usr/bin/env bash
# Builds one of the project's own Go test tools (e2e/tools/<name>/) and prints the binary's path.
#
#   e2e/tools/build.sh gitops-health
#
# The binary is cached in ~/.cache/disagg-operator/bin/tools/ under a name that carries a hash of
# the tool's go.mod, go.sum and sources, so an edit rebuilds it and an unchanged tool returns at
# once. A cold build downloads the tool's modules from the Go module proxy (about 2 minutes for
# gitops-health on 2 cores).
# Env: DISAGG_CACHE_DIR (default ~/.cache/disagg-operator).
set -euo pipefail
name=${1:?usage: e2e/tools/build.sh <tool>}
src="$(cd "$(dirname "$0")" && pwd)/$name"
[ -f "$src/go.mod" ] || { echo "build.sh: no tool '$name' (no $src/go.mod)" >&2; exit 2; }
command -v go >/dev/null 2>&1 || { echo "build.sh: Go is not installed" >&2; exit 2; }
hash=$(cd "$src" && cat go.mod go.sum $(ls *.go | sort) | sha256sum | cut -c1-12)
dir="${DISAGG_CACHE_DIR:-$HOME/.cache/disagg-operator}/bin/tools"
bin="$dir/$name-$hash"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  echo "[tools] building $name ..." >&2
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -trimpath" go build -ldflags "-s -w" -o "$bin.partial" .) >&2
  mv "$bin.partial" "$bin"
fi
echo "$bin"
