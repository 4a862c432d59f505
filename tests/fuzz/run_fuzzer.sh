#!/bin/bash
# Builds the libFuzzer harness for the safetensors reader with clang (Debian's clang-14 and
# libclang-rt-14-dev) under AddressSanitizer + UBSan and runs it on tests/fuzz/corpus/.
#   tests/fuzz/run_fuzzer.sh [seconds=180] [extra libFuzzer flags...]
# New interesting inputs go to build-fuzz/corpus (the committed corpus is only read); crashes are
# written as build-fuzz/crash-*; replay one with: build-fuzz/fuzz_safetensors build-fuzz/crash-...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-180}"
shift || true
out="$root/build-fuzz"
mkdir -p "$out/corpus"
clang="$(command -v clang++-14 || command -v clang++)"
"$clang" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -fno-omit-frame-pointer -I"$root/include" "$root/tests/fuzz/fuzz_safetensors.cpp" \
  -o "$out/fuzz_safetensors"
cd "$out"
exec ./fuzz_safetensors -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -dict="$root/tests/fuzz/safetensors.dict" "$@" corpus "$root/tests/fuzz/corpus"
