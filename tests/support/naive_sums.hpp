// What the tests of the readout's and the projection's products (test_narrow_products.cpp,
// test_lane_products.cpp) share: random operands in [-1, 1), and the check of a computed sum
// against the same sum in double, within the rounding a sum of its size can have:
// |got - want| <= tolerance * (1 + scale), scale the sum of the magnitudes of want's terms.
#pragma once

#include <cmath>
#include <type_traits>
#include <vector>

#include "wrnn/core/rng.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn_test {

template <class Scalar>
std::vector<Scalar> random_values(wrnn::Index count, wrnn::Rng& rng) {
  std::vector<Scalar> values(static_cast<std::size_t>(count));
  for (Scalar& value : values) value = static_cast<Scalar>(rng.uniform(-1.0, 1.0));
  return values;
}

// The tolerance of a sum's relative rounding in Scalar: 1e-5 for float, 1e-13 for double.
template <class Scalar>
double sum_tolerance() {
  return std::is_same<Scalar, float>::value ? 1e-5 : 1e-13;
}

template <class Scalar>
bool close_to_sum(Scalar got, double want, double scale) {
  return std::abs(static_cast<double>(got) - want) <= sum_tolerance<Scalar>() * (1.0 + scale);
}

}  // namespace wrnn_test
