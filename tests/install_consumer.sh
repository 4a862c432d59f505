#!/usr/bin/env bash
# Installs wrnn from the build tree into a scratch prefix, then builds and runs a consumer
# project against it twice: through find_package(wrnn) and through pkg-config.
# Usage: install_consumer.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR
set -euo pipefail
build=$1 source=$2 scratch=$3
rm -rf "$scratch"
mkdir -p "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null

cmake -S "$source/tests/consumer" -B "$scratch/cmake-build" -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$scratch/cmake-build" >/dev/null
"$scratch/cmake-build/consumer"

export PKG_CONFIG_PATH="$scratch/prefix/share/pkgconfig"
# shellcheck disable=SC2046
c++ -O2 "$source/tests/consumer/main.cpp" -o "$scratch/consumer-pkgconfig" $(pkg-config --cflags --libs wrnn)
"$scratch/consumer-pkgconfig"
