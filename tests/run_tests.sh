#!/usr/bin/env bash
# The whole suite: installs what is missing, then two builds side by side and their tests.
#   1. g++, warnings as errors, portable flags: the example programs, the SIMD kernels' tests at
#      each level (tests/CMakeLists.txt, "levels") and the tests that run the programs and tools
#      ("scripts"); the API reference (Doxygen).
#   2. clang, AddressSanitizer + UndefinedBehaviorSanitizer, this processor's highest SIMD level:
#      every tests/test_*.cpp ("suite", tests/run_sanitized.sh), and the benchmarks compiled for
#      syntax, to check them.
# The two passes run at the same time, each building and then testing, so that neither leaves a
# core idle while its last unit compiles or its last test runs; the second pass's output is shown
# at the end.
# Usage: bash tests/run_tests.sh [BUILD_DIR]   (the second pass builds in BUILD_DIR-sanitize)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-tests}
jobs=$(nproc)

bash "$root/examples/setup.sh"

# The sanitizer pass in the background: its build, then its tests.
sanitize_log="$build-sanitize.log"
mkdir -p "$(dirname "$sanitize_log")"
WRNN_SANITIZE_BUILD_DIR="$build-sanitize" JOBS="$jobs" WRNN_SANITIZE_BENCHMARKS=1 \
  bash "$root/tests/run_sanitized.sh" -j "$jobs" >"$sanitize_log" 2>&1 &
sanitize_pass=$!

# Ninja for a new build directory (it starts a target's compiles before the targets it links
# against are built, where Make waits for them); an existing one keeps its generator.
generator=()
[ -f "$build/CMakeCache.txt" ] || generator=(-G Ninja)
# The SIMD levels' programs: the portable level and each level this processor runs but the one
# the sanitizer pass runs the whole suite at (run_sanitized.sh: the highest it has). A level it
# cannot run is left out: install_consumer_strict compiles every header for x86-64-v4 (g++) and
# x86-64-v3 (clang) with the main templates instantiated. The float gradients run at the portable
# level here and at the highest in the sanitizer pass.
if grep -qw avx512f /proc/cpuinfo; then
  levels="portable;avx2"
else
  levels="portable"
fi
# Release at -O2 rather than CMake's -O3: the programs' models compile in 70% of the time
# (examples/common/float_models.cpp, g++ 12: 39 CPU-s against 56), and -O2 has the same
# optimisation-dependent warnings on (-Warray-bounds, -Wmaybe-uninitialized, -Wstringop-overflow).
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" -DWRNN_BUILD_TESTS=ON \
  -DWRNN_BUILD_EXAMPLES=ON -DWRNN_BUILD_BENCHMARKS=OFF -DWRNN_WARNINGS_AS_ERRORS=ON \
  "-DWRNN_TEST_PARTS=levels;scripts" "-DWRNN_TEST_SIMD_LEVELS=$levels" \
  -DWRNN_TEST_FLOAT_GRADIENT_LEVELS=portable
cmake --build "$build" -j "$jobs"
# The API reference (Doxygen): any warning, such as an undocumented public function, fails it.
cmake --build "$build" --target docs
ctest --test-dir "$build" --output-on-failure -j "$jobs"

if ! wait "$sanitize_pass"; then
  tail -n 300 "$sanitize_log"
  echo "run_tests.sh: the sanitizer pass failed (log: $sanitize_log)" >&2
  exit 1
fi
echo "---- the sanitizer pass (log: $sanitize_log) ----"
sed -n '/^Test project/,$p' "$sanitize_log"
