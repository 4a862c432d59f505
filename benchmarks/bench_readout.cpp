// A readout's three products at one step of a chunk, in FLOP/s: Eigen's GEMM against the narrow
// kernels (wrnn/kernels/narrow_products.hpp) for the first two, Eigen's alone for the third:
//
//   forward          y = W h + b      2 * o * N * M FLOPs (the bias's o * M adds not counted)
//   weight gradient  dW += dy h^T     2 * o * N * M FLOPs
//   state gradient   dh += W^T dy     2 * o * N * M FLOPs
//
// W is o x N row-major, h is N x M column-major: the layout a SequenceModel's readout reads.
// Arguments: o, N, M. The copy task's readout is o = 10 on N = 600 units, M = 32 samples a chunk.
// Run single-threaded:
//   cmake --build build-bench --target bench_readout && build-bench/benchmarks/bench_readout
#include <benchmark/benchmark.h>

#include <vector>

#include "wrnn/core/rng.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/kernels/narrow_products.hpp"

namespace {

using wrnn::Index;

struct ReadoutData {
  Index rows, units, samples;
  wrnn::RowMatrix<float> weight, grad_weight;
  wrnn::Vector<float> bias;
  wrnn::Matrix<float> state, outputs, grad_outputs, grad_state;
  explicit ReadoutData(const benchmark::State& bench)
      : rows(bench.range(0)), units(bench.range(1)), samples(bench.range(2)) {
    weight = wrnn::RowMatrix<float>::Random(rows, units);
    grad_weight = wrnn::RowMatrix<float>::Zero(rows, units);
    bias = wrnn::Vector<float>::Random(rows);
    state = wrnn::Matrix<float>::Random(units, samples);
    outputs = wrnn::Matrix<float>::Zero(rows, samples);
    grad_outputs = wrnn::Matrix<float>::Random(rows, samples) * 1e-3f;
    grad_state = wrnn::Matrix<float>::Zero(units, samples);
  }
  void report(benchmark::State& bench) const {
    bench.counters["FLOP/s"] = benchmark::Counter(
        2.0 * static_cast<double>(rows * units * samples) * static_cast<double>(bench.iterations()),
        benchmark::Counter::kIsRate);
  }
};

template <bool narrow>
void BM_ReadoutForward(benchmark::State& bench) {
  ReadoutData d(bench);
  for (auto _ : bench) {
    if constexpr (narrow) {
      wrnn::simd::narrow_affine(d.weight.data(), d.units, d.bias.data(), d.rows, d.units,
                                d.state.data(), d.units, d.samples, d.outputs.data(), d.rows);
    } else {
      d.outputs.noalias() = d.weight * d.state;
      d.outputs.colwise() += d.bias;
    }
    benchmark::DoNotOptimize(d.outputs.data());
    benchmark::ClobberMemory();
  }
  d.report(bench);
}

template <bool narrow>
void BM_ReadoutWeightGradient(benchmark::State& bench) {
  ReadoutData d(bench);
  for (auto _ : bench) {
    if constexpr (narrow)
      wrnn::simd::narrow_weight_gradient(d.grad_outputs.data(), d.rows, d.rows, d.state.data(),
                                         d.units, d.units, d.samples, d.grad_weight.data(),
                                         d.units);
    else
      d.grad_weight.noalias() += d.grad_outputs * d.state.transpose();
    benchmark::DoNotOptimize(d.grad_weight.data());
    benchmark::ClobberMemory();
  }
  d.report(bench);
}

// The third product, which stays Eigen's (see narrow_products.hpp), for the whole readout's cost.
void BM_ReadoutStateGradient(benchmark::State& bench) {
  ReadoutData d(bench);
  for (auto _ : bench) {
    d.grad_state.noalias() += d.weight.transpose() * d.grad_outputs;
    benchmark::DoNotOptimize(d.grad_state.data());
    benchmark::ClobberMemory();
  }
  d.report(bench);
}

// o, N, M: the copy task's readout at 32 and 128 samples, sMNIST's (o = 10, N = 4096) and
// adding's (o = 1, N = 2700) shapes, and wider readouts (25, 50, 100 rows) for the crossover.
void readout_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"o", "N", "M"})->Unit(benchmark::kMicrosecond);
  for (const auto& size : std::vector<std::vector<int64_t>>{{10, 600, 32},
                                                            {10, 600, 128},
                                                            {10, 4096, 32},
                                                            {1, 2700, 32},
                                                            {25, 600, 32},
                                                            {50, 600, 32},
                                                            {100, 600, 32}})
    b->Args(size);
}

BENCHMARK_TEMPLATE(BM_ReadoutForward, false)->Apply(readout_sizes);
BENCHMARK_TEMPLATE(BM_ReadoutForward, true)->Apply(readout_sizes);
BENCHMARK_TEMPLATE(BM_ReadoutWeightGradient, false)->Apply(readout_sizes);
BENCHMARK_TEMPLATE(BM_ReadoutWeightGradient, true)->Apply(readout_sizes);
BENCHMARK(BM_ReadoutStateGradient)->Apply(readout_sizes);

}  // namespace

BENCHMARK_MAIN();
