// The authors' wave measure (authors_fft_measure.hpp) against their Plot_FFT's computation run in
// torch and numpy on the same recordings and permutations
// (tests/reference/authors_fft_reference.py), the seeded overload, and the refusal of inputs their
// code cannot take.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "reference/authors_fft_reference.hpp"
#include "wrnn/analysis/authors_fft_measure.hpp"

namespace test_analysis_authors_fft {  // see "unity groups" in tests/CMakeLists.txt

using wrnn::Index;
using wrnn::analysis::authors_fft_measure;

// Their seq [T][C][n] as wrnn's recording: (C*n) x T, column t = the state after input t.
template <class Scalar>
wrnn::Matrix<Scalar> recording(const authors_fft_reference::Case& c) {
  wrnn::Matrix<Scalar> states(c.channels * c.ring, c.steps);
  for (Index t = 0; t < c.steps; ++t)
    for (Index ch = 0; ch < c.channels; ++ch)
      for (Index i = 0; i < c.ring; ++i)
        states(ch * c.ring + i, t) = static_cast<Scalar>(
            c.states[static_cast<std::size_t>((t * c.channels + ch) * c.ring + i)]);
  return states;
}

std::vector<std::vector<Index>> permutations(const authors_fft_reference::Case& c) {
  std::vector<std::vector<Index>> orders;
  for (const auto& p : c.permutations) orders.emplace_back(p.begin(), p.end());
  return orders;
}

TEST_CASE("authors' FFT measure equals their Plot_FFT computed by torch and numpy",
          "[analysis][authors_fft]") {
  for (const auto& c : authors_fft_reference::all_cases()) {
    INFO(c.name);
    const auto measure =
        authors_fft_measure(recording<double>(c), c.channels, c.ring, permutations(c));
    const Index read = std::min(c.channels, c.max_channels);
    REQUIRE(static_cast<Index>(measure.channels.size()) == read);
    for (Index ch = 0; ch < read; ++ch) {
      const auto& normed = measure.channels[static_cast<std::size_t>(ch)].normed;
      REQUIRE(normed.rows() == c.ring);
      REQUIRE(normed.cols() == c.steps);
      for (Index q = 0; q < c.ring; ++q)
        for (Index p = 0; p < c.steps; ++p) {
          const double expected =
              c.normed[static_cast<std::size_t>((ch * c.ring + q) * c.steps + p)];
          INFO("channel " << ch << ", spatial bin " << q << ", temporal bin " << p);
          REQUIRE(normed(q, p) == Approx(expected).epsilon(1e-9).margin(1e-12));
        }
      CHECK(normed(0, 0) == Approx(1.0).epsilon(1e-12));  // the sum ignores the order of steps
      CHECK(measure.channels[static_cast<std::size_t>(ch)].diag_power ==
            Approx(c.diag_power[static_cast<std::size_t>(ch)]).epsilon(1e-10));
    }
    CHECK(measure.mean == Approx(c.summary[0]).epsilon(1e-10));
    CHECK(measure.std == Approx(c.summary[1]).epsilon(1e-9).margin(1e-12));
    CHECK(measure.max == Approx(c.summary[2]).epsilon(1e-10));
    CHECK(measure.min == Approx(c.summary[3]).epsilon(1e-10));
    CHECK(measure.range == Approx(c.summary[4]).epsilon(1e-9).margin(1e-12));
    // Float recordings (their states are float32) give the same numbers to float rounding.
    const auto from_float =
        authors_fft_measure(recording<float>(c), c.channels, c.ring, permutations(c));
    CHECK(from_float.mean == Approx(c.summary[0]).epsilon(1e-4));
  }
}

TEST_CASE("authors' FFT measure draws one permutation per channel read from its seed",
          "[analysis][authors_fft]") {
  const auto c = authors_fft_reference::all_cases()[0];
  const wrnn::Matrix<double> states = recording<double>(c);
  wrnn::analysis::AuthorsFftOptions options;
  options.shuffle_seed = 5;
  const auto a = authors_fft_measure(states, c.channels, c.ring, options);
  const auto b = authors_fft_measure(states, c.channels, c.ring, options);
  REQUIRE(a.channels.size() == static_cast<std::size_t>(c.channels));
  for (std::size_t ch = 0; ch < a.channels.size(); ++ch)
    CHECK(a.channels[ch].diag_power == b.channels[ch].diag_power);
  options.max_channels = 2;
  CHECK(authors_fft_measure(states, c.channels, c.ring, options).channels.size() == 2);
  // The identity permutation shuffles nothing: every ratio is 1.
  std::vector<Index> identity(static_cast<std::size_t>(c.steps));
  for (Index t = 0; t < c.steps; ++t) identity[static_cast<std::size_t>(t)] = t;
  const auto same = authors_fft_measure(states, c.channels, c.ring, {identity});
  CHECK(same.channels[0].diag_power == Approx(static_cast<double>(std::min(c.ring, c.steps))));
}

TEST_CASE("authors' FFT measure refuses what their code cannot take", "[analysis][authors_fft]") {
  const wrnn::Matrix<double> states = wrnn::Matrix<double>::Random(2 * 4, 6);
  const std::vector<Index> order{0, 1, 2, 3, 4, 5};
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(authors_fft_measure(states, 2, 4, {{0, 1, 2, 3, 4, 4}}),
                    Contains("permutation of the 6 steps"));
  CHECK_THROWS_WITH(authors_fft_measure(states, 2, 4, {order, order, order}),
                    Contains("expected 1 to 2 permutations"));
  CHECK_THROWS_AS(authors_fft_measure(states, 3, 4, {order}), wrnn::ShapeError);
  CHECK_THROWS_WITH(authors_fft_measure(wrnn::Matrix<double>::Random(3, 6), 3, 1, {order}),
                    Contains("ring_size >= 2"));
  wrnn::analysis::AuthorsFftOptions none;
  none.max_channels = 0;
  CHECK_THROWS_WITH(authors_fft_measure(states, 2, 4, none), Contains("max_channels >= 1"));
  wrnn::Matrix<double> broken = states;
  broken(5, 2) = std::nan("");
  CHECK_THROWS_AS(authors_fft_measure(broken, 2, 4, {order}), wrnn::NumericalError);
}

}  // namespace test_analysis_authors_fft
