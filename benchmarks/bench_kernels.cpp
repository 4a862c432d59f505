// Circular-convolution kernels at the paper's sizes, in FLOP/s, beside Eigen's own float GEMM
// measured in the same binary: the practical peak of one core.
//
//   FLOPs of each kernel per call = 2 * C * C * k * n * B  (one multiply-add per tap, channel
//   pair, unit and sample; the bias adds C*n*B more, not counted)
//
// The forward for states with each sample's values together (samples in columns), what the
// single-sample step runs, three ways: `dispatched` as wrnn::circular_conv_* runs it (the
// Winograd F(4, 3) kernel where it applies, counter winograd=1, else the direct one), `direct`
// the direct kernel always (wrnn::simd::), `reference` the scalar definition. And BM_Lanes*: the
// kernels for states with the samples in SIMD lanes (wrnn::lanes::, what a wave model trains
// on), called on chunks of the batch as SequenceModel calls them.
// The FLOP/s of every one are the direct convolution's count above over the time taken: for the
// Winograd kernels, which do about half those multiply-adds, an effective rate (how fast the
// convolution gets done), not the rate of the arithmetic they actually do.
//
// Run single-threaded (nothing here starts a thread; Eigen is built without OpenMP):
//   cmake -S . -B build-bench -DWRNN_BUILD_BENCHMARKS=ON [-DWRNN_NATIVE=ON]
//   cmake --build build-bench --target bench_kernels && build-bench/benchmarks/bench_kernels
#include <benchmark/benchmark.h>

#include <vector>

#include "wrnn/core/rng.hpp"
#include "wrnn/kernels/circular_conv.hpp"
#include "wrnn/kernels/circular_conv_lanes.hpp"
#include "wrnn/kernels/tile.hpp"

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

// The core's arithmetic peak for this build's SIMD width: independent chains of vector fused
// multiply-adds, nothing loaded or stored. What no kernel can beat.
//
// The chains must stay in registers: the accumulators plus the two constants may not exceed the
// register file (16 vector registers on SSE/AVX2, 32 on AVX-512), or the compiler spills them
// and the loop measures stack traffic instead of the FMA units. Eight independent chains cover
// the FMA latency of current x86 cores (4 cycles x 2 pipes); BM_FmaPeak uses the most chains the
// register file holds with room to spare (12 of 16, 24 of 32), BM_FmaPeakChains the other
// counts, for checking that the chosen one is the fastest.
template <int chains>
void fma_peak(benchmark::State& state) {
  using B = wrnn::tile::Batch<float>;
  constexpr int rounds = 1024;
  B acc[chains];
  for (int c = 0; c < chains; ++c) acc[c] = B(1.0f + 1e-7f * static_cast<float>(c));
  const B factor(0.999999f), term(1e-7f);
  for (auto _ : state) {
    for (int r = 0; r < rounds; ++r)
      for (int c = 0; c < chains; ++c) acc[c] = wrnn::tile::multiply_add(acc[c], factor, term);
    for (int c = 0; c < chains; ++c) benchmark::DoNotOptimize(acc[c]);
  }
  state.counters["chains"] = chains;
  set_flop_rate(state, 2.0 * chains * rounds * static_cast<double>(B::size));
}

constexpr int kPeakChains = wrnn::tile::vector_registers == 32 ? 24 : 12;
void BM_FmaPeak(benchmark::State& state) {
  fma_peak<kPeakChains>(state);
}
BENCHMARK(BM_FmaPeak)->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(fma_peak, 8)->Name("BM_FmaPeakChains/8")->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(fma_peak, 10)->Name("BM_FmaPeakChains/10")->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(fma_peak, 16)->Name("BM_FmaPeakChains/16")->Unit(benchmark::kMicrosecond);

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

enum class Implementation { dispatched, direct, reference };

// Runs one kernel call per iteration and reports its rate; winograd=1 where the dispatched
// kernel is the Winograd one.
template <Implementation implementation, class Dispatched, class Direct, class Reference>
void time_kernel(benchmark::State& bench, const KernelData& d, double flops,
                 Dispatched&& dispatched, Direct&& direct, Reference&& reference) {
  for (auto _ : bench) {
    if constexpr (implementation == Implementation::dispatched)
      dispatched();
    else if constexpr (implementation == Implementation::direct)
      direct();
    else
      reference();
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, flops);
  bench.counters["winograd"] =
      implementation == Implementation::dispatched && wrnn::uses_winograd<float>(d.shape);
}

template <Implementation implementation>
void BM_Forward(benchmark::State& bench) {
  KernelData d(bench);
  time_kernel<implementation>(
      bench, d, d.flops(),
      [&] {
        wrnn::circular_conv_forward_activation(d.shape, d.weights.data(), d.bias.data(),
                                               d.state.data(), d.out.data(), d.batch,
                                               wrnn::Activation::identity);
      },
      [&] {
        wrnn::simd::circular_conv_forward_activation(
            d.shape, d.weights.data(), d.bias.data(), d.state.data(), d.out.data(), d.batch,
            wrnn::Activation::identity, wrnn::thread_scratch<float>());
      },
      [&] {
        wrnn::reference::circular_conv_forward(d.shape, d.weights.data(), d.bias.data(),
                                               d.state.data(), d.out.data(), d.batch);
      });
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

// The paper's sizes: copy (n=100, C=6), adding (n=100, C=27), sMNIST (n=256, C=16); batch 128,
// and the streaming case, batch 1.
void paper_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "C", "B"});
  b->Args({100, 6, 128})->Args({100, 27, 128})->Args({256, 16, 128})->Args({100, 6, 1});
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK_TEMPLATE(BM_Forward, Implementation::dispatched)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_ForwardActivation, wrnn::Activation::relu)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_ForwardActivation, wrnn::Activation::tanh)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_Forward, Implementation::direct)->Apply(paper_sizes);
BENCHMARK_TEMPLATE(BM_Forward, Implementation::reference)->Apply(paper_sizes);

