#!/bin/sh
# Fabric pre-flight of a TensorRT-LLM disaggregated worker pod (init container "fabric-preflight",
# rendered by disagg-operator; POSIX sh, runs in the worker's own image).
#
# Checks, in a few seconds, what the KV-cache transfer needs before the worker spends minutes
# loading a model:
#   EfaDevicesMissing       fewer /dev/infiniband/uverbs* than PREFLIGHT_EFA_DEVICES (the pod's
#                           vpc.amazonaws.com/efa devices)            [only when EFA is on]
#   EfaProviderUnavailable  `fi_info -p efa` fails (libfabric finds no EFA provider); skipped with
#                           a note when the image has no fi_info       [only when EFA is on]
#   HugepagesMissing        /proc/meminfo shows no 2 MiB hugepages (HugePages_Total 0): libfabric
#                           tests hugepages with ofi_get_hugepage_size() and a MAP_HUGETLB mmap
#                           (ofi_hugepage_enabled, include/linux/osd.h) [only when EFA is on]
#   NixlPluginMissing       no libplugin_LIBFABRIC.so in the directory NIXL reads
#                           [only when TRTLLM_NIXL_KVCACHE_BACKEND=LIBFABRIC]
# NIXL's plugin directory (ai-dynamo/nixl src/core/nixl_plugin_manager.cpp, getPluginDir() and
# composePluginPath()): $NIXL_PLUGIN_DIR when set, else "plugins" next to the parent directory of
# the directory holding libnixl.so (dladdr of libnixl, parent_path() twice, then "plugins").
# TensorRT-LLM asks NIXL for the plugin named by TRTLLM_NIXL_KVCACHE_BACKEND (default UCX;
# getEnvNixlBackend() in cpp/tensorrt_llm/common/envUtils.cpp).
#
# On the first failure: one line "<Reason>: <message>" in the termination log, exit 1. On success:
# exit 0. Notes go to stdout.
#
# Environment (the operator sets the first five; the rest exist for tests):
#   NODE_NAME                   node of the pod (downward API spec.nodeName)
#   PREFLIGHT_EFA_DEVICES       EFA devices the pod requests; 0 or unset: no EFA checks
#   PREFLIGHT_EFA_LIBRARY_PATH  EFA library directory (fabric.efa.libraryPath); fi_info is also
#                               looked for in its sibling bin/ (/opt/amazon/efa/bin)
#   TRTLLM_NIXL_KVCACHE_BACKEND, NIXL_PLUGIN_DIR   from the fabric ConfigMap, as the worker sees them
#   PREFLIGHT_ROOT              prefix of every image path below (default empty: the real ones)
#   PREFLIGHT_DEV_DIR           default $PREFLIGHT_ROOT/dev/infiniband
#   PREFLIGHT_PROC_MEMINFO      default $PREFLIGHT_ROOT/proc/meminfo
#   PREFLIGHT_TERMINATION_LOG   default $PREFLIGHT_ROOT/dev/termination-log
#   PREFLIGHT_EFA_BIN_DIR       default $PREFLIGHT_ROOT<dirname of PREFLIGHT_EFA_LIBRARY_PATH>/bin
#   PREFLIGHT_NIXL_SEARCH       directories searched for libnixl.so when NIXL_PLUGIN_DIR is unset
#                               (default: LD_LIBRARY_PATH's and the usual NIXL install places)
#   PREFLIGHT_TIMEOUT_SECONDS   bound of the fi_info run (default 20)

root="${PREFLIGHT_ROOT:-}"
node="${NODE_NAME:-unknown}"
dev_dir="${PREFLIGHT_DEV_DIR:-$root/dev/infiniband}"
meminfo="${PREFLIGHT_PROC_MEMINFO:-$root/proc/meminfo}"
term_log="${PREFLIGHT_TERMINATION_LOG:-$root/dev/termination-log}"
expected="${PREFLIGHT_EFA_DEVICES:-0}"
efa_lib="${PREFLIGHT_EFA_LIBRARY_PATH:-/opt/amazon/efa/lib64}"
efa_lib="${efa_lib%/}"
efa_bin="${PREFLIGHT_EFA_BIN_DIR:-$root${efa_lib%/*}/bin}"
timeout_s="${PREFLIGHT_TIMEOUT_SECONDS:-20}"

note() {
  echo "fabric-preflight: $*"
}

# fail REASON MESSAGE: one line to the termination log (read by the kubelet into the container's
# terminated state), the same to stderr, exit 1.
fail() {
  line="$1: $2"
  printf '%s\n' "$line" >"$term_log" 2>/dev/null || note "cannot write $term_log"
  echo "fabric-preflight: $line" >&2
  exit 1
}

case "$expected" in
  '' | *[!0-9]*) expected=0 ;;
esac

