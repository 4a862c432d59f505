// Training-step and streaming-step speed of the gated baselines (LSTM, GRU) on the copy task's
// configuration: H = 100 hidden units, batch 128, sequence length 120 (CopyTask gap 110),
// d = o = 10, cross-entropy at every step, Adam. One thread.
//
// The matching PyTorch numbers come from benchmarks/compare_pytorch_gated.py.
//   cmake -S . -B build-bench -DWRNN_BUILD_BENCHMARKS=ON -DWRNN_NATIVE=ON
//   cmake --build build-bench --target bench_gated && ./build-bench/benchmarks/bench_gated
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "wrnn/wrnn.hpp"

namespace {

constexpr wrnn::Index kHidden = 100, kBatch = 128, kSteps = 120;

// One full training step: forward, loss, backward, Adam. Argument: the model's batch_chunk.
template <class Cell>
void BM_TrainStep(benchmark::State& state) {
  const wrnn::CopyTask task(kSteps - wrnn::CopyTask::kDigits);
  wrnn::SequenceModel<Cell> model({task.input_size(), kHidden}, {task.output_size()},
                                  wrnn::ModelOptions{state.range(0)});
  wrnn::Rng rng(1);
  model.init(rng);
  wrnn::Adam<float> adam(model.parameters());
  const auto batch = task.generate<float>(kBatch, rng);
  long long step = 0;
  for (auto _ : state) {
    const auto result =
        wrnn::train_step(model, adam, batch.inputs, batch.targets, task.loss(), 0.0, ++step);
    benchmark::DoNotOptimize(result.loss);
  }
  state.counters["weights"] = static_cast<double>(model.weight_count());
}

// Forward only (the tape is written as in training).
template <class Cell>
void BM_Forward(benchmark::State& state) {
  const wrnn::CopyTask task(kSteps - wrnn::CopyTask::kDigits);
  wrnn::SequenceModel<Cell> model({task.input_size(), kHidden}, {task.output_size()},
                                  wrnn::ModelOptions{state.range(0)});
  wrnn::Rng rng(1);
  model.init(rng);
  const auto batch = task.generate<float>(kBatch, rng);
  for (auto _ : state) benchmark::DoNotOptimize(model.forward(batch.inputs).data());
}

// The streaming step: one sample, one input, in place.
template <class Cell>
void BM_StreamingStep(benchmark::State& state) {
  Cell cell({10, kHidden});
  wrnn::Rng rng(1);
  cell.init(rng);
  std::vector<float> input(10, 0.0f), cell_state(static_cast<std::size_t>(cell.state_size()));
  input[3] = 1.0f;
  for (auto _ : state) {
    cell.step(input.data(), cell_state.data());
    benchmark::DoNotOptimize(cell_state.data());
  }
}

// With --benchmark_repetitions, also report the fastest repetition: on a shared machine the
// minimum is the least disturbed estimate.
double fastest(const std::vector<double>& times) {
  return *std::min_element(times.begin(), times.end());
}

}  // namespace

BENCHMARK_TEMPLATE(BM_TrainStep, wrnn::LSTMCell<float>)
    ->Arg(32)
    ->Arg(128)
    ->ComputeStatistics("min", fastest)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_TrainStep, wrnn::GRUCell<float>)
    ->Arg(32)
    ->Arg(128)
    ->ComputeStatistics("min", fastest)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Forward, wrnn::LSTMCell<float>)
    ->Arg(32)
    ->ComputeStatistics("min", fastest)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Forward, wrnn::GRUCell<float>)
    ->Arg(32)
    ->ComputeStatistics("min", fastest)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_StreamingStep, wrnn::LSTMCell<float>)->ComputeStatistics("min", fastest);
BENCHMARK_TEMPLATE(BM_StreamingStep, wrnn::GRUCell<float>)->ComputeStatistics("min", fastest);

BENCHMARK_MAIN();
