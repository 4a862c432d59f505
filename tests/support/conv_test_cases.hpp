// Test data shared by the circular-convolution kernels' tests (test_kernels.cpp, in the layout
// with samples in columns, and test_kernels_lanes.cpp, samples in lanes): random inputs rounded
// to the kernel's scalar, the shapes worth testing, each element's error against a double
// reference, and the activations written out.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "wrnn/core/activation.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/kernels/circular_conv_reference.hpp"
#include "wrnn/kernels/conv_shape.hpp"

namespace wrnn_test::conv {

using wrnn::ConvShape;
using wrnn::Index;

inline std::vector<double> random_values(wrnn::Rng& rng, Index count) {
  std::vector<double> values(static_cast<std::size_t>(count));
  for (double& value : values) value = rng.uniform(-1.0, 1.0);
  return values;
}

template <class To, class From>
std::vector<To> cast(const std::vector<From>& values) {
  return std::vector<To>(values.begin(), values.end());
}

inline std::vector<double> absolute(std::vector<double> values) {
  for (double& value : values) value = std::abs(value);
  return values;
}

// The largest error of an element against its exact value, in units of the sum of its terms'
// magnitudes: the measure a sum's rounding error is bounded by (about the number of terms times
// the unit roundoff at worst), also where the terms cancel and the sum is small. One element off
// by 1e-3 of its terms fails it, however many elements are right.
template <class A>
double conditioned_error(const std::vector<A>& actual, const std::vector<double>& expected,
                         const std::vector<double>& magnitudes) {
  REQUIRE(actual.size() == expected.size());
  REQUIRE(magnitudes.size() == expected.size());
  double worst = 0;
  for (std::size_t i = 0; i < actual.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(actual[i]) - expected[i]) /
                                std::max(magnitudes[i], 1e-300));
  return worst;
}

template <class Scalar>
double tolerance() {
  return std::is_same<Scalar, float>::value ? 1e-5 : 1e-12;
}

// Random inputs of one test case, in double. make_case<Scalar> rounds them to Scalar first, so
// the kernel under test (in Scalar) and the double reference see the same numbers and only the
// kernel's arithmetic differs.
struct Case {
  ConvShape shape;
  Index batch = 0;
  std::vector<double> weights, bias, state, out, grad_out, grad_weights, grad_bias;
};

template <class Scalar>
Case make_case(const ConvShape& shape, Index batch, std::uint64_t seed) {
  wrnn::Rng rng(seed);
  auto rounded = [&](Index count) { return cast<double>(cast<Scalar>(random_values(rng, count))); };
  const Index size = shape.state_size() * batch;
  Case data;
  data.shape = shape;
  data.batch = batch;
  data.weights = rounded(shape.weight_count());
  data.bias = rounded(shape.channels);
  data.state = rounded(size);
  data.out = rounded(size);  // nonzero: the kernels accumulate into it
  data.grad_out = rounded(size);
  data.grad_weights = rounded(shape.weight_count());
  data.grad_bias = rounded(shape.channels);
  return data;
}

// A batch's states (rows x batch) from the layout with samples in columns (each sample's rows
// contiguous) into the layout with samples in lanes (each row's samples contiguous), and back.
template <class To, class From>
std::vector<To> to_lanes(const std::vector<From>& columns, Index rows, Index batch) {
  std::vector<To> lanes_order(columns.size());
  for (Index s = 0; s < batch; ++s)
    for (Index row = 0; row < rows; ++row)
      lanes_order[static_cast<std::size_t>(row * batch + s)] =
          static_cast<To>(columns[static_cast<std::size_t>(s * rows + row)]);
  return lanes_order;
}

template <class Scalar>
std::vector<double> to_columns(const std::vector<Scalar>& lanes_order, Index rows, Index batch) {
  std::vector<double> columns(lanes_order.size());
  for (Index s = 0; s < batch; ++s)
    for (Index row = 0; row < rows; ++row)
      columns[static_cast<std::size_t>(s * rows + row)] =
          static_cast<double>(lanes_order[static_cast<std::size_t>(row * batch + s)]);
  return columns;
}

// The magnitudes conditioned_error measures against, from the reference on the terms' absolute
// values: the forward's |out| (where it accumulates) + |b_u| (with a bias) + sum |u| |h|, and
// the backward to the state's |grad_h| (where it accumulates) + sum |u| |g|.
inline std::vector<double> forward_magnitudes(const Case& data, bool with_bias, bool accumulate) {
  std::vector<double> magnitudes =
      accumulate ? absolute(data.out) : std::vector<double>(data.out.size(), 0.0);
  const std::vector<double> bias = absolute(data.bias);
  wrnn::reference::circular_conv_forward(
      data.shape, absolute(data.weights).data(), with_bias ? bias.data() : nullptr,
      absolute(data.state).data(), magnitudes.data(), data.batch);
  return magnitudes;
}

inline std::vector<double> backward_state_magnitudes(const Case& data, bool accumulate) {
  std::vector<double> magnitudes =
      accumulate ? absolute(data.out) : std::vector<double>(data.out.size(), 0.0);
  wrnn::reference::circular_conv_backward_state(data.shape, absolute(data.weights).data(),
                                                absolute(data.grad_out).data(), magnitudes.data(),
                                                data.batch);
  return magnitudes;
}

inline std::vector<ConvShape> shapes_to_test() {
  std::vector<ConvShape> shapes;
  for (Index n : {1, 3, 7, 13, 100, 257})
    for (Index C : {1, 3, 6})
      for (Index k : {1, 3, 5, 7})
        if (k / 2 <= n) shapes.push_back(ConvShape{C, n, k});
  // Halos wider than a SIMD vector (r = k/2 > 4 on SSE) and as wide as the ring (r = n).
  for (const ConvShape& wide : {ConvShape{2, 13, 11}, ConvShape{3, 100, 9}, ConvShape{1, 7, 13},
                                ConvShape{2, 6, 13}, ConvShape{5, 40, 41}})
    shapes.push_back(wide);
  // Winograd shapes (k = 3, n a multiple of 4, C >= winograd::min_channels: 6 on AVX-512, where
  // C = 6, n = 100 above is one too, 8 on AVX2): one tile, partial last vectors of tiles (5, 6,
  // 7, 17 and 25 tiles: vectors of 16 or 8), whole vectors (n = 128: two of 16 tiles or four of
  // 8), and C not a multiple of the mixing or weight tiles; beside them 12 channels that stay
  // direct (k = 5, n = 13).
  for (const ConvShape& many :
       {ConvShape{12, 4, 3}, ConvShape{13, 20, 3}, ConvShape{12, 100, 3}, ConvShape{17, 68, 3},
        ConvShape{16, 128, 3}, ConvShape{9, 24, 3}, ConvShape{8, 28, 3}, ConvShape{8, 100, 3},
        ConvShape{12, 20, 5}, ConvShape{12, 13, 3}})
    shapes.push_back(many);
  return shapes;
}

inline double apply(wrnn::Activation activation, double z) {
  switch (activation) {
    case wrnn::Activation::relu:
      return z > 0 ? z : 0;
    case wrnn::Activation::tanh:
      return std::tanh(z);
    case wrnn::Activation::identity:
      break;
  }
  return z;
}

}  // namespace wrnn_test::conv