if [ "$expected" -gt 0 ]; then
  # 1. EFA devices: the device plugin mounts one uverbs device per vpc.amazonaws.com/efa.
  count=0
  for f in "$dev_dir"/uverbs*; do
    [ -e "$f" ] && count=$((count + 1))
  done
  if [ "$count" -lt "$expected" ]; then
    fail EfaDevicesMissing "node $node: $count of $expected EFA devices visible ($dev_dir/uverbs*); is the EFA device plugin running there and the node an EFA instance type?"
  fi
  note "$count EFA devices in $dev_dir (expected $expected)"

  # 2. libfabric's EFA provider, when the image has fi_info.
  fi_info=""
  if command -v fi_info >/dev/null 2>&1; then
    fi_info="$(command -v fi_info)"
  elif [ -x "$efa_bin/fi_info" ]; then
    fi_info="$efa_bin/fi_info"
  fi
  if [ -z "$fi_info" ]; then
    note "no fi_info in PATH or $efa_bin: libfabric's EFA provider not checked"
  else
    to=""
    if command -v timeout >/dev/null 2>&1; then
      to="timeout $timeout_s"
    fi
    # The worker prepends the EFA library directory to LD_LIBRARY_PATH; so does this run.
    # shellcheck disable=SC2086
    out="$(LD_LIBRARY_PATH="$efa_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" $to "$fi_info" -p efa 2>&1)"
    rc=$?
    if [ "$rc" -ne 0 ]; then
      last="$(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-200)"
      fail EfaProviderUnavailable "node $node: '$fi_info -p efa' exited $rc${last:+ ($last)}; libfabric finds no EFA provider, the KV cache would not move over EFA"
    fi
    note "$fi_info -p efa: EFA provider available"
  fi

  # 3. Hugepages: libfabric's EFA provider allocates its buffers from 2 MiB hugepages.
  total=""
  if [ -r "$meminfo" ]; then
    total="$(awk '/^HugePages_Total:/ {print $2; exit}' "$meminfo")"
  fi
  case "$total" in
    '' | *[!0-9]*)
      fail HugepagesMissing "node $node: no HugePages_Total in $meminfo; the node reserves no hugepages"
      ;;
  esac
  if [ "$total" -eq 0 ]; then
    fail HugepagesMissing "node $node: HugePages_Total is 0 in $meminfo; reserve 2 MiB hugepages on the node (e.g. vm.nr_hugepages)"
  fi
  note "HugePages_Total $total"
fi

# 4. NIXL's LIBFABRIC plugin, where NIXL will look for it.
if [ "${TRTLLM_NIXL_KVCACHE_BACKEND:-}" = "LIBFABRIC" ]; then
  plugin="libplugin_LIBFABRIC.so"
  if [ -n "${NIXL_PLUGIN_DIR:-}" ]; then
    dir="$root$NIXL_PLUGIN_DIR"
    if [ ! -e "${dir%/}/$plugin" ]; then
      fail NixlPluginMissing "node $node: no $plugin in NIXL_PLUGIN_DIR $NIXL_PLUGIN_DIR; the image lacks NIXL's LIBFABRIC plugin there (fabric.efa.nixlPluginsDir)"
    fi
    note "$plugin in $NIXL_PLUGIN_DIR"
  else
    search="${PREFLIGHT_NIXL_SEARCH:-}"
    if [ -z "$search" ]; then
      search="$(printf '%s' "${LD_LIBRARY_PATH:-}" | tr ':' ' ') /opt/nvidia/nvda_nixl /usr/local/nixl /opt/nixl"
      for d in "$root"/usr/local/lib/python3*/dist-packages/tensorrt_llm/libs "$root"/usr/local/lib/python3*/site-packages/tensorrt_llm/libs; do
        [ -d "$d" ] && search="$search ${d#"$root"}"
      done
    fi
    found=""
    checked=""
    for d in $search; do
      [ -d "$root$d" ] || continue
      for lib in $(find "$root$d" -maxdepth 3 -name 'libnixl.so' 2>/dev/null); do
        found=1
        # getPluginDir(): parent_path() of the library's directory, then "plugins"
        pdir="$(dirname "$(dirname "$lib")")/plugins"
        if [ -e "$pdir/$plugin" ]; then
          note "$plugin in NIXL's default directory $pdir"
          exit 0
        fi
        checked="$checked $pdir"
      done
    done
    if [ -z "$found" ]; then
      note "NIXL_PLUGIN_DIR unset and no libnixl.so found in:$search; NIXL's plugin directory not checked"
    else
      fail NixlPluginMissing "node $node: NIXL_PLUGIN_DIR unset and no $plugin in NIXL's default directory ($checked ); set fabric.efa.nixlPluginsDir"
    fi
  fi
fi

note "all checks passed on node $node"
exit 0
