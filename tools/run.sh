#!/bin/sh
# Build LECO, load its eBPF hooks and show what the kernel sees, live.
#   tools/run.sh                 until Ctrl-C
#   LECO_RUN_SECONDS=30 tools/run.sh
# Loads into /sys/fs/bpf/leco (LECO_PIN to change); leaves the hooks loaded
# (they cost next to nothing); remove them with:
#   build/loader/leco-ebpf-load --unload
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${LECO_BUILD_DIR:-build}
pin=${LECO_PIN:-/sys/fs/bpf/leco}

"$top/tools/install-deps.sh" build
[ -d "$build/meson-private" ] || meson setup "$build"
ninja -C "$build"

"$build/loader/leco-ebpf-load" --check
"$build/loader/leco-ebpf-load" --pin "$pin"
echo "--- live events (connections, closes with byte counts, blocked and denied attempts); Ctrl-C to stop"
exec "$build/tests/leco-test-reader" events "$pin" --timeout-ms "$(( ${LECO_RUN_SECONDS:-0} * 1000 ))"
