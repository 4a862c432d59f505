// Bad input gets a clear wrnn::Error of the right kind, naming what was expected and received.
#include <catch2/catch.hpp>
#include <limits>

#include "wrnn/wrnn.hpp"

namespace test_errors {  // see "unity groups" in tests/CMakeLists.txt

using Catch::Matchers::Contains;
using wrnn::Index;

// The expression throws an exception of the given kind whose message matches.
#define CHECK_THROWS_KIND(expression, Kind, matcher) \
  CHECK_THROWS_AS(expression, Kind);                 \
  CHECK_THROWS_WITH(expression, matcher)

namespace {
wrnn::WaveCellOptions wave_options(Index d, Index C, Index n, Index k) {
  wrnn::WaveCellOptions options;
  options.input_size = d;
  options.channels = C;
  options.ring_size = n;
  options.kernel_size = k;
  return options;
}
}  // namespace

TEST_CASE("bad cell sizes are rejected with ValueError", "[errors]") {
  CHECK_THROWS_KIND(wrnn::WaveCell<float>(wave_options(2, 3, 10, 4)), wrnn::ValueError,
                    Contains("expected an odd number >= 1, received 4"));
  CHECK_THROWS_KIND(wrnn::WaveCell<float>(wave_options(2, 3, 10, 0)), wrnn::ValueError,
                    Contains("kernel size"));
  CHECK_THROWS_KIND(wrnn::WaveCell<float>(wave_options(2, 0, 10, 3)), wrnn::ValueError,
                    Contains("channels: expected > 0, received 0"));
  CHECK_THROWS_KIND(wrnn::WaveCell<float>(wave_options(2, 3, 0, 3)), wrnn::ValueError,
                    Contains("ring size n: expected > 0, received 0"));
  CHECK_THROWS_KIND(wrnn::WaveCell<float>(wave_options(0, 3, 10, 3)), wrnn::ValueError,
                    Contains("input size d: expected > 0, received 0"));
  CHECK_THROWS_KIND(wrnn::WaveCell<float>(wave_options(1, 1, 2, 7)), wrnn::ValueError,
                    Contains("must not exceed the ring size"));
  CHECK_THROWS_AS(wrnn::DenseCell<float>(wrnn::DenseCellOptions{1, 0}), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::DenseCell<float>(wrnn::DenseCellOptions{0, 5}), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::Readout<float>(wrnn::ReadoutOptions{0}, 5), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::Sequence<float>(0, 1, 1), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::CopyTask(0), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::AddingTask(1), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::parse_activation("sigmoid"), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::parse_recurrent_init("diagonal"), wrnn::ValueError);
  wrnn::ModelOptions zero_chunk;
  zero_chunk.batch_chunk = 0;
  CHECK_THROWS_AS(wrnn::SequenceModel<wrnn::WaveCell<float>>(wave_options(1, 1, 4, 3),
                                                             wrnn::ReadoutOptions{1}, zero_chunk),
                  wrnn::ValueError);
}

TEST_CASE("mismatched shapes are rejected with ShapeError", "[errors]") {
  wrnn::SequenceModel<wrnn::WaveCell<float>> model(wave_options(3, 2, 5, 3),
                                                   wrnn::ReadoutOptions{4});
  wrnn::Rng rng(1);
  model.init(rng);
  // Wrong input width.
  wrnn::Sequence<float> wrong_width(6, 2, 5);
  CHECK_THROWS_KIND(model.forward(wrong_width), wrnn::ShapeError,
                    Contains("input width d: expected 3, received 5"));
  // backward before any forward.
  CHECK_THROWS_AS(model.backward(wrnn::Matrix<float>::Zero(4, 12)), wrnn::Error);
  // Output gradient whose batch or length does not match the forward pass.
  wrnn::Sequence<float> x(6, 2, 3);
  model.forward(x);
  CHECK_THROWS_KIND(model.backward(wrnn::Matrix<float>::Zero(4, 10)), wrnn::ShapeError,
                    Contains("expected 12, received 10"));
  CHECK_THROWS_AS(model.backward(wrnn::Matrix<float>::Zero(3, 12)), wrnn::ShapeError);
  // Targets that do not match the outputs.
  wrnn::Matrix<float> grad;
  CHECK_THROWS_KIND(wrnn::cross_entropy(model.forward(x), std::vector<int>(7, 0), grad),
                    wrnn::ShapeError, Contains("expected 12, received 7"));
  CHECK_THROWS_KIND(wrnn::cross_entropy(model.forward(x), std::vector<int>(12, 4), grad),
                    wrnn::ValueError, Contains("expected in [0, 4), received 4"));
  CHECK_THROWS_AS(wrnn::mean_squared_error(
                      model.forward(x), wrnn::Matrix<float>(wrnn::Matrix<float>::Zero(4, 2)), grad),
                  wrnn::ShapeError);
  // A sample outside the batch.
  CHECK_THROWS_AS(model.sample_states(2), wrnn::ValueError);
}

TEST_CASE("a non-finite loss stops training and names the step", "[errors]") {
  wrnn::SequenceModel<wrnn::DenseCell<float>> model(
      wrnn::DenseCellOptions{2, 4},
      wrnn::ReadoutOptions{1, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step});
  wrnn::Rng rng(1);
  model.init(rng);
  wrnn::Adam<float> adam(model.parameters());
  wrnn::AddingTask task(5);
  auto batch = task.generate<float>(3, rng);
  batch.inputs(2, 1, 0) = std::numeric_limits<float>::quiet_NaN();
  const wrnn::Vector<float> before = model.parameter("cell.Wy.weight").value;
  CHECK_THROWS_KIND(
      wrnn::train_step(model, adam, batch.inputs, batch.targets, wrnn::LossKind::mse, 1.0, 17),
      wrnn::NumericalError, Contains("training step 17") && Contains("nan"));
  // The weights were not touched.
  CHECK(model.parameter("cell.Wy.weight").value == before);
  CHECK(adam.step_count() == 0);
}

}  // namespace test_errors
