/// \file
/// The LSTM cell, exactly torch.nn.LSTM (one layer, no projection) (LSTMCell).
#pragma once

#include <vector>

#include "wrnn/cells/cell_parameters.hpp"
#include "wrnn/cells/gate_lanes.hpp"
#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/state_layout.hpp"

namespace wrnn {

/// The sizes of an LSTMCell.
struct LSTMCellOptions {
  Index input_size = 1;     ///< d, the features of one input.
  Index hidden_size = 100;  ///< H, the hidden units.
};

/// The LSTM cell, exactly torch.nn.LSTM (one layer, no projection): the gated baseline of the
/// paper's copy and adding tasks (docs/model.md, "Gated baselines").
///
/// Gates are stacked i, f, g, o (PyTorch's order) in every weight and bias, H rows each.
/// Forward, one step (state per sample [h; c], h first; the readout sees h):
///
///     p_t  = W_ih x_t + b_ih                        (input projection, done by SequenceModel)
///     a_t  = W_hh h_{t-1} + b_hh + p_t              (one GEMM [4H, H] x [H, b] per step)
///     i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
///     c_t  = f * c_{t-1} + i * g
///     h_t  = o * tanh(c_t)
///
/// Tape per sample and step (5H values): i, f, g, o and tanh(c_t); c_{t-1}, h_{t-1} come from
/// the state tape.
///
/// Backward, one step (dh_t, dc_t arrive from the readout and from step t+1):
///
///     dc   = dc_t + dh_t * o * (1 - tanh(c_t)^2)
///     da_i = dc * g * i (1 - i)           da_f = dc * c_{t-1} * f (1 - f)
///     da_g = dc * i * (1 - g^2)           da_o = dh_t * tanh(c_t) * o (1 - o)
///     dL/dp_t = da                        (W_ih, b_ih gradients: by the model)
///     dW_hh += da h_{t-1}^T                                            (one GEMM)
///     db_hh += sum over the batch of da                                (in the fused loop)
///     dh_{t-1} = W_hh^T da,   dc_{t-1} = dc * f        (one GEMM per gate, see backward_step)
///
/// Parameters (PyTorch's names and layouts): weight_ih_l0 [4H, d], bias_ih_l0 [4H],
/// weight_hh_l0 [4H, H], bias_hh_l0 [4H]. PyTorch's default init: all U(-1/sqrt(H), 1/sqrt(H)).
/// A model of the cell concept (cell_concept.hpp).
template <class Scalar_>
class LSTMCell : public CellParameters<Scalar_> {
  using Parameters = CellParameters<Scalar_>;
  using Parameters::input_weight_, Parameters::input_bias_, Parameters::recurrent_weight_,
      Parameters::recurrent_bias_;
  using Parameters::kRecurrentWeight, Parameters::kRecurrentBias;

 public:
  using Scalar = Scalar_;           ///< float for speed, double for gradient checks.
  using Options = LSTMCellOptions;  ///< The cell's options.
  /// A sample's state is a column: the step is a matrix product (state_layout.hpp).
  static constexpr StateLayout state_layout = StateLayout::sample_columns;
  static constexpr Index kGates = 4;  ///< i, f, g, o

  /// A cell of the given sizes, its parameters zero until init().
  /// \throws ValueError when input_size or hidden_size is not positive.
  explicit LSTMCell(const LSTMCellOptions& options)
      : Parameters(Parameters::like_pytorch_rnn(kGates, validated(options))),
        options_(options),
        stream_scratch_(Vector<Scalar>::Zero((kGates + 1) * options.hidden_size)) {}

  const LSTMCellOptions& options() const { return options_; }    ///< The options it was built with.
  Index hidden_size() const { return options_.hidden_size; }     ///< H.
  Index input_size() const { return options_.input_size; }       ///< d.
  Index state_size() const { return 2 * options_.hidden_size; }  ///< 2H: [h; c].
  Index output_size() const { return options_.hidden_size; }     ///< H: the readout sees h.
  Index projection_size() const { return kGates * options_.hidden_size; }  ///< 4H rows of p_t.
  /// 5H values per sample and step: i, f, g, o, tanh(c_t).
  Index tape_size() const { return (kGates + 1) * options_.hidden_size; }

