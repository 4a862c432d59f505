// Stepping M independent agents through one model, one input each per step, at the copy task's
// shape (d = 10 one-hot inputs, linear readout of 10 outputs; wave C = 6, n = 100; LSTM and GRU
// H = 100): BatchStepper against M calls of the single-sample SequenceModel::step.
//
//   cmake --build build --target bench_agents && build/benchmarks/bench_agents
//
// items_per_second is agent steps per second; steps_per_second is steps of all M agents.
#include <benchmark/benchmark.h>

#include <vector>

#include "wrnn/model/batch_stepper.hpp"
#include "wrnn/wrnn.hpp"

namespace {

using wrnn::Index;

constexpr Index kInputs = 10, kOutputs = 10;

template <class Cell>
typename Cell::Options copy_shape();
template <>
wrnn::WaveCellOptions copy_shape<wrnn::WaveCell<float>>() {
  wrnn::WaveCellOptions options;
  options.input_size = kInputs;
  options.channels = 6;
  options.ring_size = 100;
  return options;
}
template <>
wrnn::LSTMCellOptions copy_shape<wrnn::LSTMCell<float>>() {
  return {kInputs, 100};
}
template <>
wrnn::GRUCellOptions copy_shape<wrnn::GRUCell<float>>() {
  return {kInputs, 100};
}

template <class Cell>
wrnn::SequenceModel<Cell> copy_model() {
  wrnn::SequenceModel<Cell> model(copy_shape<Cell>(), {kOutputs});
  wrnn::Rng rng(1);
  model.init(rng);
  return model;
}

void report(benchmark::State& state, Index agents) {
  state.SetItemsProcessed(state.iterations() * agents);
  state.counters["steps_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// One step of M agents on the batch kernels; each agent's input one-hot, a different symbol.
template <class Cell>
void BM_BatchStep(benchmark::State& state) {
  const Index agents = state.range(0);
  auto model = copy_model<Cell>();
  wrnn::BatchStepper<Cell> stepper(model, agents);
  wrnn::Matrix<float> inputs = wrnn::Matrix<float>::Zero(kInputs, agents);
  wrnn::Matrix<float> outputs(kOutputs, agents);
  Index t = 0;
  for (auto _ : state) {
    for (Index m = 0; m < agents; ++m) inputs((m + t) % kInputs, m) = 1.0f;
    stepper.step(inputs, outputs);
    benchmark::DoNotOptimize(outputs.data());
    for (Index m = 0; m < agents; ++m) inputs((m + t) % kInputs, m) = 0.0f;
    ++t;
  }
  report(state, agents);
}

// The same M agents stepped one at a time by SequenceModel::step.
template <class Cell>
void BM_SingleSteps(benchmark::State& state) {
  const Index agents = state.range(0);
  auto model = copy_model<Cell>();
  const Index S = model.cell().state_size();
  std::vector<float> states(static_cast<std::size_t>(S * agents), 0.0f);
  std::vector<float> input(kInputs, 0.0f), outputs(static_cast<std::size_t>(kOutputs * agents));
  Index t = 0;
  for (auto _ : state) {
    for (Index m = 0; m < agents; ++m) {
      const std::size_t symbol = static_cast<std::size_t>((m + t) % kInputs);
      input[symbol] = 1.0f;
      model.step(input.data(), states.data() + m * S, outputs.data() + m * kOutputs);
      input[symbol] = 0.0f;
    }
    benchmark::DoNotOptimize(outputs.data());
    ++t;
  }
  report(state, agents);
}

}  // namespace

BENCHMARK_TEMPLATE(BM_BatchStep, wrnn::WaveCell<float>)->Arg(1)->Arg(8)->Arg(64)->Arg(1024);
BENCHMARK_TEMPLATE(BM_SingleSteps, wrnn::WaveCell<float>)->Arg(1)->Arg(8)->Arg(64)->Arg(1024);
BENCHMARK_TEMPLATE(BM_BatchStep, wrnn::LSTMCell<float>)->Arg(1)->Arg(8)->Arg(64)->Arg(1024);
BENCHMARK_TEMPLATE(BM_SingleSteps, wrnn::LSTMCell<float>)->Arg(1)->Arg(8)->Arg(64)->Arg(1024);
BENCHMARK_TEMPLATE(BM_BatchStep, wrnn::GRUCell<float>)->Arg(1)->Arg(8)->Arg(64)->Arg(1024);
BENCHMARK_TEMPLATE(BM_SingleSteps, wrnn::GRUCell<float>)->Arg(1)->Arg(8)->Arg(64)->Arg(1024);

BENCHMARK_MAIN();
