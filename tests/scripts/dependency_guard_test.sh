#!/usr/bin/env bash
# Usage: dependency_guard_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
export BUILD_DIR="$2"
out=$("$1/scripts/check-deps" --without libsimdjson-dev)
status=$?
echo "$out"
[ $status -eq 1 ] || { echo "FAIL: exit $status, expected 1"; exit 1; }
grep -q "not installed by scripts/install: libsimdjson-dev (for /usr/include/simdjson.h)" <<<"$out" ||
  { echo "FAIL: the simdjson header is not named"; exit 1; }
grep -q "not installed by scripts/install: libsimdjson14" <<<"$out" ||
  { echo "FAIL: the simdjson library is not named"; exit 1; }
"$1/scripts/check-deps" || { echo "FAIL: the full install list does not pass"; exit 1; }
