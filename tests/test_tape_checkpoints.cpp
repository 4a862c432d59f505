// ModelOptions::tape_checkpoint_every: a forward that keeps only every K-th state, and a reverse
// sweep that recomputes the rest segment by segment, gives the outputs and every gradient of the
// model that keeps every state, bit for bit, and keeps a tape of T/K + K states instead of T + 1.
#include <catch2/catch.hpp>

#include "support/allocation_counter.hpp"
#include "wrnn/wrnn.hpp"

namespace test_tape_checkpoints {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

namespace {

struct Result {
  wrnn::Matrix<float> outputs;
  std::vector<wrnn::Vector<float>> grads;
};

// forward, then backward of a fixed output gradient, for one tape_checkpoint_every and thread
// count.
template <class Cell>
Result run(const typename Cell::Options& options, const wrnn::ReadoutOptions& readout,
           Index tape_checkpoint_every, Index threads, const wrnn::Sequence<float>& x) {
  wrnn::ModelOptions model_options;
  model_options.batch_chunk = 8;  // 3 chunks for B = 21, the last one partial
  model_options.threads = threads;
  model_options.tape_checkpoint_every = tape_checkpoint_every;
  wrnn::SequenceModel<Cell> model(options, readout, model_options);
  wrnn::Rng rng(4);
  model.init(rng);
  Result result;
  result.outputs = model.forward(x);
  wrnn::Matrix<float> grad_outputs(result.outputs.rows(), result.outputs.cols());
  for (Index i = 0; i < grad_outputs.size(); ++i)
    grad_outputs.data()[i] = static_cast<float>(rng.uniform(-1, 1));
  wrnn::zero_gradients(model.parameters());
  model.backward(grad_outputs);
  for (const auto& named : model.parameters()) result.grads.push_back(named.parameter->grad);
  // A second backward of the same forward starts from whatever segment the first one left in
  // place, and must give the same gradients again.
  wrnn::zero_gradients(model.parameters());
  model.backward(grad_outputs);
  for (std::size_t p = 0; p < model.parameters().size(); ++p)
    CHECK(model.parameters()[p].parameter->grad == result.grads[p]);
  // Evaluation after it is unaffected.
  CHECK(model.infer(x) == result.outputs);
  return result;
}

template <class Cell>
void check_same_as_full_tape(const typename Cell::Options& options, const std::string& label) {
  const Index T = 9, B = 21;
  wrnn::Sequence<float> x(T, B, options.input_size);
  wrnn::Rng rng(7);
  for (Index i = 0; i < T * B * options.input_size; ++i)
    x.data()[i] = i % 4 == 1 ? 0.0f : static_cast<float>(rng.uniform(-1, 1));
  for (auto mode : {wrnn::ReadoutMode::every_step, wrnn::ReadoutMode::last_step})
    for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
      const wrnn::ReadoutOptions readout{3, kind, mode, 5};
      const Result full = run<Cell>(options, readout, 0, 1, x);
      // K = 1 recomputes nothing but keeps every state as a checkpoint; 2, 4 cut T = 9 into
      // segments with a partial last one; 3 into whole ones; T - 1 into one long segment and one
      // step; K >= T keeps everything.
      for (Index K : {1, 2, 3, 4, 8, 9, 13})
        for (Index threads : {1, 3}) {
          INFO(label << ", readout " << wrnn::to_string(kind) << " " << wrnn::to_string(mode)
                     << ", tape_checkpoint_every " << K << ", threads " << threads);
          const Result checkpointed = run<Cell>(options, readout, K, threads, x);
          CHECK(checkpointed.outputs == full.outputs);
          REQUIRE(checkpointed.grads.size() == full.grads.size());
          for (std::size_t p = 0; p < full.grads.size(); ++p)
            CHECK(checkpointed.grads[p] == full.grads[p]);
        }
    }
}

}  // namespace

TEST_CASE("checkpointed tapes give the full tape's outputs and gradients bit for bit",
          "[model][checkpoints]") {
  wrnn::WaveCellOptions wave;
  wave.input_size = 3;
  wave.channels = 2;
  wave.ring_size = 11;
  wave.recurrent_init = wrnn::RecurrentInit::random;
  check_same_as_full_tape<wrnn::WaveCell<float>>(wave, "wave");
  check_same_as_full_tape<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{3, 13}, "dense");
  // The gated cells keep an extra tape per step (their gates), recomputed with the states.
  check_same_as_full_tape<wrnn::LSTMCell<float>>(wrnn::LSTMCellOptions{3, 7}, "LSTM");
  check_same_as_full_tape<wrnn::GRUCell<float>>(wrnn::GRUCellOptions{3, 7}, "GRU");
}

TEST_CASE("a checkpointed tape holds T/K + K states, not T + 1", "[model][checkpoints]") {
  const Index T = 400, B = 32;
  wrnn::WaveCellOptions wave;
  wave.input_size = 1;
  wave.channels = 6;
  wave.ring_size = 100;
  const wrnn::ReadoutOptions readout{2, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step};
  wrnn::ModelOptions every_state, checkpoints;
  checkpoints.tape_checkpoint_every = 20;  // sqrt(T): 21 checkpoints and 19 buffered states
  wrnn::SequenceModel<wrnn::WaveCell<float>> full(wave, readout, every_state);
  wrnn::SequenceModel<wrnn::WaveCell<float>> kept(wave, readout, checkpoints);
  const Index state_bytes = 600 * B * static_cast<Index>(sizeof(float));
  const Index input_bytes = T * B * static_cast<Index>(sizeof(float));
  CHECK(full.tape_bytes(T, B) == (T + 1) * state_bytes + input_bytes);
  CHECK(kept.tape_bytes(T, B) == (21 + 19) * state_bytes + input_bytes);
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  wrnn::Rng rng(3);
  full.init(rng);
  kept.init(rng);
  wrnn::Sequence<float> x(T, B, 1);
  x.data()[0] = 1.0f;
  const long long full_bytes = wrnn_test::count_allocated_bytes([&] { full.forward(x); });
  const long long kept_bytes = wrnn_test::count_allocated_bytes([&] { kept.forward(x); });
  INFO("forward allocated " << kept_bytes << " bytes with checkpoints, " << full_bytes
                            << " with every state");
  CHECK(full_bytes >= full.tape_bytes(T, B));
  CHECK(kept_bytes < full_bytes / 8);
}

TEST_CASE("tape_checkpoint_every is validated, and sample_states needs every state",
          "[model][checkpoints]") {
  wrnn::ModelOptions bad;
  bad.tape_checkpoint_every = -1;
  CHECK_THROWS_AS(
      (wrnn::SequenceModel<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{1, 4}, {1}, bad)),
      wrnn::ValueError);

  wrnn::ModelOptions options;
  options.tape_checkpoint_every = 3;
  wrnn::SequenceModel<wrnn::DenseCell<float>> model(wrnn::DenseCellOptions{1, 4}, {1}, options);
  wrnn::Rng rng(1);
  model.init(rng);
  wrnn::Sequence<float> x(5, 2, 1);
  model.forward(x);
  CHECK_THROWS_WITH(model.sample_states(0), Catch::Matchers::Contains("tape_checkpoint_every 3"));
  // With K >= T every state is kept, and they are there.
  wrnn::Sequence<float> shorter(3, 2, 1);
  model.forward(shorter);
  CHECK(model.sample_states(1).cols() == 4);
}

}  // namespace test_tape_checkpoints