  /// torch.nn.LSTM.reset_parameters (cell_parameters.hpp).
  void init(Rng& rng) { this->init_like_pytorch_rnn(options_.hidden_size, rng); }

  /// One step over a batch of b samples. projected: 4H x b, state_prev/state_next: 2H x b,
  /// tape: 5H x b. The tape's gate rows receive p_t + b_hh, then the recurrent GEMM adds W_hh h
  /// into them (accumulating, so Eigen does not first clear the destination), and the epilogue
  /// turns them into the activations in place.
  void forward_step(ConstMatrixMap<Scalar> projected, ConstMatrixMap<Scalar> state_prev,
                    MatrixMap<Scalar> state_next, MatrixMap<Scalar> tape) const {
    const Index H = options_.hidden_size, G = kGates * H;
    const Scalar* bias = recurrent_bias_.value.data();
    for (Index s = 0; s < state_prev.cols(); ++s) {
      const Scalar* p = projected.col(s).data();
      Scalar* gates = tape.col(s).data();
      detail::for_each_lane<Scalar>(G, [&](Index j, auto lanes) {
        using V = typename decltype(lanes)::type;
        detail::store_lanes(gates + j,
                            detail::load_lanes<V>(p + j) + detail::load_lanes<V>(bias + j));
      });
    }
    // One GEMM per gate: Eigen packs a [4H, H] left-hand side on the heap when it exceeds
    // EIGEN_STACK_ALLOCATION_LIMIT (160 KB at H = 100), an [H, H] one on the stack up to H = 181,
    // so a step (BatchStepper's, or a chunk's) does not allocate.
    const auto weight = recurrent_weight_.matrix();
    for (Index k = 0; k < kGates; ++k)
      tape.middleRows(k * H, H).noalias() += weight.middleRows(k * H, H) * state_prev.topRows(H);
    for (Index s = 0; s < state_prev.cols(); ++s)
      gate_epilogue(H, tape.col(s).data(), state_prev.col(s).data() + H, state_next.col(s).data(),
                    state_next.col(s).data() + H);
  }

  /// One reverse step. grad_state_next holds [dh_t; dc_t] on entry (left unchanged).
  /// Writes dL/dp_t into grad_projected and [dh_{t-1}; dc_{t-1}] into grad_state_prev; adds the
  /// recurrent weight and bias gradients into grads[kRecurrentWeight], grads[kRecurrentBias].
  void backward_step(ConstMatrixMap<Scalar> state_prev, ConstMatrixMap<Scalar> /*state_next*/,
                     ConstMatrixMap<Scalar> tape, MatrixMap<Scalar> grad_state_next,
                     MatrixMap<Scalar> grad_projected, MatrixMap<Scalar> grad_state_prev,
                     Scalar* const* grads) const {
    using detail::load_lanes;
    using detail::store_lanes;
    const Index H = options_.hidden_size, G = kGates * H;
    Scalar* grad_bias = grads[kRecurrentBias];
    for (Index s = 0; s < state_prev.cols(); ++s) {
      const Scalar* t = tape.col(s).data();  // i, f, g, o, tanh(c_t)
      const Scalar* c_prev = state_prev.col(s).data() + H;
      const Scalar* dh = grad_state_next.col(s).data();
      const Scalar* dc_next = dh + H;
      Scalar* da = grad_projected.col(s).data();
      Scalar* dc_prev = grad_state_prev.col(s).data() + H;
      detail::for_each_lane<Scalar>(H, [&](Index j, auto lanes) {
        using V = typename decltype(lanes)::type;
        const V one(1);
        const V i = load_lanes<V>(t + j), f = load_lanes<V>(t + H + j);
        const V g = load_lanes<V>(t + 2 * H + j), o = load_lanes<V>(t + 3 * H + j);
        const V tanh_c = load_lanes<V>(t + 4 * H + j);
        const V dh_j = load_lanes<V>(dh + j);
        const V dc = load_lanes<V>(dc_next + j) + dh_j * o * (one - tanh_c * tanh_c);
        const V da_i = dc * g * i * (one - i);
        const V da_f = dc * load_lanes<V>(c_prev + j) * f * (one - f);
        const V da_g = dc * i * (one - g * g);
        const V da_o = dh_j * tanh_c * o * (one - o);
        store_lanes(da + j, da_i);
        store_lanes(da + H + j, da_f);
        store_lanes(da + 2 * H + j, da_g);
        store_lanes(da + 3 * H + j, da_o);
        if (grad_bias != nullptr) {  // null: frozen (Parameter::frozen)
          store_lanes(grad_bias + j, load_lanes<V>(grad_bias + j) + da_i);
          store_lanes(grad_bias + H + j, load_lanes<V>(grad_bias + H + j) + da_f);
          store_lanes(grad_bias + 2 * H + j, load_lanes<V>(grad_bias + 2 * H + j) + da_g);
          store_lanes(grad_bias + 3 * H + j, load_lanes<V>(grad_bias + 3 * H + j) + da_o);
        }
        store_lanes(dc_prev + j, dc * f);
      });
    }
    if (grads[kRecurrentWeight] != nullptr)
      RowMatrixMap<Scalar>(grads[kRecurrentWeight], G, H).noalias() +=
          grad_projected * state_prev.topRows(H).transpose();
    // dh_{t-1} = W_hh^T da, as one GEMM per gate: Eigen packs W_hh^T's [H, 4H] block on the heap
    // when it exceeds EIGEN_STACK_ALLOCATION_LIMIT (160 KB at H = 100); [H, H] blocks stay on
    // the stack up to H = 181, and the speed is the same.
    const auto weight = recurrent_weight_.matrix();
    auto dh_prev = grad_state_prev.topRows(H);
    dh_prev.noalias() = weight.topRows(H).transpose() * grad_projected.topRows(H);
    for (Index k = 1; k < kGates; ++k)
      dh_prev.noalias() +=
          weight.middleRows(k * H, H).transpose() * grad_projected.middleRows(k * H, H);
  }

