#!/bin/sh
# Build LECO and run every test suite, as root, on the real kernel.
#   tools/test.sh [SUITE...]      (default: all suites)
# With CI=true (or LECO_REQUIRE_ALL=1) a suite that cannot run fails instead of skipping.
# Sanitizers: with LECO_SANITIZE=1 (the default under CI=true; LECO_SANITIZE=0
# turns it off) the unit, bpf, dbus and gui suites (those of them asked for) run
# again from a second build dir (LECO_ASAN_BUILD_DIR, default build-asan)
# under AddressSanitizer + UBSan: meson test --setup asan (tests/sanitizers.md).
# The closing line and the exit code count both runs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${LECO_BUILD_DIR:-build}
asan_build=${LECO_ASAN_BUILD_DIR:-build-asan}
requested="$*"   # the suites asked for, before the ASan step defaults them
if [ "${CI:-}" = true ]; then sanitize=${LECO_SANITIZE:-1}; else sanitize=${LECO_SANITIZE:-0}; fi

"$top/tools/install-deps.sh" test
if [ ! -d "$build/meson-private" ]; then
  meson setup "$build" -Dwerror=true
else
  meson configure "$build" -Dwerror=true >/dev/null
fi
ninja -C "$build"

suites=""
for s in "$@"; do suites="$suites --suite $s"; done
rc=0
# shellcheck disable=SC2086
meson test -C "$build" --print-errorlogs $suites || rc=$?
logs="$build/meson-logs/testlog.json"

# the same tests under ASan+UBSan: a build of its own (not -Dwerror: the
# normal build holds the warnings), leaks, memory and UB errors fail a test
broken=0
if [ "$sanitize" = 1 ]; then
  [ $# -gt 0 ] || set -- unit bpf dbus gui
  asan_suites=""
  for s in "$@"; do
    case $s in unit|bpf|dbus|gui) asan_suites="$asan_suites --suite $s" ;; esac
  done
  if [ -n "$asan_suites" ]; then
    echo "test.sh: ASan+UBSan:$asan_suites"
    sanitize_opts="-Db_sanitize=address,undefined -Db_lundef=false"
    built=1
    # shellcheck disable=SC2086
    if [ ! -d "$asan_build/meson-private" ]; then
      meson setup "$asan_build" $sanitize_opts || built=0
    else
      meson configure "$asan_build" $sanitize_opts >/dev/null || built=0
    fi
    [ "$built" = 0 ] || ninja -C "$asan_build" || built=0
    rm -f "$asan_build/meson-logs/testlog-asan.json"
    if [ "$built" = 1 ]; then
      # shellcheck disable=SC2086
      meson test -C "$asan_build" --setup asan --print-errorlogs $asan_suites || rc=$?
      if [ -f "$asan_build/meson-logs/testlog-asan.json" ]; then
        logs="$logs $asan_build/meson-logs/testlog-asan.json"
      else
        echo "test.sh: meson test --setup asan wrote no log" >&2
        broken=1
        rc=1
      fi
    else
      echo "test.sh: the ASan+UBSan build ($asan_build) failed" >&2
      broken=1
      rc=1
    fi
  fi
fi

# Fuzzing smoke run (CI, or LECO_FUZZ=1): the libFuzzer harnesses in a clang
# build of their own (LECO_FUZZ_BUILD_DIR, default build-fuzz): every seed and
# reproducer once, then LECO_FUZZ_SECONDS (default 60) of fuzzing each.
if [ "${CI:-}" = true ]; then fuzz=${LECO_FUZZ:-1}; else fuzz=${LECO_FUZZ:-0}; fi
fuzz_build=${LECO_FUZZ_BUILD_DIR:-build-fuzz}
want_fuzz=1
if [ -n "$requested" ]; then
  want_fuzz=0
  for s in $requested; do case $s in fuzz|fuzz-regress) want_fuzz=1 ;; esac; done
fi
if [ "$fuzz" = 1 ] && [ "$want_fuzz" = 1 ]; then
  echo "test.sh: fuzzing (clang, libFuzzer), ${LECO_FUZZ_SECONDS:-60} s per harness"
  if { [ -d "$fuzz_build/meson-private" ] || CC=clang meson setup "$fuzz_build"; } && ninja -C "$fuzz_build"; then
    rm -f "$fuzz_build/meson-logs/testlog.json"
    meson test -C "$fuzz_build" --print-errorlogs --suite fuzz-regress --suite fuzz || rc=$?
    if [ -f "$fuzz_build/meson-logs/testlog.json" ] && grep -q '"name"' "$fuzz_build/meson-logs/testlog.json"; then
      logs="$logs $fuzz_build/meson-logs/testlog.json"
    else
      echo "test.sh: the fuzz suites ran no test (is clang's libFuzzer runtime installed?)" >&2
      broken=1
      rc=1
    fi
  else
    echo "test.sh: the fuzz build ($fuzz_build) failed" >&2
    broken=1
    rc=1
  fi
fi

# one plain closing line, counted from meson's own logs
# shellcheck disable=SC2086
python3 - "$broken" $logs <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "ERROR": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0}
for path in sys.argv[2:]:
    for line in open(path):
        r = json.loads(line)["result"]
        counts[r] = counts.get(r, 0) + 1
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"] + int(sys.argv[1])
print(f"tests: {counts['OK'] + counts['EXPECTEDFAIL']} passed, {failed} failed, {counts['SKIP']} skipped")
PY
if [ "${CI:-}" = true ] || [ "${LECO_REQUIRE_ALL:-}" = 1 ]; then
  # shellcheck disable=SC2086
  if grep -q '"result": "SKIP"' $logs; then
    echo "test.sh: a suite was skipped under CI=true: failing" >&2
    rc=1
  fi
fi
exit $rc
