#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the tests with warnings as errors
# (portable flags) and runs them with ctest. Usage: bash tests/run_tests.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-tests}

bash "$root/examples/setup.sh"
# Ninja for a new build directory (it starts a target's compiles before the targets it links
# against are built, where Make waits for them); an existing one keeps its generator.
generator=()
[ -f "$build/CMakeCache.txt" ] || generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DWRNN_BUILD_TESTS=ON \
  -DWRNN_BUILD_EXAMPLES=ON -DWRNN_BUILD_BENCHMARKS=ON -DWRNN_WARNINGS_AS_ERRORS=ON
cmake --build "$build" -j "$(nproc)"
# The API reference (Doxygen): any warning, such as an undocumented public function, fails it.
cmake --build "$build" --target docs
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

# Then the whole suite once more under AddressSanitizer + UndefinedBehaviorSanitizer (skip with
# WRNN_SKIP_SANITIZERS=1 for a quick local run). The consumer-package test is left out: it builds
# other programs, not wrnn's code.
if [ "${WRNN_SKIP_SANITIZERS:-0}" != 1 ]; then
  WRNN_SANITIZE_BUILD_DIR="$build-sanitize" JOBS="$(nproc)" bash "$root/tests/run_sanitized.sh" -E install_consumer -j "$(nproc)"
fi
