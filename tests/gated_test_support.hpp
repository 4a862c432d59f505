// Shared by tests/test_lstm.cpp and tests/test_gru.cpp: random weights and inputs, and the
// deterministic weights and inputs of tests/pytorch_reference_gated.py.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/wrnn.hpp"

namespace gated_test {

using wrnn::Index;

// Random parameters U(-scale, scale) and inputs U(-1.5, 1.5).
template <class Model, class Scalar>
void randomize(Model& model, wrnn::Sequence<Scalar>& x, double scale, std::uint64_t seed) {
  wrnn::Rng rng(seed);
  for (auto& named : model.parameters())
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = static_cast<Scalar>(rng.uniform(-scale, scale));
  for (Index i = 0; i < x.steps() * x.batch() * x.features(); ++i)
    x.data()[i] = static_cast<Scalar>(rng.uniform(-1.5, 1.5));
}

// ---- the deterministic values of tests/pytorch_reference_gated.py ----

constexpr Index kRefSteps = 5, kRefBatch = 3, kRefInput = 3, kRefHidden = 4, kRefOutput = 2;

inline int reference_key(const std::string& full_name) {
  const char* names[] = {"cell.weight_ih_l0", "cell.weight_hh_l0", "cell.bias_ih_l0",
                         "cell.bias_hh_l0",   "readout.weight",    "readout.bias"};
  for (int k = 0; k < 6; ++k)
    if (full_name == names[k]) return k;
  FAIL("no reference values for parameter " << full_name);
  return -1;
}
inline double reference_value(int key, Index i) {
  return 0.5 * std::sin(0.37 * static_cast<double>(i) + 1.3 * key);
}
inline double reference_input(Index i) {
  return std::cos(0.29 * static_cast<double>(i) + 0.4);
}
inline double reference_target(Index i) {
  return 0.5 * std::sin(0.41 * static_cast<double>(i) - 0.2);
}

// Loads the script's weights into a model (linear readout, o = 2) and returns its inputs and
// MSE targets.
template <class Model>
void load_reference(Model& model, wrnn::Sequence<double>& x, wrnn::Targets<double>& targets) {
  for (const auto& named : model.parameters()) {
    const int key = reference_key(named.name);
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = reference_value(key, i);
  }
  x.resize(kRefSteps, kRefBatch, kRefInput);
  for (Index i = 0; i < kRefSteps * kRefBatch * kRefInput; ++i) x.data()[i] = reference_input(i);
  // Output column t*B + b, row k is element (t*B + b)*o + k of the script's y[T][B][o].
  targets.values.resize(kRefOutput, kRefSteps * kRefBatch);
  for (Index i = 0; i < targets.values.size(); ++i) targets.values.data()[i] = reference_target(i);
}

}  // namespace gated_test
