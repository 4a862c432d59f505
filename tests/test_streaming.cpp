// The single-sample steps: StreamingWaveCell and WaveCell<float>::step against the equations
// written out in double, and against the batch forward of SequenceModel; StreamingWaveCell's
// snapshot semantics; and the streaming step never allocates (wave and dense cells; the gated
// cells are covered in their own tests), after construction and from the very first call.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "support/allocation_counter.hpp"
#include "support/naive_wave_step.hpp"
#include "wrnn/wrnn.hpp"

namespace test_streaming {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;

namespace {

template <class Cell>
void check_no_allocation(Cell& cell) {
  wrnn::Rng rng(3);
  cell.init(rng);
  std::vector<typename Cell::Scalar> input(static_cast<std::size_t>(cell.input_size()), 0);
  std::vector<typename Cell::Scalar> state(static_cast<std::size_t>(cell.state_size()), 0);
  const long allocations = wrnn_test::count_allocations([&] {
    for (int t = 0; t < 50; ++t) {
      input[static_cast<std::size_t>(t) % input.size()] = 1;
      cell.step(input.data(), state.data());
      input[static_cast<std::size_t>(t) % input.size()] = 0;
    }
  });
  CHECK(allocations == 0);
}

}  // namespace

TEST_CASE("the streaming step of the wave and dense cells never allocates", "[streaming]") {
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  // The counter does see allocations (otherwise "0 allocations" would prove nothing).
  CHECK(wrnn_test::count_allocations([] { std::vector<double> v(100); }) > 0);

  for (auto activation : {wrnn::Activation::relu, wrnn::Activation::tanh}) {
    wrnn::WaveCellOptions options;
    options.input_size = 10;
    options.channels = 6;
    options.ring_size = 100;
    options.activation = activation;
    wrnn::WaveCell<float> wave_float(options);
    check_no_allocation(wave_float);
    options.channels = 3;
    options.ring_size = 37;
    options.kernel_size = 5;
    wrnn::WaveCell<double> wave_double(options);
    check_no_allocation(wave_double);
  }
  wrnn::DenseCell<float> dense(wrnn::DenseCellOptions{10, 100});
  check_no_allocation(dense);
}

namespace {

// The oracle, with the float inputs widened.
std::vector<double> naive_wave_step(const wrnn::WaveCell<float>& cell, const std::vector<float>& x,
                                    const std::vector<double>& h) {
  return wrnn_test::naive_wave_step(cell, h, std::vector<double>(x.begin(), x.end()));
}

// The solo init gives V few nonzeros; a dense random V checks every column of the projection.
void randomize_input_weights(wrnn::WaveCell<float>& cell, wrnn::Rng& rng) {
  for (auto& value : cell.input_weight().value) value = static_cast<float>(rng.normal(0.0, 0.5));
}

wrnn::WaveCellOptions wave_options(Index d, Index C, Index n, Index k, wrnn::Activation act) {
  wrnn::WaveCellOptions options;
  options.input_size = d;
  options.channels = C;
  options.ring_size = n;
  options.kernel_size = k;
  options.activation = act;
  options.recurrent_init = wrnn::RecurrentInit::random;  // every tap and channel pair matters
  return options;
}

}  // namespace

namespace {

struct StepCase {
  Index d, C, n, k;
  wrnn::Activation activation;
};

// The direct kernels' shapes (odd rings, k = 1, 5, 7, one channel) and Winograd shapes in AVX2 and
// AVX-512 builds (test_streaming_avx2, _avx512), where the snapshot keeps u transformed and steps
// the state in place.
const std::vector<StepCase> step_cases{
    {10, 6, 100, 3, wrnn::Activation::relu},   {1, 1, 37, 5, wrnn::Activation::tanh},
    {3, 3, 17, 7, wrnn::Activation::identity}, {2, 4, 5, 1, wrnn::Activation::relu},
    {5, 8, 64, 3, wrnn::Activation::tanh},     {2, 16, 100, 3, wrnn::Activation::relu}};

// Steps `stepper` (StreamingWaveCell or WaveCell, both step(x, state)) 12 times from a zero state
// and checks each new state against the double oracle applied to the float state before it (so
// the comparison is per step, not compounded), within 1e-5 of the step's largest value: a float
// convolution of C*k terms and a projection of d rounds a few ulps (2^-24 = 6e-8 each).
template <class Stepper>
void check_steps_against_naive(Stepper& stepper, const wrnn::WaveCell<float>& cell,
                               wrnn::Rng& rng) {
  const Index d = cell.input_size(), N = cell.state_size();
  REQUIRE(stepper.input_size() == d);
  REQUIRE(stepper.state_size() == N);
  std::vector<float> state(static_cast<std::size_t>(N), 0.0f), x(static_cast<std::size_t>(d));
  std::vector<double> expected(state.size(), 0.0);
  for (int t = 0; t < 12; ++t) {
    // Every other input zero on odd steps: the projection skips zero inputs.
    for (std::size_t j = 0; j < x.size(); ++j)
      x[j] = t % 2 == 1 && j % 2 == 0 ? 0.0f : static_cast<float>(rng.normal());
    stepper.step(x.data(), state.data());
    expected = naive_wave_step(cell, x, expected);
    double scale = 1.0;
    for (double value : expected) scale = std::max(scale, std::abs(value));
    for (std::size_t i = 0; i < state.size(); ++i)
      REQUIRE(std::abs(state[i] - expected[i]) <= 1e-5 * scale);
    for (std::size_t i = 0; i < state.size(); ++i) expected[i] = state[i];
  }
}

}  // namespace

TEST_CASE("StreamingWaveCell steps like the equations, written out in double", "[streaming]") {
  for (const StepCase& c : step_cases) {
    CAPTURE(c.d, c.C, c.n, c.k);
    wrnn::WaveCell<float> cell(wave_options(c.d, c.C, c.n, c.k, c.activation));
    wrnn::Rng rng(11);
    cell.init(rng);
    randomize_input_weights(cell, rng);
    wrnn::StreamingWaveCell<float> streaming(cell);
    check_steps_against_naive(streaming, cell, rng);
  }
}

TEST_CASE("WaveCell<float>::step steps like the equations, written out in double", "[streaming]") {
  for (const StepCase& c : step_cases) {
    CAPTURE(c.d, c.C, c.n, c.k);
    wrnn::WaveCell<float> cell(wave_options(c.d, c.C, c.n, c.k, c.activation));
    wrnn::Rng rng(12);
    cell.init(rng);
    randomize_input_weights(cell, rng);
    check_steps_against_naive(cell, cell, rng);
  }
}

// The three ways to run a float wave cell, sample by sample through time: the batch forward
// (samples in lanes, several chunks: SequenceModel), WaveCell::step and StreamingWaveCell (the
// column kernels, one sample). Each sums in its own order, so they agree up to float rounding,
// carried from step to step: within 1e-5 of the largest state value over 10 steps of these
// contracting cells (PyTorch's default u, |u| <= 1/sqrt(C k); tanh keeps states in [-1, 1]).
TEST_CASE("StreamingWaveCell, WaveCell::step and the batch forward give the same states",
          "[streaming]") {
  for (const StepCase& c : step_cases) {
    CAPTURE(c.d, c.C, c.n, c.k);
    const Index T = 10, B = 7, N = c.C * c.n;
    wrnn::SequenceModel<wrnn::WaveCell<float>> model(
        wave_options(c.d, c.C, c.n, c.k, wrnn::Activation::tanh),
        wrnn::ReadoutOptions{2, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step},
        wrnn::ModelOptions{3});  // chunks of 3, 3 and 1 samples
    wrnn::Rng rng(13);
    model.init(rng);
    randomize_input_weights(model.cell(), rng);
    wrnn::Sequence<float> x(T, B, c.d);
    for (Index i = 0; i < T * B * c.d; ++i)
      x.data()[i] = i % 3 == 0 ? 0.0f : static_cast<float>(rng.normal());
    model.forward(x);
    wrnn::StreamingWaveCell<float> streaming(model.cell());
    for (Index b = 0; b < B; ++b) {
      const wrnn::Matrix<float> batch_states = model.sample_states(b);
      std::vector<float> stepped(static_cast<std::size_t>(N), 0.0f), streamed = stepped, input;
      for (Index t = 0; t < T; ++t) {
        input.assign(&x(t, b, 0), &x(t, b, 0) + c.d);
        model.cell().step(input.data(), stepped.data());
        streaming.step(input.data(), streamed.data());
        const double scale = std::max(1.0f, batch_states.col(t + 1).cwiseAbs().maxCoeff());
        INFO("sample " << b << ", step " << t + 1);
        for (Index i = 0; i < N; ++i) {
          const auto u = static_cast<std::size_t>(i);
          REQUIRE(std::abs(stepped[u] - batch_states(i, t + 1)) <= 1e-5 * scale);
          REQUIRE(std::abs(streamed[u] - batch_states(i, t + 1)) <= 1e-5 * scale);
        }
      }
    }
  }
}

TEST_CASE("StreamingWaveCell is a snapshot: it sees the cell's new weights only after load",
          "[streaming]") {
  // C = 2 runs the direct kernels; C = 8, n = 12 the Winograd ones where they are compiled, whose
  // transformed u the snapshot must renew on load.
  const Index channels = GENERATE(Index{2}, Index{8});
  const Index ring = channels == 2 ? 9 : 12, size = channels * ring;
  CAPTURE(channels);
  wrnn::WaveCell<float> cell(wave_options(4, channels, ring, 3, wrnn::Activation::tanh));
  wrnn::Rng rng(5);
  cell.init(rng);
  randomize_input_weights(cell, rng);
  wrnn::StreamingWaveCell<float> streaming(cell);
  const std::vector<float> x{0.5f, -1.0f, 0.25f, 2.0f};
  std::vector<double> previous(static_cast<std::size_t>(size));
  for (double& value : previous) value = static_cast<float>(rng.uniform(-1.0, 1.0));
  const std::vector<double> before = naive_wave_step(cell, x, previous);

  cell.input_weight().value *= 2.0f;  // training moved the weights
  cell.recurrent_weight().value *= -1.5f;
  cell.recurrent_bias().value.array() += 0.5f;
  std::vector<float> state(previous.begin(), previous.end());
  streaming.step(x.data(), state.data());
  for (std::size_t i = 0; i < state.size(); ++i) CHECK(std::abs(state[i] - before[i]) <= 1e-5);

  streaming.load(cell);
  const std::vector<double> after = naive_wave_step(cell, x, previous);
  state.assign(previous.begin(), previous.end());
  streaming.step(x.data(), state.data());
  for (std::size_t i = 0; i < state.size(); ++i) CHECK(std::abs(state[i] - after[i]) <= 1e-5);

  // A cell of another shape is refused, naming what differs.
  wrnn::WaveCell<float> wider(wave_options(4, channels + 1, ring, 3, wrnn::Activation::tanh));
  CHECK_THROWS_AS(streaming.load(wider), wrnn::ShapeError);
  CHECK_THROWS_WITH(streaming.load(wider),
                    Catch::Matchers::Contains("channels C of the cell loaded: expected " +
                                              std::to_string(channels) + ", received " +
                                              std::to_string(channels + 1)));
  wrnn::WaveCell<float> longer_input(wave_options(5, channels, ring, 3, wrnn::Activation::tanh));
  CHECK_THROWS_AS(streaming.load(longer_input), wrnn::ShapeError);
}

TEST_CASE("StreamingWaveCell never allocates in step, nor in load of a same-shaped cell",
          "[streaming]") {
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  // The copy task's shape, and one the Winograd kernels serve in AVX2 builds too.
  const Index channels = GENERATE(Index{6}, Index{8});
  wrnn::WaveCell<float> cell(wave_options(10, channels, 100, 3, wrnn::Activation::relu));
  wrnn::Rng rng(8);
  cell.init(rng);
  wrnn::StreamingWaveCell<float> streaming(cell);
  std::vector<float> input(10, 0.0f), state(static_cast<std::size_t>(channels * 100), 0.0f);
  const long allocations = wrnn_test::count_allocations([&] {
    for (int t = 0; t < 50; ++t) {
      input[static_cast<std::size_t>(t) % input.size()] = 1.0f;
      streaming.step(input.data(), state.data());
      input[static_cast<std::size_t>(t) % input.size()] = 0.0f;
    }
    streaming.load(cell);
  });
  CHECK(allocations == 0);
}

}  // namespace test_streaming
