#!/usr/bin/env bash
# Installs wrnn from the build tree into a scratch prefix and uses it as other projects would:
#   1. CMake, every component (wrnn::io, wrnn::data, wrnn::analysis), in a build that names no
#      build type: wrnnConfig.cmake must warn that the build is unoptimised; each component's
#      program (tests/consumer/<component>.cpp) is built and run.
#   2. CMake on a machine view without the components' packages (find_package of nlohmann_json,
#      ZLIB, GIF, PkgConfig and wrnn_fftw3 disabled): the core consumer (main.cpp) configures
#      without looking any of them up (CMake reports the disabling variables as unused), builds
#      and runs; optional components there report wrnn_<c>_FOUND=FALSE naming the missing
#      packages, and a required one fails find_package naming the component and the package.
#   3. pkg-config: no -std in the flags; the core consumer compiled as C++20; each component's
#      program built with its own wrnn-<component> flags and run; on a view holding only the
#      core's .pc files (eigen3, xsimd) wrnn resolves and each component fails naming its package.
#   4. Strict warnings: every public header, with the main templates instantiated for float
#      (tests/consumer/all_headers.cpp), compiled with -Wall -Wextra -Wpedantic -Wshadow
#      -Wconversion -Wsign-conversion -Werror by g++ (for x86-64-v4) and clang++ (x86-64-v3)
#      through plain -I (as pkg-config gives it), the dependencies' headers as -isystem.
# The consumers compile at -O0 or -O1: only their compilation and a short run matter here.
# Where wrnn was installed with wrnn::blas (a BLAS was found), parts 1 and 3 build its consumer
# too and check that its products called the BLAS.
# Where it was installed with wrnn::mpi (MPI was found), parts 1 and 3 build its consumer too and
# run it as a plain process (no MPI launcher).
# Usage: install_consumer.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR PART
#   PART: install (into SCRATCH_DIR/prefix; the others use it), cmake-all (1), cmake-view (2),
#   pkg-config (3), strict (4). ctest runs each part as a test of its own, install first (a
#   fixture), so that the parts share the machine's cores.
set -euo pipefail
build=$1 source=$2 scratch_root=$3 part=$4
consumer="$source/tests/consumer"
prefix="$scratch_root/prefix"
scratch="$scratch_root/$part"
rm -rf "$scratch"
mkdir -p "$scratch/out"

fail() {
  echo "install_consumer: $*" >&2
  exit 1
}
logged() {  # logged NAME COMMAND...: runs COMMAND into $scratch/NAME.log, shown when it fails
  local log="$scratch/$1.log"
  shift
  "$@" >"$log" 2>&1 || { cat "$log"; fail "failed: $*"; }
}
check_calls_blas() {  # check_calls_blas PROGRAM: with blas, PROGRAM's products called sgemm_
  [[ " ${components[*]} " == *" blas "* ]] || return 0
  # The dynamic linker binds a function at its first call, and LD_DEBUG=bindings reports it.
  LD_DEBUG=bindings "$1" "$scratch/out" 2>"$scratch/blas-bindings.log" >/dev/null
  grep -F "binding file $1 " "$scratch/blas-bindings.log" | grep -F "symbol \`sgemm_'" >/dev/null ||
    fail "$1 did not call the BLAS's sgemm_"
}
check_log() {  # check_log LOG PATTERN...: every pattern is in LOG
  local log=$1
  shift
  for pattern in "$@"; do
    grep -q -- "$pattern" "$log" || { cat "$log"; fail "expected '$pattern' in $log"; }
  done
}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
components=(io data analysis)
if [[ -f "$prefix/share/pkgconfig/wrnn-blas.pc" ]]; then components+=(blas); fi
if [[ -f "$prefix/share/pkgconfig/wrnn-mpi.pc" ]]; then components+=(mpi); fi  # MPI was found

install_package() {
  rm -rf "$prefix"
  logged install cmake --install "$build" --prefix "$prefix"
  echo "install_consumer: installed into $prefix"
}

# ---- 1. CMake, every component, no build type ----
cmake_all() {
  cmake -S "$consumer" -B "$scratch/cmake-all" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
    -DWRNN_CONSUMER_CORE=OFF "-DWRNN_CONSUMER_COMPONENTS=$(IFS=';'; echo "${components[*]}")" \
    >"$scratch/cmake-all.log" 2>&1 || { cat "$scratch/cmake-all.log"; fail "CMake consumer of every component did not configure"; }
  grep -q "names no CMAKE_BUILD_TYPE" "$scratch/cmake-all.log" ||
    { cat "$scratch/cmake-all.log"; fail "no warning about a build without optimisation"; }
  logged cmake-all-build cmake --build "$scratch/cmake-all"
  for component in "${components[@]}"; do
    "$scratch/cmake-all/consumer_$component" "$scratch/out"
  done
  check_calls_blas "$scratch/cmake-all/consumer_blas"
  echo "install_consumer: CMake, every component: passed"
}

