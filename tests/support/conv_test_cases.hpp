// Test data shared by the circular-convolution kernels' tests (test_kernels.cpp, in the layout
// with samples in columns, and test_kernels_lanes.cpp, samples in lanes): random inputs rounded
// to the kernel's scalar, the shapes worth testing, the relative error against a double
// reference, and the activations written out.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <type_traits>
#include <vector>

#include "wrnn/core/activation.hpp"
#include "wrnn/core/rng.hpp"
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

// ||a - b|| / ||b|| (or ||a - b|| when b is zero).
template <class A>
double relative_error(const std::vector<A>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  double difference = 0, norm = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double d = static_cast<double>(actual[i]) - expected[i];
    difference += d * d;
    norm += expected[i] * expected[i];
  }
  return norm > 0 ? std::sqrt(difference / norm) : std::sqrt(difference);
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
