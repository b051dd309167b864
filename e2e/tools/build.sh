#!/usr/bin/env bash
# Builds one of the project's own Go test tools (e2e/tools/<name>/) and prints the binary's path.
#
#   e2e/tools/build.sh gitops-health
#   e2e/tools/build.sh promtool
#
# The binary is cached in ~/.cache/disagg-operator/bin/tools/ under a name that carries a hash of
# the tool's go.mod, go.sum and sources, so an edit rebuilds it and an unchanged tool returns at
# once. A cold build downloads the tool's modules from the Go module proxy (about 2 minutes for
# gitops-health on 2 cores; promtool: see e2e/tools/promtool/build.env).
# Env: DISAGG_CACHE_DIR (default ~/.cache/disagg-operator).
set -euo pipefail
name=${1:?usage: e2e/tools/build.sh <tool>}
src="$(cd "$(dirname "$0")" && pwd)/$name"
[ -f "$src/go.mod" ] || { echo "build.sh: no tool '$name' (no $src/go.mod)" >&2; exit 2; }
command -v go >/dev/null 2>&1 || { echo "build.sh: Go is not installed" >&2; exit 2; }
# A tool may build a package of one of its modules instead of its own main package: build.env
# sets PKG, and optionally TAGS (comma-separated build tags) and LDFLAGS (e.g. promtool).
PKG=. TAGS= LDFLAGS=
[ -f "$src/build.env" ] && . "$src/build.env"
hash=$(cd "$src" && cat go.mod go.sum $(ls *.go | sort) $(ls build.env 2>/dev/null) | sha256sum | cut -c1-12)
dir="${DISAGG_CACHE_DIR:-$HOME/.cache/disagg-operator}/bin/tools"
bin="$dir/$name-$hash"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  echo "[tools] building $name ..." >&2
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -buildvcs=false -trimpath" go build -tags "$TAGS" -ldflags "-s -w $LDFLAGS" -o "$bin.partial" "$PKG") >&2
  mv "$bin.partial" "$bin"
fi
echo "$bin"
