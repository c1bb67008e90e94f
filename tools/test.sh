#!/bin/sh
# Build LECO and run every test suite, as root, on the real kernel.
#   tools/test.sh [SUITE...]      (default: all suites)
# With CI=true (or LECO_REQUIRE_ALL=1) a suite that cannot run fails instead of skipping.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${LECO_BUILD_DIR:-build}

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

# one plain closing line, counted from meson's own log
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0, "TIMEOUT": 0, "ERROR": 0, "EXPECTEDFAIL": 0, "UNEXPECTEDPASS": 0}
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    counts[r] = counts.get(r, 0) + 1
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"]
print(f"tests: {counts['OK'] + counts['EXPECTEDFAIL']} passed, {failed} failed, {counts['SKIP']} skipped")
PY
if [ "${CI:-}" = true ] || [ "${LECO_REQUIRE_ALL:-}" = 1 ]; then
  if grep -q '"result": "SKIP"' "$build/meson-logs/testlog.json"; then
    echo "test.sh: a suite was skipped under CI=true: failing" >&2
    rc=1
  fi
fi
exit $rc
