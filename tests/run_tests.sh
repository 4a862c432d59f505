#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the tests with warnings as errors
# (portable flags) and runs them with ctest. Usage: bash tests/run_tests.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-tests}

bash "$root/examples/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWRNN_BUILD_TESTS=ON \
  -DWRNN_BUILD_EXAMPLES=ON -DWRNN_BUILD_BENCHMARKS=ON -DWRNN_WARNINGS_AS_ERRORS=ON
cmake --build "$build" -j "$(nproc)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
