// SequenceModel::infer: the outputs of forward(), bit for bit, without keeping a tape; and a
// model that inferred cannot run backward() or give recorded states.
#include <catch2/catch.hpp>

#include "support/allocation_counter.hpp"
#include "wrnn/wrnn.hpp"

namespace test_inference {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

namespace {

template <class Cell>
void check_infer_matches_forward(const typename Cell::Options& options, wrnn::ReadoutMode mode,
                                 wrnn::ReadoutKind kind) {
  const Index T = 9, B = 21, classes = 4;
  for (Index threads : {1, 3}) {
    wrnn::ModelOptions model_options;
    model_options.batch_chunk = 8;  // 3 chunks, the last one partial
    model_options.threads = threads;
    wrnn::SequenceModel<Cell> model(options, {classes, kind, mode, 6}, model_options);
    wrnn::Rng rng(4);
    model.init(rng);
    wrnn::Sequence<float> x(T, B, options.input_size);
    for (Index i = 0; i < T * B * options.input_size; ++i)
      x.data()[i] = static_cast<float>(rng.uniform(-1, 1));

    const wrnn::Matrix<float> with_tape = model.forward(x);
    const wrnn::Matrix<float> without_tape = model.infer(x);
    CHECK(without_tape == with_tape);  // exact: the same arithmetic in the same order
    // forward after infer (the workspace is re-planned both ways) still gives the same outputs
    // and can run backward.
    CHECK(model.forward(x) == with_tape);
    wrnn::zero_gradients(model.parameters());
    model.backward(wrnn::Matrix<float>::Ones(with_tape.rows(), with_tape.cols()));

    model.infer(x);
    CHECK_THROWS_AS(model.backward(wrnn::Matrix<float>::Ones(with_tape.rows(), with_tape.cols())),
                    wrnn::Error);
    CHECK_THROWS_WITH(model.sample_states(0), Catch::Matchers::Contains("not infer()"));
  }
}

}  // namespace

TEST_CASE("infer gives forward's outputs bit for bit, for every cell and readout",
          "[model][inference]") {
  wrnn::WaveCellOptions wave;
  wave.input_size = 3;
  wave.channels = 2;
  wave.ring_size = 11;
  wave.recurrent_init = wrnn::RecurrentInit::random;
  for (auto mode : {wrnn::ReadoutMode::every_step, wrnn::ReadoutMode::last_step}) {
    for (auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
      check_infer_matches_forward<wrnn::WaveCell<float>>(wave, mode, kind);
      check_infer_matches_forward<wrnn::DenseCell<float>>(wrnn::DenseCellOptions{3, 13}, mode,
                                                          kind);
      check_infer_matches_forward<wrnn::LSTMCell<float>>(wrnn::LSTMCellOptions{3, 7}, mode, kind);
      check_infer_matches_forward<wrnn::GRUCell<float>>(wrnn::GRUCellOptions{3, 7}, mode, kind);
    }
  }
  // More than 16 inputs take the model's other projection path (one GEMM per step).
  wave.input_size = 17;
  check_infer_matches_forward<wrnn::WaveCell<float>>(wave, wrnn::ReadoutMode::every_step,
                                                     wrnn::ReadoutKind::linear);
  check_infer_matches_forward<wrnn::LSTMCell<float>>(
      wrnn::LSTMCellOptions{17, 5}, wrnn::ReadoutMode::last_step, wrnn::ReadoutKind::mlp);
}

TEST_CASE("infer keeps two states per sample, not T + 1", "[model][inference]") {
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  // With a tape this batch needs (T + 1) x B x S floats = 2001 x 64 x 600 x 4 B = 307 MB.
  const Index T = 2000, B = 64;
  wrnn::WaveCellOptions wave;
  wave.input_size = 1;
  wave.channels = 6;
  wave.ring_size = 100;
  wrnn::SequenceModel<wrnn::WaveCell<float>> model(
      wave, {2, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step});
  wrnn::Rng rng(2);
  model.init(rng);
  wrnn::Sequence<float> x(T, B, 1);
  x.data()[0] = 1.0f;
  const long long tape_bytes = (T + 1) * B * 600 * static_cast<long long>(sizeof(float));
  const long long bytes = wrnn_test::count_allocated_bytes([&] { model.infer(x); });
  INFO("infer allocated " << bytes << " bytes; the tape would be " << tape_bytes);
  // Two states per sample (307 KB) and scratch; the inputs are read where they are, not copied.
  CHECK(bytes < tape_bytes / 100);
  CHECK(model.outputs().allFinite());
  // The oracle for the bound: forward() does allocate the tape.
  CHECK(wrnn_test::count_allocated_bytes([&] { model.forward(x); }) > tape_bytes);
}

}  // namespace test_inference
