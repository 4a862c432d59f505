// Circular-convolution kernels at the paper's sizes, in FLOP/s, beside Eigen's own float GEMM
// measured in the same binary: the practical peak of one core.
//
//   FLOPs of each kernel per call = 2 * C * C * k * n * B  (one multiply-add per tap, channel
//   pair, unit and sample; the bias adds C*n*B more, not counted)
//
// Run single-threaded (nothing here starts a thread; Eigen is built without OpenMP):
//   cmake -S . -B build-bench -DWRNN_BUILD_BENCHMARKS=ON [-DWRNN_NATIVE=ON]
//   cmake --build build-bench --target bench_kernels && build-bench/benchmarks/bench_kernels
#include <benchmark/benchmark.h>

#include <vector>

#include "wrnn/core/rng.hpp"
#include "wrnn/kernels/circular_conv.hpp"
#include "wrnn/kernels/circular_conv_parallel.hpp"

namespace {

using wrnn::ConvShape;
using wrnn::Index;

std::vector<float> random_floats(Index count, std::uint64_t seed) {
  wrnn::Rng rng(seed);
  std::vector<float> values(static_cast<std::size_t>(count));
  for (float& value : values) value = static_cast<float>(rng.uniform(-1.0, 1.0));
  return values;
}

void set_flop_rate(benchmark::State& state, double flops_per_iteration) {
  state.counters["FLOP/s"] = benchmark::Counter(
      flops_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The practical peak: Eigen's float GEMM C = A * B, size x size x size, one thread.
void BM_EigenGemm(benchmark::State& state) {
  const Index size = state.range(0);
  const wrnn::Matrix<float> a = wrnn::Matrix<float>::Random(size, size);
  const wrnn::Matrix<float> b = wrnn::Matrix<float>::Random(size, size);
  wrnn::Matrix<float> c(size, size);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_flop_rate(state, 2.0 * static_cast<double>(size) * static_cast<double>(size) *
                           static_cast<double>(size));
}
BENCHMARK(BM_EigenGemm)->Arg(512)->Unit(benchmark::kMicrosecond);

// One kernel at one shape: range(0) = n, range(1) = C, range(2) = batch, k = 3.
struct KernelData {
  ConvShape shape;
  Index batch;
  std::vector<float> weights, bias, state, out, grad_weights, grad_bias;
  explicit KernelData(const benchmark::State& bench)
      : shape{bench.range(1), bench.range(0), 3}, batch(bench.range(2)) {
    const Index size = shape.state_size() * batch;
    weights = random_floats(shape.weight_count(), 1);
    for (float& w : weights) w *= 0.1f;  // keep repeated accumulation far from overflow
    bias = random_floats(shape.channels, 2);
    state = random_floats(size, 3);
    out = random_floats(size, 4);
    grad_weights = random_floats(shape.weight_count(), 5);
    grad_bias = random_floats(shape.channels, 6);
  }
  double flops() const {
    return 2.0 * static_cast<double>(shape.weight_count() * shape.ring_size * batch);
  }
};

enum class Implementation { simd, reference };

template <Implementation implementation>
void BM_Forward(benchmark::State& bench) {
  KernelData d(bench);
  for (auto _ : bench) {
    if (implementation == Implementation::simd)
      wrnn::circular_conv_forward(d.shape, d.weights.data(), d.bias.data(), d.state.data(),
                                  d.out.data(), d.batch);
    else
      wrnn::reference::circular_conv_forward(d.shape, d.weights.data(), d.bias.data(),
                                             d.state.data(), d.out.data(), d.batch);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

// The fused epilogue of the wave cell: h = act(x-projection + b + u (*) h_prev).
template <wrnn::Activation activation>
void BM_ForwardActivation(benchmark::State& bench) {
  KernelData d(bench);
  for (auto _ : bench) {
    wrnn::circular_conv_forward_activation(d.shape, d.weights.data(), d.bias.data(), d.state.data(),
                                           d.out.data(), d.batch, activation);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

template <Implementation implementation>
void BM_BackwardState(benchmark::State& bench) {
  KernelData d(bench);
  for (auto _ : bench) {
    if (implementation == Implementation::simd)
      wrnn::circular_conv_backward_state(d.shape, d.weights.data(), d.state.data(), d.out.data(),
                                         d.batch);
    else
      wrnn::reference::circular_conv_backward_state(d.shape, d.weights.data(), d.state.data(),
                                                    d.out.data(), d.batch);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

template <Implementation implementation>
void BM_BackwardWeights(benchmark::State& bench) {
  KernelData d(bench);
  for (auto _ : bench) {
    if (implementation == Implementation::simd)
      wrnn::circular_conv_backward_weights(d.shape, d.state.data(), d.out.data(),
                                           d.grad_weights.data(), d.grad_bias.data(), d.batch);
    else
      wrnn::reference::circular_conv_backward_weights(d.shape, d.state.data(), d.out.data(),
                                                      d.grad_weights.data(), d.grad_bias.data(),
                                                      d.batch);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

// Both backward passes in one sweep (what the wave cell's backward step runs): the state
// gradient is overwritten, so no zeroing pass. Counted as two kernels' multiply-adds.
void BM_BackwardFused(benchmark::State& bench) {
  KernelData d(bench);
  std::vector<float> grad_state(d.out.size());
  for (auto _ : bench) {
    wrnn::circular_conv_backward(d.shape, d.weights.data(), d.state.data(), d.out.data(),
                                 d.grad_weights.data(), d.grad_bias.data(), grad_state.data(),
                                 d.batch);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, 2 * d.flops());
}

// The paper's sizes: copy (n=100, C=6), adding (n=100, C=27), sMNIST (n=256, C=16); batch 128,
// and the streaming case, batch 1.
void paper_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "C", "B"});
  b->Args({100, 6, 128})->Args({100, 27, 128})->Args({256, 16, 128})->Args({100, 6, 1});
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK_TEMPLATE(BM_Forward, Implementation::simd)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_ForwardActivation, wrnn::Activation::relu)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_ForwardActivation, wrnn::Activation::tanh)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_BackwardState, Implementation::simd)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_BackwardWeights, Implementation::simd)->Apply(paper_sizes);
BENCHMARK(BM_BackwardFused)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_Forward, Implementation::reference)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_BackwardState, Implementation::reference)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_BackwardWeights, Implementation::reference)->Apply(paper_sizes);

// The batch split over a ThreadPool: range(3) = threads. Timed in wall-clock time (the CPU time
// of the calling thread alone would flatter it), so the rate is that of the whole pool.
void BM_ForwardThreads(benchmark::State& bench) {
  KernelData d(bench);
  wrnn::ThreadPool pool(bench.range(3));
  for (auto _ : bench) {
    wrnn::circular_conv_forward_activation(pool, d.shape, d.weights.data(), d.bias.data(),
                                           d.state.data(), d.out.data(), d.batch,
                                           wrnn::Activation::relu);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

void BM_BackwardThreads(benchmark::State& bench) {
  KernelData d(bench);
  wrnn::ThreadPool pool(bench.range(3));
  for (auto _ : bench) {
    wrnn::circular_conv_backward_state(pool, d.shape, d.weights.data(), d.state.data(),
                                       d.out.data(), d.batch);
    wrnn::circular_conv_backward_weights(pool, d.shape, d.state.data(), d.out.data(),
                                         d.grad_weights.data(), d.grad_bias.data(), d.batch);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, 2 * d.flops());
}

void thread_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "C", "B", "threads"});
  for (Index threads : {1, 2}) b->Args({100, 6, 128, threads})->Args({256, 16, 128, threads});
  b->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_ForwardThreads)->Apply(thread_sizes);
BENCHMARK(BM_BackwardThreads)->Apply(thread_sizes);

}  // namespace

BENCHMARK_MAIN();
