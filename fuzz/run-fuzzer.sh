#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs one libFuzzer harness for the meson suites 'fuzz' and 'fuzz-regress'.
#
#   run-fuzzer.sh fuzz    FUZZER CORPUS REGRESS ARTIFACTS [libFuzzer options...]
#       Fuzz for LECO_FUZZ_SECONDS (default 60) on a copy of CORPUS and
#       REGRESS in a temporary directory (the repository is never written).
#       Any crash, leak, UBSan report, timeout or out-of-memory fails the
#       test; the reproducer is kept in ARTIFACTS.
#   run-fuzzer.sh regress FUZZER CORPUS REGRESS ARTIFACTS [libFuzzer options...]
#       Run every file of CORPUS and REGRESS once (no fuzzing).
#
# libFuzzer's own failure exit code is 77, which meson would take for a
# skip: every failure is turned into exit status 1 here.
set -u

mode=$1 fuzzer=$(readlink -f "$2") corpus=$3 regress=$4 artifacts=$5
shift 5

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export G_SLICE=always-malloc G_DEBUG=gc-friendly

work=$(mktemp -d "${TMPDIR:-/tmp}/leco-fuzz-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
# harnesses make their scratch files (fuzz-event's fake cgroup tree) here
export TMPDIR="$work"
mkdir -p "$artifacts" || exit 1
# what is listed on failure is from this run
find "$artifacts" -maxdepth 1 -type f -delete

inputs() {
    for d in "$corpus" "$regress"; do
        [ -d "$d" ] || continue
        find "$d" -type f ! -name 'README*' ! -name '.*' | sort
    done
}

case $mode in
fuzz)
    seconds=${LECO_FUZZ_SECONDS:-60}
    mkdir "$work/corpus"
    [ -d "$corpus" ] && find "$corpus" -type f ! -name 'README*' ! -name '.*' -exec cp {} "$work/corpus/" \;
    [ -d "$regress" ] && find "$regress" -type f ! -name 'README*' ! -name '.*' |
        while read -r f; do cp "$f" "$work/corpus/regress-$(basename "$f")"; done
    echo "fuzzing $(basename "$fuzzer") for ${seconds}s on $(ls "$work/corpus" | wc -l) seeds"
    # the outer timeout is a backstop only: libFuzzer stops itself
    timeout -k 30 $((seconds + 600)) "$fuzzer" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$@" "$work/corpus"
    rc=$?
    ;;
regress)
    # shellcheck disable=SC2046
    set -- "$@" $(inputs)
    echo "replaying $(inputs | wc -l) inputs through $(basename "$fuzzer")"
    timeout -k 30 600 "$fuzzer" -rss_limit_mb=2048 -timeout=10 -error_exitcode=1 -timeout_exitcode=1 \
        -artifact_prefix="$artifacts/" "$@"
    rc=$?
    ;;
*)
    echo "usage: $0 fuzz|regress FUZZER CORPUS REGRESS ARTIFACTS [options]" >&2
    exit 2
    ;;
esac

if [ "$rc" -ne 0 ]; then
    echo "FAIL: $(basename "$fuzzer") exited with $rc" >&2
    for f in "$artifacts"/*; do
        [ -f "$f" ] || continue
        echo "reproducer: $f (replay: $fuzzer $f; keep it: copy it to $regress/)" >&2
    done
    exit 1
fi
exit 0
