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

#include "support/allocation_counter.hpp"
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

// Weights of +-50 drive every pre-activation far past the point where exp overflows in float:
// every state stays finite, every h within [-1, 1], and per_step(states, H, t) checks what else
// the cell bounds at step t (the LSTM's c).
template <template <class> class GatedCell, class PerStep>
void check_saturated_gates(PerStep per_step) {
  const Index T = 6, B = 3, d = 2, H = 29;
  wrnn::SequenceModel<GatedCell<float>> model({d, H}, {1});
  wrnn::Sequence<float> x(T, B, d);
  randomize(model, x, 50.0, 14);
  model.forward(x);
  for (Index b = 0; b < B; ++b) {
    const wrnn::Matrix<float> states = model.sample_states(b);
    INFO("sample " << b);
    CHECK(states.allFinite());
    for (Index t = 1; t <= T; ++t) {
      CHECK(states.col(t).head(H).cwiseAbs().maxCoeff() <= 1.0f);
      per_step(states, H, t);
    }
  }
}

// The streaming step(x, state) gives the batch forward's states, sample by sample, within float
// rounding, and allocates nothing (H = 29 runs every lane width of the fused loops).
template <template <class> class GatedCell>
void check_streaming_matches_batch() {
  const Index T = 9, B = 4, d = 2;
  for (Index H : {Index{5}, Index{29}}) {
    wrnn::SequenceModel<GatedCell<float>> model({d, H}, {1});
    wrnn::Sequence<float> x(T, B, d);
    randomize(model, x, 1.0, 13);
    model.forward(x);
    auto& cell = model.cell();
    const Index S = cell.state_size();
    std::vector<float> state(static_cast<std::size_t>(S));
    for (Index b = 0; b < B; ++b) {
      std::fill(state.begin(), state.end(), 0.0f);
      const wrnn::Matrix<float> batch_states = model.sample_states(b);
      for (Index t = 0; t < T; ++t) {
        const float* input = &x(t, b, 0);
        const long allocations =
            wrnn_test::count_allocations([&] { cell.step(input, state.data()); });
        CHECK(allocations == 0);
        INFO("H " << H << ", sample " << b << ", step " << t + 1);
        const wrnn::Vector<float> streamed = wrnn::ConstVectorMap<float>(state.data(), S);
        CHECK((streamed - batch_states.col(t + 1)).cwiseAbs().maxCoeff() <= 1e-6f);
      }
    }
  }
  if (wrnn_test::kCanCountAllocations) {
    // The counter sees allocations at all (otherwise "0 allocations" above would prove nothing).
    CHECK(wrnn_test::count_allocations([] {
            wrnn::Vector<float> v(64);
            v.setZero();
          }) > 0);
  }
}

// What tests/pytorch_reference_gated.py computed with torch.nn.LSTM or GRU for the reference
// model of load_reference (the test files include the generated numbers).
struct TorchReference {
  double loss;
  const double* hidden;      // h_t for t = 1..T, [T][B][H]
  const double* final_cell;  // c_T, [B][H]; null for a cell without one (GRU)
  const double* grad_weight_ih;
  const double* grad_weight_hh;
  const double* grad_bias_ih;
  const double* grad_bias_hh;
};

// The reference model's loss, every state and every gradient equal PyTorch's within 1e-14, with
// the batch in one chunk and in chunks of 2.
template <template <class> class GatedCell>
void check_matches_pytorch(const TorchReference& torch) {
  for (Index chunk : {Index{32}, Index{2}}) {
    INFO("batch chunk " << chunk);
    wrnn::SequenceModel<GatedCell<double>> model({kRefInput, kRefHidden}, {kRefOutput},
                                                 wrnn::ModelOptions{chunk});
    wrnn::Sequence<double> x;
    wrnn::Targets<double> targets;
    load_reference(model, x, targets);
    wrnn::Matrix<double> grad_outputs;
    const double loss =
        wrnn::compute_loss(wrnn::LossKind::mse, model.forward(x), targets, grad_outputs);
    CHECK(std::abs(loss - torch.loss) <= 1e-14);
    for (Index b = 0; b < kRefBatch; ++b) {
      const wrnn::Matrix<double> states = model.sample_states(b);
      for (Index t = 1; t <= kRefSteps; ++t)
        for (Index j = 0; j < kRefHidden; ++j)
          CHECK(std::abs(states(j, t) - torch.hidden[((t - 1) * kRefBatch + b) * kRefHidden + j]) <=
                1e-14);
      if (torch.final_cell)
        for (Index j = 0; j < kRefHidden; ++j)
          CHECK(std::abs(states(kRefHidden + j, kRefSteps) -
                         torch.final_cell[b * kRefHidden + j]) <= 1e-14);
    }
    wrnn::zero_gradients(model.parameters());
    model.backward(grad_outputs);
    const std::pair<const char*, const double*> expected[] = {
        {"cell.weight_ih_l0", torch.grad_weight_ih},
        {"cell.weight_hh_l0", torch.grad_weight_hh},
        {"cell.bias_ih_l0", torch.grad_bias_ih},
        {"cell.bias_hh_l0", torch.grad_bias_hh}};
    for (const auto& [name, values] : expected) {
      const auto& grad = model.parameter(name).grad;
      INFO(name);
      for (Index i = 0; i < grad.size(); ++i) CHECK(std::abs(grad[i] - values[i]) <= 1e-14);
    }
  }
}

}  // namespace gated_test
