#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to every test: install packages,
# build, run ctest (unit, plugin and integration tests). With
# AP_SANITIZE=1 it builds into build-asan with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs the same tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
if [ "${AP_SANITIZE:-0}" = "1" ]; then
  export BUILD_DIR=build-asan BUILD_TYPE=Debug
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  scripts/build.sh -DAP_SANITIZE=ON
else
  export BUILD_DIR=build
  scripts/build.sh
fi
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 -j2
