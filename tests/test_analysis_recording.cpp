// Getting one sample's states out of a batched buffer, and recording a streaming loop without
// allocating per step.
//
// Two guards: the test programs' allocation counter (support/allocation_counter.hpp), and
// EIGEN_RUNTIME_NO_MALLOC, which lets the test forbid heap allocation inside Eigen at run time
// also under the sanitizers, where the counter cannot count; eigen_assert is made to throw (also
// in Release builds, where the default one is compiled out) so that a forbidden allocation fails
// the test. (Because of these two macros this file is a test program of its own.)
#include <stdexcept>
#define EIGEN_RUNTIME_NO_MALLOC
#define eigen_assert(condition) \
  if (!(condition)) throw std::logic_error("Eigen assertion failed: " #condition)

#include <catch2/catch.hpp>

#include "support/allocation_counter.hpp"
#include "wrnn/analysis/state_recording.hpp"
#include "wrnn/analysis/wave_analysis.hpp"

using namespace wrnn;
using namespace wrnn::analysis;

TEST_CASE("extract_sample_states picks column t * B + b for every step t", "[analysis][record]") {
  const Index state_size = 6, batch = 3, steps = 5;  // steps includes the start state
  Matrix<float> all_states(state_size, steps * batch);
  for (Index t = 0; t < steps; ++t)
    for (Index b = 0; b < batch; ++b)
      for (Index i = 0; i < state_size; ++i)
        all_states(i, t * batch + b) = static_cast<float>(100 * t + 10 * b + i);
  const Matrix<float> sample = extract_sample_states(all_states, batch, 2);
  REQUIRE(sample.rows() == state_size);
  REQUIRE(sample.cols() == steps);
  for (Index t = 0; t < steps; ++t)
    for (Index i = 0; i < state_size; ++i) CHECK(sample(i, t) == 100 * t + 20 + i);
  CHECK_THROWS_AS(extract_sample_states(all_states, batch, 3), ValueError);
  CHECK_THROWS_AS(extract_sample_states(all_states, 4, 0), ShapeError);
  CHECK_THROWS_AS(extract_sample_states(all_states, 0, 0), ValueError);
}

TEST_CASE("StateRecorder appends one column per step and never allocates in record()",
          "[analysis][record]") {
  const Index state_size = 8, capacity = 50;
  StateRecorder<double> recorder(state_size, capacity);
  Vector<double> state(state_size);
  Matrix<double> batch_states(state_size, 4);  // record a column of a batch: an expression
  batch_states.setZero();
  if (wrnn_test::kCanCountAllocations)  // the counter sees allocations in this program too
    CHECK(wrnn_test::count_allocations([] { Vector<double> v(100); }) > 0);
  // Both guards: Eigen's (throws on an allocation inside Eigen, also under the sanitizers) and the
  // test programs' allocation counter (every allocation, where it can count).
  const long allocations = wrnn_test::count_allocations([&] {
    Eigen::internal::set_is_malloc_allowed(false);
    for (Index t = 0; t < 40; ++t) {
      state.setConstant(static_cast<double>(t));
      state(0) = -static_cast<double>(t);
      if (t % 2 == 0)
        recorder.record(state);
      else
        recorder.record(state.data());
    }
    batch_states.col(2).setConstant(7.0);
    recorder.record(batch_states.col(2));
    Eigen::internal::set_is_malloc_allowed(true);
  });
  if (wrnn_test::kCanCountAllocations) CHECK(allocations == 0);
  REQUIRE(recorder.steps() == 41);
  const auto recorded = recorder.states();
  CHECK(recorded.cols() == 41);
  CHECK(recorded(0, 3) == -3.0);
  CHECK(recorded(5, 39) == 39.0);
  CHECK(recorded(4, 40) == 7.0);
  recorder.clear();
  CHECK(recorder.steps() == 0);
}

TEST_CASE("the Eigen allocation guard does catch an allocation", "[analysis][record]") {
  Eigen::internal::set_is_malloc_allowed(false);
  CHECK_THROWS_AS(Matrix<double>(3, 3), std::logic_error);
  Eigen::internal::set_is_malloc_allowed(true);
}

TEST_CASE("StateRecorder rejects a wrong state size and overflow", "[analysis][record]") {
  StateRecorder<float> recorder(4, 2);
  CHECK_THROWS_AS(recorder.record(Vector<float>::Zero(5)), ShapeError);
  recorder.record(Vector<float>::Zero(4));
  recorder.record(Vector<float>::Zero(4));
  CHECK_THROWS_AS(recorder.record(Vector<float>::Zero(4)), ValueError);
  CHECK_THROWS_AS(StateRecorder<float>(0, 3), ValueError);
}

TEST_CASE("require_states_shape names expected and received sizes", "[analysis][record]") {
  const Matrix<float> states = Matrix<float>::Zero(12, 3);
  CHECK_NOTHROW(require_states_shape("f", states, 3, 4));
  try {
    require_states_shape("f", states, 2, 5);
    FAIL("no exception");
  } catch (const ShapeError& error) {
    CHECK(std::string(error.what()).find("expected 10 rows") != std::string::npos);
    CHECK(std::string(error.what()).find("received 12") != std::string::npos);
  }
  CHECK_THROWS_AS(require_states_shape("f", states, 3, 4, 4), ShapeError);
}

TEST_CASE("recorded states feed the analysis directly (block and Ref views, no copies needed)",
          "[analysis][record]") {
  // A streaming loop that shifts a bump one unit toward lower indices per step, as the paper's
  // shift-initialised cell does: (u * h)[i] = h[i + 1].
  const Index n = 48, steps = 120;
  StateRecorder<float> recorder(n, steps + 10);
  Vector<float> h = Vector<float>::Zero(n), next(n);
  for (Index i = 0; i < n; ++i)
    h(i) = static_cast<float>(std::exp(-0.25 * std::pow(std::min(i, n - i), 2)));
  recorder.record(h);
  for (Index t = 0; t < steps; ++t) {
    for (Index i = 0; i < n; ++i) next(i) = h((i + 1) % n);
    h = next;
    recorder.record(h);
  }
  const WaveAnalysis from_block = analyze_waves(recorder.states(), 1, n);
  CHECK(from_block.is_wave);
  CHECK(from_block.mean_speed == Approx(-1.0).epsilon(0.01));  // toward lower indices
  const Eigen::Ref<const Matrix<float>> view(recorder.states());
  CHECK(analyze_waves(view, 1, n).mean_speed == Approx(from_block.mean_speed));
}
