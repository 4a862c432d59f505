// The memory a training run will need, estimated from its flags before anything large is
// allocated, and the memory the machine can give it. A run that cannot fit is refused with both
// figures and what to change, instead of ending in std::bad_alloc (or the kernel's OOM killer)
// after minutes of setup.
//
// The estimate counts the buffers that grow with the flags (SequenceModel's chunk workspaces and
// tape, model/sequence_model.hpp; the parameters with their gradients and Adam's two moments;
// the batches themselves) and leaves out fixed costs (code, small scratch): on the programs'
// configurations it lies within a few percent of the peak resident memory the run reaches
// (/usr/bin/time -f %M). All arithmetic saturates at 2^64 - 1 (ByteCount), so flags whose
// product overflows 64 bits (--n 2^62 --channels 4) are refused like any other run too large,
// never wrapped into a small number.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn::examples {

// A non-negative count (of values or bytes) whose sums and products saturate at 2^64 - 1.
class ByteCount {
 public:
  static constexpr std::uint64_t kSaturated = std::numeric_limits<std::uint64_t>::max();

  constexpr ByteCount(std::uint64_t value = 0) : value_(value) {}
  static ByteCount of(Index count) {  // a flag's value, already checked to be >= 0
    return ByteCount(count < 0 ? 0 : static_cast<std::uint64_t>(count));
  }

  std::uint64_t value() const { return value_; }
  bool saturated() const { return value_ == kSaturated; }

  friend ByteCount operator+(ByteCount a, ByteCount b) {
    std::uint64_t sum = 0;
    return __builtin_add_overflow(a.value_, b.value_, &sum) ? ByteCount(kSaturated) : sum;
  }
  friend ByteCount operator*(ByteCount a, ByteCount b) {
    std::uint64_t product = 0;
    return __builtin_mul_overflow(a.value_, b.value_, &product) ? ByteCount(kSaturated) : product;
  }
  friend bool operator<(ByteCount a, ByteCount b) { return a.value_ < b.value_; }

 private:
  std::uint64_t value_;
};

inline ByteCount larger(ByteCount a, ByteCount b) {
  return a < b ? b : a;
}

// "1.6 GB" (powers of 1000), or "more than 18 EB" for a count that saturated.
inline std::string format_bytes(ByteCount bytes) {
  if (bytes.saturated()) return "more than 18 EB (2^64 bytes)";
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes.value());
  int unit = 0;
  while (value >= 1000.0 && unit < 6) {
    value /= 1000.0;
    ++unit;
  }
  char text[48];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return text;
}

// The memory this process may use, and where the figure comes from: the smallest of the
// machine's RAM (/proc/meminfo MemTotal, else sysconf), a cgroup memory limit (v2 memory.max,
// v1 memory.limit_in_bytes) and the address-space and data-segment limits (ulimit -v, -d).
struct MemoryLimit {
  ByteCount bytes = ByteCount(ByteCount::kSaturated);
  std::string source = "no limit found";
};

namespace memory_internal {

// The first number in a file (a cgroup limit), or saturated when there is none ("max").
inline ByteCount number_in_file(const char* path) {
  std::ifstream in(path);
  std::uint64_t value = 0;
  if (!(in >> value)) return ByteCount(ByteCount::kSaturated);
  return value;
}

inline void lower_to(MemoryLimit& limit, ByteCount bytes, const char* source) {
  if (bytes < limit.bytes) {
    limit.bytes = bytes;
    limit.source = source;
  }
}

}  // namespace memory_internal

inline MemoryLimit memory_limit() {
  MemoryLimit limit;
  ByteCount ram(ByteCount::kSaturated);
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    if (key == "MemTotal:") {
      std::uint64_t kilobytes = 0;
      if (meminfo >> kilobytes) ram = ByteCount(kilobytes) * 1024;
      break;
    }
    std::getline(meminfo, key);
  }
  if (ram.saturated()) {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && page_size > 0)
      ram = ByteCount::of(static_cast<Index>(pages)) * ByteCount::of(static_cast<Index>(page_size));
  }
  memory_internal::lower_to(limit, ram, "the machine's memory");
  memory_internal::lower_to(limit, memory_internal::number_in_file("/sys/fs/cgroup/memory.max"),
                            "the cgroup's memory.max");
  memory_internal::lower_to(
      limit, memory_internal::number_in_file("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
      "the cgroup's memory.limit_in_bytes");
  for (const auto& [resource, source] :
       {std::pair{RLIMIT_AS, "the address-space limit (ulimit -v)"},
        std::pair{RLIMIT_DATA, "the data-segment limit (ulimit -d)"}}) {
    rlimit value{};
    if (::getrlimit(resource, &value) == 0 && value.rlim_cur != RLIM_INFINITY)
      memory_internal::lower_to(limit, ByteCount(static_cast<std::uint64_t>(value.rlim_cur)),
                                source);
  }
  return limit;
}

