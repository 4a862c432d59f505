#!/bin/bash
# Builds the tests with AddressSanitizer + UndefinedBehaviorSanitizer (clang) in a separate build
# directory and runs them with ctest. Any sanitizer report fails the test that triggered it.
#
#   tests/run_sanitized.sh                      all tests
#   tests/run_sanitized.sh -R safetensors       only tests whose name matches (ctest arguments pass through;
#                                     only the matching test programs are built)
#
# Environment: WRNN_SANITIZE_BUILD_DIR (default build-sanitize), JOBS (default 2),
# WRNN_SANITIZE_CXX (default clang++-14), WRNN_SANITIZE_STEPS (default "build test"),
# WRNN_SANITIZE_DEBUG_INFO (1: line tables, for file:line in the reports' stacks),
# WRNN_SANITIZE_BENCHMARKS (1: also compile the benchmarks for syntax, warnings as errors, which
# run_tests.sh does here: clang checks them in 57% of g++'s time, bench_training 7.8 CPU-s
# against 13.7), WRNN_SANITIZE_PROGRAMS (1: also build copy_task, adding_task, seq_image and
# wave_gallery, their units at -O0, and run their bad-input tables, program_errors_*, under the
# sanitizers:
#   WRNN_SANITIZE_PROGRAMS=1 bash tests/run_sanitized.sh -R program_errors
# Not in run_tests.sh: 2 cores with AVX2 build them in 108 CPU-s (85 besides the models' unit,
# which the suite links too) and run the four tables in 135 s, over 3.5 minutes of CPU that the
# test command's 10 minutes on 2 cores have no room for; the g++ pass runs the same tables on its
# optimised programs).
#
# This is the only build of the suite in the test command (tests/run_tests.sh): the other pass
# builds, with g++ 12 and no sanitizers, the programs, the SIMD levels' tests and the scripts.
# The compiler is Debian's clang 14: the library is then built and tested by two compilers on
# every run, and clang compiles these tests with the
# sanitizers in half g++'s time (2 cores, same flags: a unity unit of the gated cells' tests 62 s
# against 100 s, training 53 against 109 s) and runs them faster (test_training 35 s against
# 69 s). clang's -fsanitize=undefined checks at least what g++'s does (it adds
# float-cast-overflow).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${WRNN_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
jobs="${JOBS:-2}"
cxx="${WRNN_SANITIZE_CXX:-clang++-14}"

flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# Two pieces of instrumentation that cost a quarter of the compile and check nothing here (the
# training tests' unit, clang 14, 2 cores: 168 CPU-s with both, 141 without the first, 122 without
# either):
# - the stack-use-after-return instrumentation: clang 14's runtime leaves the check off unless
#   ASAN_OPTIONS sets detect_stack_use_after_return=1, so the code it adds never runs;
# - UBSan's pointer-overflow (arithmetic that wraps a pointer around the address space or offsets
#   a null one): an access through such a pointer is out of bounds, which AddressSanitizer reports.
flags="$flags -fsanitize-address-use-after-return=never -fno-sanitize=pointer-overflow"
# -O1 rather than RelWithDebInfo's -O2: the builds are most of the suite's time, and this halves a
# test's compile. Measured (g++, 2 cores) on test_lstm.cpp, the heaviest test: it compiles in 66 s
# instead of 127 s and runs under the sanitizers in 269 s instead of 207 s. -O0 would build the
# unity units in 4.5 min instead of about 7, but runs far slower: test_training alone takes 600 s.
# No debug information by default: a report's stack still names each frame's function (from the
# symbol table), and the line tables (-g1) add 18% to a unit's compile (the file and analysis
# tests' unit, clang 14: 75 CPU-s against 64). WRNN_SANITIZE_DEBUG_INFO=1 adds them, for file:line
# stacks.
# The whole suite for the highest SIMD level this processor runs (x86-64-v4: AVX-512, v3: AVX2 +
# FMA), not the portable build: one program then checks the kernels this machine runs (the
# Winograd passes and the level's tiles) beside everything else (the other pass tests the
# kernels and the float gradients at the portable level and at each level, unsanitized).
march=""
if grep -qw avx512f /proc/cpuinfo; then
  march="-march=x86-64-v4"
elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  march="-march=x86-64-v3"
fi
flags="$flags $march"
debug_info=""
[ "${WRNN_SANITIZE_DEBUG_INFO:-0}" = 1 ] && debug_info=" -g1"
benchmarks=OFF
[ "${WRNN_SANITIZE_BENCHMARKS:-0}" = 1 ] && benchmarks=ON
# The programs only with WRNN_SANITIZE_PROGRAMS=1 (the test part `programs`: their tables).
parts=suite
examples=OFF
if [ "${WRNN_SANITIZE_PROGRAMS:-0}" = 1 ]; then
  parts="suite;programs"
  examples=ON
fi
generator=()
[ -f "$build/CMakeCache.txt" ] || generator=(-G Ninja)  # as in run_tests.sh
steps="${WRNN_SANITIZE_STEPS:-build test}"
# Without -DNDEBUG: Eigen's bounds checks (eigen_assert) and the library's asserts stay on.
# The suite (tests/CMakeLists.txt, WRNN_TEST_PARTS), and the programs' tables when asked: the SIMD
# levels' programs and the scripts' programs are the other pass's. The programs' units and the
# float models' at -O0: the tables run small models a few steps, and the unoptimised test group,
# which links the models' unit, runs them briefly (the optimised group compiles its own at -O1).
if [[ " $steps " == *" build "* ]]; then
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
  "-DWRNN_TEST_PARTS=$parts" -DWRNN_PROGRAM_COMPILE_OPTIONS=-O0 -DWRNN_FLOAT_MODELS_COMPILE_OPTIONS=-O0 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1${debug_info}" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DWRNN_BUILD_EXAMPLES="$examples" \
  -DWRNN_BUILD_BENCHMARKS="$benchmarks" -DWRNN_BENCHMARKS_COMPILE_CHECK=ON -DWRNN_BUILD_DOCS=OFF \
  -DWRNN_WARNINGS_AS_ERRORS=ON

# With "-R regex", build only the test programs that ctest will run: a unity group's program
# (wrnn_tests_<group>) or a program of its own (tests/CMakeLists.txt says which).
declare -A programs=()
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  if [[ "${args[$i]}" == "-R" && $((i + 1)) -lt ${#args[@]} ]]; then
    regex="${args[$((i + 1))]}"
    while read -r name; do
      # add_test(NAME "PROGRAM" ...) in the generated CTestTestfile.cmake names the program.
      program=$(sed -n "s|^add_test($name \"\([^\"]*\)\".*|\1|p" "$build/tests/CTestTestfile.cmake")
      # A bad-input table runs a script over a program: program_errors_<program>.
      [[ "$program" == *program_errors.sh ]] && program=${name#program_errors_}
      programs["$(basename "$program")"]=1
    done < <(ctest --test-dir "$build" -N -R "$regex" | sed -n 's/^ *Test *#[0-9]*: //p')
  fi
done
targets=()
for program in "${!programs[@]}"; do targets+=(--target "$program"); done
cmake --build "$build" -j "$jobs" "${targets[@]}"
fi
[[ " $steps " == *" test "* ]] || exit 0

# allocator_may_return_null: an allocation too large for the machine throws std::bad_alloc, as
# without the sanitizer, rather than ending the process (the programs' tables refuse such sizes).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$build" --output-on-failure "$@"