# ---- 2. CMake on a view without the components' packages ----
cmake_view() {
  hidden=(nlohmann_json ZLIB GIF PkgConfig wrnn_fftw3)
  hide=()
  for package in "${hidden[@]}"; do hide+=("-DCMAKE_DISABLE_FIND_PACKAGE_$package=ON"); done
  view_configure() {  # view_configure NAME ARGS...: configures the consumer in the view
    local name=$1
    shift
    cmake -S "$consumer" -B "$scratch/$name" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 "${hide[@]}" "$@" \
      >"$scratch/$name.log" 2>&1
  }
  view_configure cmake-core || { cat "$scratch/cmake-core.log"; fail "core consumer did not configure without the components' packages"; }
  grep -q "names no CMAKE_BUILD_TYPE\|is a Debug build" "$scratch/cmake-core.log" &&
    { cat "$scratch/cmake-core.log"; fail "a Release consumer was warned about optimisation"; }
  for package in "${hidden[@]}"; do
    # CMake lists a -D variable it never read: find_package($package) was never called.
    grep -q "^ *CMAKE_DISABLE_FIND_PACKAGE_$package\$" "$scratch/cmake-core.log" ||
      { cat "$scratch/cmake-core.log"; fail "the core consumer's configuration looked for $package"; }
  done
  logged cmake-core-build cmake --build "$scratch/cmake-core"
  "$scratch/cmake-core/consumer"

  view_configure cmake-optional -DWRNN_CONSUMER_CORE=OFF "-DWRNN_CONSUMER_OPTIONAL=io;data;analysis" ||
    { cat "$scratch/cmake-optional.log"; fail "optional components that are missing stopped the configuration"; }
  check_log "$scratch/cmake-optional.log" "wrnn_io_FOUND=FALSE" "wrnn_data_FOUND=FALSE" \
    "wrnn_analysis_FOUND=FALSE" "wrnn::io not available: it needs nlohmann_json" \
    "wrnn::data not available: it needs ZLIB" "wrnn::analysis not available: it needs FFTW3"
  if view_configure cmake-required -DWRNN_CONSUMER_CORE=OFF -DWRNN_CONSUMER_COMPONENTS=io; then
    fail "find_package(wrnn REQUIRED COMPONENTS io) passed without nlohmann_json"
  fi
  check_log "$scratch/cmake-required.log" "required component not available: wrnn::io: it needs nlohmann_json"
  echo "install_consumer: CMake on a view without the components' packages: passed"
}

# ---- 3. pkg-config ----
pkg_config() {
  export PKG_CONFIG_PATH="$prefix/share/pkgconfig"
  if pkg-config --cflags wrnn wrnn-io wrnn-data wrnn-analysis | grep -q -- "-std="; then
    fail "a pkg-config file sets the language standard"
  fi
  # The core consumer as C++20 through wrnn.pc's flags: compiled for syntax (templates are
  # instantiated; cmake-view builds and runs the same program), and wrnn.pc's libraries linked.
  # shellcheck disable=SC2046
  c++ -std=c++20 -fsyntax-only "$consumer/main.cpp" $(pkg-config --cflags wrnn)
  # shellcheck disable=SC2046
  echo 'int main() { return 0; }' | c++ -x c++ - -o "$scratch/pkgconfig-core-link" $(pkg-config --cflags --libs wrnn)
  for component in "${components[@]}"; do
    # shellcheck disable=SC2046
    c++ -std=c++17 -O0 "$consumer/$component.cpp" -o "$scratch/pkgconfig-$component" \
      $(pkg-config --cflags --libs "wrnn-$component")
    "$scratch/pkgconfig-$component" "$scratch/out"
  done
  check_calls_blas "$scratch/pkgconfig-blas"
  # A view with only the core's packages: wrnn.pc resolves, each component names what it lacks.
  mkdir -p "$scratch/pc-view"
  for package in eigen3 xsimd; do
    cp "$(pkg-config --variable=pcfiledir "$package")/$package.pc" "$scratch/pc-view/"
  done
  pkg_view() { PKG_CONFIG_LIBDIR="$scratch/pc-view" pkg-config "$@"; }
  pkg_view --cflags --libs wrnn >/dev/null || fail "wrnn.pc needs more than eigen3 and xsimd"
  for pair in io:nlohmann_json data:zlib analysis:fftw3; do
    component=${pair%%:*} package=${pair#*:}
    if pkg_view --print-errors --exists "wrnn-$component" 2>"$scratch/pc-view-$component.log"; then
      fail "wrnn-$component resolved without $package"
    fi
    check_log "$scratch/pc-view-$component.log" "$package"
  done
  echo "install_consumer: pkg-config (every component, C++20; core-only view): passed"
}

# ---- 4. strict warnings, g++ and clang++ ----
strict_warnings() {
  export PKG_CONFIG_PATH="$prefix/share/pkgconfig"
  strict=(-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror)
  includes=()
  for flag in $(pkg-config --cflags-only-I wrnn-io wrnn-data wrnn-analysis); do
    directory=${flag#-I}
    if [[ "$directory" -ef "$prefix/include" ]]; then
      includes+=("-I$directory")
    else
      includes+=(-isystem "$directory")
    fi
  done
  # Syntax only (templates are still instantiated, and these warnings come from the front end);
  # each compiler for one of the instruction sets whose kernels differ (AVX-512, AVX2 + FMA with
  # the 16 registers of the portable build).
  for build in "g++ -march=x86-64-v4" "clang++ -march=x86-64-v3"; do
    read -r compiler march <<<"$build"
    command -v "$compiler" >/dev/null || fail "$compiler is not installed"
    "$compiler" -std=c++17 "$march" -fsyntax-only "${strict[@]}" "${includes[@]}" \
      "$consumer/all_headers.cpp" || fail "warnings from wrnn's headers with $build"
  done
  echo "install_consumer: strict warnings (g++, clang++): passed"
}

case "$part" in
  install) install_package ;;
  cmake-all) cmake_all ;;
  cmake-view) cmake_view ;;
  pkg-config) pkg_config ;;
  strict) strict_warnings ;;
  *) fail "unknown part '$part' (expected install, cmake-all, cmake-view, pkg-config or strict)" ;;
esac