// What one model kind keeps per parameter and per sample, in values of the model's Scalar: the
// sizes SequenceModel sizes its buffers by (cells/*.hpp, model/readout.hpp).
struct ModelSizes {
  ByteCount parameters;    // every parameter value
  ByteCount state;         // S: the recurrent state of one sample
  ByteCount cell_tape;     // the cell's extra tape per sample and step
  ByteCount projection;    // P: rows of the input projection
  ByteCount readout_rows;  // the readout's hidden layer plus twice its outputs (values, gradients)
  ByteCount outputs;       // o
};

// model: wave, loco, irnn, lstm or gru; d inputs, n units per ring (wave, loco) or hidden units,
// C channels, kernel k; the readout's o outputs and MLP hidden layer h (0: linear).
inline ModelSizes model_sizes(const std::string& model, Index d, Index n, Index C, Index k, Index o,
                              Index h) {
  const ByteCount D = ByteCount::of(d), N = ByteCount::of(n), O = ByteCount::of(o),
                  H = ByteCount::of(h);
  ModelSizes sizes;
  ByteCount visible;  // the state rows the readout reads
  if (model == "wave") {
    const ByteCount units = ByteCount::of(C) * N;
    sizes.parameters = units * D + units + ByteCount::of(C) * ByteCount::of(C) * ByteCount::of(k) +
                       ByteCount::of(C);
    sizes.state = sizes.projection = visible = units;
  } else if (model == "loco") {  // a C x C x k kernel and a bias per unit
    const ByteCount units = ByteCount::of(C) * N;
    sizes.parameters = units * D + units + units * ByteCount::of(C) * ByteCount::of(k) + units;
    sizes.state = sizes.projection = visible = units;
  } else if (model == "lstm" || model == "gru") {
    const ByteCount gates = model == "lstm" ? 4 : 3;
    sizes.parameters = gates * N * D + gates * N * N + 2 * gates * N;
    sizes.state = (model == "lstm" ? 2 : 1) * N;
    sizes.cell_tape = (gates + 1) * N;
    sizes.projection = gates * N;
    visible = N;
  } else {  // irnn
    sizes.parameters = N * D + N + N * N + N;
    sizes.state = sizes.projection = visible = N;
  }
  sizes.parameters = sizes.parameters + (h > 0 ? H * visible + H + O * H + O : O * visible + O);
  sizes.readout_rows = H + 2 * O;
  sizes.outputs = O;
  return sizes;
}

// Bytes of float buffers a SequenceModel holds to run T steps of `batch` samples: with a tape
// (training, or forward() for recorded states; every state kept, or with tape_checkpoint_every
// K the kept and recomputed ones) or without (infer()). every_step: the readout reads every step.
inline ByteCount model_run_bytes(const ModelSizes& sizes, Index d, ByteCount T, Index batch,
                                 bool with_tape, Index tape_checkpoint_every, bool every_step) {
  const ByteCount outputs = every_step ? T : ByteCount(1);
  ByteCount states = 2, tapes = 1, inputs = 0;
  if (with_tape) {
    const ByteCount K = ByteCount::of(tape_checkpoint_every);
    if (tape_checkpoint_every > 0 && !(T < K)) {  // T/K + 1 kept states, a segment of K - 1
      states = ByteCount(T.value() / K.value()) + K;
      tapes = K;
    } else {
      states = T + 1;
      tapes = T;
    }
    inputs = ByteCount::of(d) * T;
  }
  // Per sample: the states, the cell's tapes, the inputs copied for the reverse sweep, the
  // readout's rows (hidden, outputs, output gradients), the step scratch (p_t and three state
  // gradients); then the model's outputs and the loss gradient, o per output step each.
  const ByteCount per_sample = states * sizes.state + tapes * sizes.cell_tape + inputs +
                               outputs * sizes.readout_rows +
                               (with_tape ? 2 * sizes.projection + 2 * sizes.state : ByteCount(0)) +
                               outputs * 2 * sizes.outputs;
  return ByteCount(sizeof(float)) * ByteCount::of(batch) * per_sample;
}

// The parameters with their gradients and Adam's two moments, plus one gradient copy per chunk of
// 32 samples when a training batch has several (each chunk sums its own, model/sequence_model.hpp).
inline ByteCount training_state_bytes(const ModelSizes& sizes, Index batch) {
  const Index chunks = batch > 32 ? (batch + 31) / 32 : 0;
  return ByteCount(sizeof(float)) * sizes.parameters * (ByteCount(4) + ByteCount::of(chunks));
}

// Throws ValueError when `needed` bytes exceed what this process may use: "<what> needs about X
// of memory, more than the Y available (<source>); <hint>".
inline void require_memory(ByteCount needed, const std::string& what, const std::string& hint) {
  const MemoryLimit limit = memory_limit();
  if (limit.bytes < needed)
    throw ValueError(detail::concat(what, " needs ", needed.saturated() ? "" : "about ",
                                    format_bytes(needed), " of memory, more than the ",
                                    format_bytes(limit.bytes), " available (", limit.source, "); ",
                                    hint));
}

}  // namespace wrnn::examples
