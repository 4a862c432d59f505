#!/usr/bin/env bash
# Installs, from Debian 12's archive, every package wrnn's programs, tests and benchmarks use,
# skipping those already installed. Run as root (or with sudo available).
set -euo pipefail

packages=(
  g++ cmake make ninja-build pkg-config  # toolchain
  clang-14 libclang-rt-14-dev            # the tests' sanitizer pass and the fuzzer
  libeigen3-dev libxsimd-dev xtl-dev     # the library's own dependencies
  catch2 libbenchmark-dev                # tests and benchmarks
  libcli11-dev nlohmann-json3-dev        # example programs: flags, results.json
  zlib1g-dev dataset-fashion-mnist       # sequential-image data (IDX, gzip)
  libstb-dev libgif-dev libfftw3-dev     # pictures, animations, spectra
  gnuplot-nox                            # learning-curve plots
  libopenmpi-dev openmpi-bin libyaml-cpp-dev  # mpirun: data-parallel training, sweep files
  doxygen                                # the API reference (the docs target)
  python3-torch python3-numpy            # PyTorch comparisons and round trips
  libopenblas0-pthread                   # an optimised BLAS for PyTorch (the fair baseline)
  libblas-dev                            # wrnn::blas: Eigen's products on the system BLAS
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