// The kernels for states with the samples in lanes, as SequenceModel runs them: the batch of
// range(2) samples in chunks of range(3) (the model's batch_chunk, 32 by default), one call per
// chunk, each on its own block of rows (the layout is per chunk).
struct LanesData : KernelData {
  Index chunk;
  explicit LanesData(const benchmark::State& bench) : KernelData(bench), chunk(bench.range(3)) {}
  template <class Call>
  void for_each_chunk(Call&& call) {
    const Index rows = shape.state_size();
    for (Index first = 0; first < batch; first += chunk)
      call(first * rows, std::min(chunk, batch - first));
  }
};

void BM_LanesForward(benchmark::State& bench) {
  LanesData d(bench);
  for (auto _ : bench) {
    d.for_each_chunk([&](Index offset, Index samples) {
      wrnn::lanes::forward_activation(d.shape, d.weights.data(), d.bias.data(),
                                      d.state.data() + offset, d.out.data() + offset, samples,
                                      wrnn::Activation::relu);
    });
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

void BM_LanesBackwardState(benchmark::State& bench) {
  LanesData d(bench);
  for (auto _ : bench) {
    d.for_each_chunk([&](Index offset, Index samples) {
      wrnn::lanes::backward_state(d.shape, d.weights.data(), d.state.data() + offset,
                                  d.out.data() + offset, samples);
    });
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

void BM_LanesBackwardWeights(benchmark::State& bench) {
  LanesData d(bench);
  for (auto _ : bench) {
    d.for_each_chunk([&](Index offset, Index samples) {
      wrnn::lanes::backward_weights(d.shape, d.state.data() + offset, d.out.data() + offset,
                                    d.grad_weights.data(), d.grad_bias.data(), samples);
    });
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

// What the wave cell's backward step runs: both, the state gradient overwritten.
void BM_LanesBackward(benchmark::State& bench) {
  LanesData d(bench);
  std::vector<float> grad_state(d.out.size());
  for (auto _ : bench) {
    d.for_each_chunk([&](Index offset, Index samples) {
      wrnn::lanes::backward(d.shape, d.weights.data(), d.state.data() + offset,
                            d.out.data() + offset, d.grad_weights.data(), d.grad_bias.data(),
                            grad_state.data() + offset, samples);
    });
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, 2 * d.flops());
}

// The paper's sizes, batch 128 in the model's chunks of 32, and the copy size in one chunk.
void lanes_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "C", "B", "chunk"});
  b->Args({100, 6, 128, 32})->Args({100, 27, 128, 32})->Args({256, 16, 128, 32});
  b->Args({100, 6, 128, 128});
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_LanesForward)->Apply(lanes_sizes);
BENCHMARK(BM_LanesBackwardState)->Apply(lanes_sizes);
BENCHMARK(BM_LanesBackwardWeights)->Apply(lanes_sizes);
BENCHMARK(BM_LanesBackward)->Apply(lanes_sizes);

// Where the column Winograd forward starts to pay (winograd::min_channels): the forward + relu,
// direct (false) against Winograd (true) whatever the dispatch would pick, for C around the
// threshold at the paper's ring sizes. Skipped where the Winograd kernels are not
// compiled (builds without AVX-512 or AVX2 + FMA).
template <bool winograd>
void BM_CrossoverForward(benchmark::State& bench) {
  if (!wrnn::winograd::compiled) return bench.SkipWithError("Winograd kernels not compiled");
  KernelData d(bench);
  wrnn::ScratchBuffer<float> scratch;
  for (auto _ : bench) {
    if constexpr (winograd && wrnn::winograd::compiled)
      wrnn::winograd::forward_activation(d.shape, d.weights.data(), d.bias.data(), d.state.data(),
                                         d.out.data(), d.batch, wrnn::Activation::relu, scratch);
    else
      wrnn::simd::circular_conv_forward_activation(d.shape, d.weights.data(), d.bias.data(),
                                                   d.state.data(), d.out.data(), d.batch,
                                                   wrnn::Activation::relu, scratch);
    benchmark::ClobberMemory();
  }
  set_flop_rate(bench, d.flops());
}

void crossover_sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "C", "B"});
  for (Index n : {100, 256})
    for (Index C : {2, 4, 6, 8, 10, 12, 16}) b->Args({n, C, 128});
  b->Args({100, 6, 1})->Args({256, 16, 1});  // batch 1: the streaming step
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK_TEMPLATE(BM_CrossoverForward, false)->Apply(crossover_sizes);
BENCHMARK_TEMPLATE(BM_CrossoverForward, true)->Apply(crossover_sizes);

}  // namespace

BENCHMARK_MAIN();