  /// Streaming: advances one sample's state [h; c] (2H values) by one input x (d values), in
  /// place. No allocation: the gate buffer is allocated in the constructor.
  void step(const Scalar* x, Scalar* state) {
    const Index H = options_.hidden_size, G = kGates * H;
    Scalar* gates = stream_scratch_.data();
    VectorMap<Scalar> pre(gates, G);
    pre.noalias() = input_weight_.matrix() * ConstVectorMap<Scalar>(x, options_.input_size);
    pre += input_bias_.value + recurrent_bias_.value;
    pre.noalias() += recurrent_weight_.matrix() * ConstVectorMap<Scalar>(state, H);
    gate_epilogue(H, gates, state + H, state, state + H);
  }

 private:
  static const LSTMCellOptions& validated(const LSTMCellOptions& options) {
    require_positive("LSTM cell input size d", options.input_size);
    require_positive("LSTM cell hidden size H", options.hidden_size);
    return options;
  }

  // One sample: gates[0, 4H) holds the pre-activations a and becomes i, f, g, o; gates[4H, 5H)
  // receives tanh(c_t). c_prev may alias c_next (the streaming step updates in place).
  static void gate_epilogue(Index H, Scalar* gates, const Scalar* c_prev, Scalar* h_next,
                            Scalar* c_next) {
    using detail::load_lanes;
    using detail::store_lanes;
    detail::for_each_lane<Scalar>(H, [&](Index j, auto lanes) {
      using V = typename decltype(lanes)::type;
      const V i = detail::sigmoid_of(load_lanes<V>(gates + j));
      const V f = detail::sigmoid_of(load_lanes<V>(gates + H + j));
      const V g = detail::tanh_of(load_lanes<V>(gates + 2 * H + j));
      const V o = detail::sigmoid_of(load_lanes<V>(gates + 3 * H + j));
      const V c = f * load_lanes<V>(c_prev + j) + i * g;
      const V tanh_c = detail::tanh_of(c);
      store_lanes(gates + j, i);
      store_lanes(gates + H + j, f);
      store_lanes(gates + 2 * H + j, g);
      store_lanes(gates + 3 * H + j, o);
      store_lanes(gates + 4 * H + j, tanh_c);
      store_lanes(c_next + j, c);
      store_lanes(h_next + j, o * tanh_c);
    });
  }

  LSTMCellOptions options_;
  Vector<Scalar> stream_scratch_;  // 5H: the gates and tanh(c) of the streaming step
};

}  // namespace wrnn
