// Shared by tests/test_lstm.cpp and tests/test_gru.cpp: random weights and inputs, the
// deterministic weights and inputs of tests/pytorch_reference_gated.py, and the checks of what
// both gated cells share.
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

// One model (d = 3, T = 7, B = 5) for check_forward_against_naive below.
template <class Cell, class Naive>
void check_states_against_naive(Naive naive, Index H, double tolerance, std::uint64_t seed,
                                const wrnn::ModelOptions& model_options) {
  const Index T = 7, B = 5, d = 3;
  wrnn::SequenceModel<Cell> model({d, H}, {2}, model_options);
  wrnn::Sequence<typename Cell::Scalar> x(T, B, d);
  randomize(model, x, 1.0, seed);
  model.forward(x);
  for (Index b = 0; b < B; ++b) {
    INFO("H " << H << ", sample " << b << ", tolerance " << tolerance);
    const wrnn::Matrix<double> expected = naive(model.cell(), x, b);
    CHECK((model.sample_states(b).template cast<double>() - expected).cwiseAbs().maxCoeff() <=
          tolerance);
  }
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

// ---- what both gated cells share: PyTorch's layout, option checks, the paper's weight count ----

// Names, order and shapes as torch.nn.LSTM / GRU (d = 5, H = 7), the sizes the cell concept
// reports, and PyTorch's default init U(-1/sqrt(H), 1/sqrt(H)). A cell has `gates` gate blocks
// (LSTM 4, GRU 3), a state of `state_blocks` x H values and a tape of `tape_blocks` x H.
template <template <class> class GatedCell>
void check_pytorch_layout(Index gates, Index state_blocks, Index tape_blocks) {
  const Index d = 5, H = 7, G = gates * H;
  wrnn::SequenceModel<GatedCell<float>> model({d, H}, {3});
  const auto& parameters = model.parameters();
  REQUIRE(parameters.size() == 6);
  CHECK(parameters[0].name == "cell.weight_ih_l0");
  CHECK(parameters[1].name == "cell.bias_ih_l0");
  CHECK(parameters[2].name == "cell.weight_hh_l0");
  CHECK(parameters[3].name == "cell.bias_hh_l0");
  CHECK(parameters[0].parameter->shape == std::vector<Index>{G, d});
  CHECK(parameters[1].parameter->shape == std::vector<Index>{G});
  CHECK(parameters[2].parameter->shape == std::vector<Index>{G, H});
  CHECK(parameters[3].parameter->shape == std::vector<Index>{G});
  CHECK(model.cell().state_size() == state_blocks * H);
  CHECK(model.cell().output_size() == H);
  CHECK(model.cell().projection_size() == G);
  CHECK(model.cell().tape_size() == tape_blocks * H);
  CHECK(&model.cell().input_weight() == parameters[0].parameter);
  CHECK(&model.cell().input_bias() == parameters[1].parameter);

  wrnn::Rng rng(3);
  model.init(rng);
  const float bound = 1.0f / std::sqrt(static_cast<float>(H));
  for (std::size_t p = 0; p < 4; ++p) {
    const auto& value = parameters[p].parameter->value;
    INFO(parameters[p].name);
    CHECK(value.cwiseAbs().maxCoeff() <= bound);
    // U(-b, b) over 21+ values: the spread reaches well past half the bound.
    CHECK(value.cwiseAbs().maxCoeff() > 0.5f * bound);
  }
}

template <template <class> class GatedCell>
void check_option_validation() {
  using Cell = GatedCell<double>;
  CHECK_THROWS_AS(Cell({0, 4}), wrnn::ValueError);
  CHECK_THROWS_AS(Cell({3, 0}), wrnn::ValueError);
  CHECK_THROWS_WITH(Cell({3, -2}), Catch::Contains("hidden size") && Catch::Contains("-2"));
}

// The paper's count: gates x H(d + H) recurrent-cell weights plus the readout's weights.
template <template <class> class GatedCell>
void check_weight_count(Index gates, Index expected_total) {
  const Index d = 10, H = 100, o = 10;
  wrnn::SequenceModel<GatedCell<float>> linear({d, H}, {o});
  CHECK(linear.weight_count() == gates * H * (d + H) + o * H);
  CHECK(linear.weight_count() == expected_total);
  wrnn::ReadoutOptions mlp{o, wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::every_step, 100};
  wrnn::SequenceModel<GatedCell<float>> with_mlp({d, H}, mlp);
  CHECK(with_mlp.weight_count() == gates * H * (d + H) + 100 * H + o * 100);
}

// The states a model's forward records against naive(cell, x, b), the equations evaluated in
// double one sample at a time: a double model within 1e-13, a float model within 2e-6.
// H = 29 = 16 + 8 + 4 + 1 runs every lane width of the fused loops (AVX-512 floats).
template <template <class> class GatedCell, class Naive>
void check_forward_against_naive(Naive naive) {
  for (Index H : {Index{6}, Index{29}}) {
    check_states_against_naive<GatedCell<double>>(naive, H, 1e-13, 11, wrnn::ModelOptions{2});
    check_states_against_naive<GatedCell<float>>(naive, H, 2e-6, 12, wrnn::ModelOptions{});
  }
}

}  // namespace gated_test
