/// \file
/// The GRU cell, exactly torch.nn.GRU (one layer) (GRUCell).
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

/// The sizes of a GRUCell.
struct GRUCellOptions {
  Index input_size = 1;     ///< d, the features of one input.
  Index hidden_size = 100;  ///< H, the hidden units.
};

/// The GRU cell, exactly torch.nn.GRU (one layer): the other gated baseline of the paper's copy
/// and adding tasks (docs/model.md, "Gated baselines").
///
/// Gates are stacked r, z, n (PyTorch's order) in every weight and bias, H rows each. The reset
/// gate multiplies the whole recurrent term of n, bias included, as in PyTorch (and cuDNN).
/// Forward, one step (state per sample: h, H values):
///
///     p_t = W_ih x_t + b_ih                         (input projection, done by SequenceModel)
///     q_t = W_hh h_{t-1}                            (one GEMM [3H, H] x [H, b] per step)
///     r  = sigmoid(p_r + q_r + b_hr)
///     z  = sigmoid(p_z + q_z + b_hz)
///     hn = q_n + b_hn
///     n  = tanh(p_n + r * hn)
///     h_t = (1 - z) * n + z * h_{t-1}  =  n + z * (h_{t-1} - n)
///
/// Tape per sample and step (4H values): r, z, n, hn; h_{t-1} comes from the state tape.
///
/// Backward, one step (dh_t arrives from the readout and from step t+1):
///
///     dn~ = dh_t * (1 - z) * (1 - n^2)              (gradient of n's pre-activation)
///     dz~ = dh_t * (h_{t-1} - n) * z (1 - z)
///     dr~ = dn~ * hn * r (1 - r)
///     dL/dp_t = [dr~; dz~; dn~]                     (W_ih, b_ih gradients: by the model)
///     dq      = [dr~; dz~; r * dn~]                 (the recurrent side sees r * dn~ for n)
///     dW_hh += dq h_{t-1}^T                                          (one GEMM)
///     db_hh += sum over the batch of dq                              (in the fused loop)
///     dh_{t-1} = W_hh^T dq + z * dh_t                  (one GEMM per gate, see backward_step)
///
/// dq is built in grad_projected's rows, with dn~ parked in grad_state_next (free after use) and
/// copied back into the n rows once the two GEMMs are done.
///
/// Parameters (PyTorch's names and layouts): weight_ih_l0 [3H, d], bias_ih_l0 [3H],
/// weight_hh_l0 [3H, H], bias_hh_l0 [3H]. PyTorch's default init: all U(-1/sqrt(H), 1/sqrt(H)).
/// A model of the cell concept (cell_concept.hpp).
template <class Scalar_>
class GRUCell : public CellParameters<Scalar_> {
  using Parameters = CellParameters<Scalar_>;
  using Parameters::input_weight_, Parameters::input_bias_, Parameters::recurrent_weight_,
      Parameters::recurrent_bias_;
  using Parameters::kRecurrentWeight, Parameters::kRecurrentBias;

 public:
  using Scalar = Scalar_;          ///< float for speed, double for gradient checks.
  using Options = GRUCellOptions;  ///< The cell's options.
  /// A sample's state is a column: the step is a matrix product (state_layout.hpp).
  static constexpr StateLayout state_layout = StateLayout::sample_columns;
  static constexpr Index kGates = 3;  ///< r, z, n

  /// A cell of the given sizes, its parameters zero until init().
  /// \throws ValueError when input_size or hidden_size is not positive.
  explicit GRUCell(const GRUCellOptions& options)
      : Parameters(Parameters::like_pytorch_rnn(kGates, validated(options))),
        options_(options),
        stream_scratch_(Vector<Scalar>::Zero((2 * kGates + 1) * options.hidden_size)) {}

  const GRUCellOptions& options() const { return options_; }  ///< The options it was built with.
  Index hidden_size() const { return options_.hidden_size; }  ///< H.
  Index input_size() const { return options_.input_size; }    ///< d.
  Index state_size() const { return options_.hidden_size; }   ///< H: the state is h.
  Index output_size() const { return options_.hidden_size; }  ///< H: the readout sees h.
  Index projection_size() const { return kGates * options_.hidden_size; }  ///< 3H rows of p_t.
  /// 4H values per sample and step: r, z, n, hn.
  Index tape_size() const { return (kGates + 1) * options_.hidden_size; }

  /// torch.nn.GRU.reset_parameters (cell_parameters.hpp).
  void init(Rng& rng) { this->init_like_pytorch_rnn(options_.hidden_size, rng); }

  /// One step over a batch of b samples. projected: 3H x b, state_prev/state_next: H x b,
  /// tape: 4H x b. The tape's first 3H rows receive [p_r + b_hr; p_z + b_hz; b_hn], then the
  /// recurrent GEMM adds q = W_hh h into them (accumulating, so Eigen does not first clear the
  /// destination), and the epilogue turns them into r, z, n, hn in place.
  void forward_step(ConstMatrixMap<Scalar> projected, ConstMatrixMap<Scalar> state_prev,
                    MatrixMap<Scalar> state_next, MatrixMap<Scalar> tape) const {
    using detail::load_lanes;
    using detail::store_lanes;
    const Index H = options_.hidden_size;
    const Scalar* bias = recurrent_bias_.value.data();
    for (Index s = 0; s < state_prev.cols(); ++s) {
      const Scalar* p = projected.col(s).data();
      Scalar* gates = tape.col(s).data();
      detail::for_each_lane<Scalar>(2 * H, [&](Index j, auto lanes) {
        using V = typename decltype(lanes)::type;
        store_lanes(gates + j, load_lanes<V>(p + j) + load_lanes<V>(bias + j));
      });
      detail::for_each_lane<Scalar>(H, [&](Index j, auto lanes) {
        using V = typename decltype(lanes)::type;
        store_lanes(gates + 2 * H + j, load_lanes<V>(bias + 2 * H + j));
      });
    }
    tape.topRows(kGates * H).noalias() += recurrent_weight_.matrix() * state_prev;
    for (Index s = 0; s < state_prev.cols(); ++s)
      gate_epilogue(H, projected.col(s).data() + 2 * H, tape.col(s).data(),
                    state_prev.col(s).data(), state_next.col(s).data());
  }

  /// One reverse step. grad_state_next holds dh_t on entry and is used as scratch. Writes dL/dp_t
  /// into grad_projected and dh_{t-1} into grad_state_prev; adds the recurrent weight and bias
  /// gradients into grads[kRecurrentWeight], grads[kRecurrentBias].
  void backward_step(ConstMatrixMap<Scalar> state_prev, ConstMatrixMap<Scalar> /*state_next*/,
                     ConstMatrixMap<Scalar> tape, MatrixMap<Scalar> grad_state_next,
                     MatrixMap<Scalar> grad_projected, MatrixMap<Scalar> grad_state_prev,
                     Scalar* const* grads) const {
    using detail::load_lanes;
    using detail::store_lanes;
    const Index H = options_.hidden_size, G = kGates * H;
    Scalar* grad_bias = grads[kRecurrentBias];
    for (Index s = 0; s < state_prev.cols(); ++s) {
      const Scalar* t = tape.col(s).data();  // r, z, n, hn
      const Scalar* h_prev = state_prev.col(s).data();
      Scalar* dh = grad_state_next.col(s).data();  // dh_t on entry, dn~ on exit
      Scalar* dq = grad_projected.col(s).data();
      Scalar* dh_prev = grad_state_prev.col(s).data();
      detail::for_each_lane<Scalar>(H, [&](Index j, auto lanes) {
        using V = typename decltype(lanes)::type;
        const V one(1);
        const V r = load_lanes<V>(t + j), z = load_lanes<V>(t + H + j);
        const V n = load_lanes<V>(t + 2 * H + j), hn = load_lanes<V>(t + 3 * H + j);
        const V dh_j = load_lanes<V>(dh + j);
        const V dz = dh_j * (load_lanes<V>(h_prev + j) - n) * z * (one - z);
        const V dn = dh_j * (one - z) * (one - n * n);
        const V dr = dn * hn * r * (one - r);
        const V dq_n = r * dn;
        store_lanes(dh_prev + j, dh_j * z);
        store_lanes(dh + j, dn);
        store_lanes(dq + j, dr);
        store_lanes(dq + H + j, dz);
        store_lanes(dq + 2 * H + j, dq_n);
        if (grad_bias != nullptr) {  // null: frozen (Parameter::frozen)
          store_lanes(grad_bias + j, load_lanes<V>(grad_bias + j) + dr);
          store_lanes(grad_bias + H + j, load_lanes<V>(grad_bias + H + j) + dz);
          store_lanes(grad_bias + 2 * H + j, load_lanes<V>(grad_bias + 2 * H + j) + dq_n);
        }
      });
    }
    if (grads[kRecurrentWeight] != nullptr)
      RowMatrixMap<Scalar>(grads[kRecurrentWeight], G, H).noalias() +=
          grad_projected * state_prev.transpose();
    // dh_{t-1} += W_hh^T dq, as one GEMM per gate so that Eigen's packed [H, H] block stays on
    // the stack (see LSTMCell::backward_step).
    const auto weight = recurrent_weight_.matrix();
    for (Index k = 0; k < kGates; ++k)
      grad_state_prev.noalias() +=
          weight.middleRows(k * H, H).transpose() * grad_projected.middleRows(k * H, H);
    grad_projected.bottomRows(H) = grad_state_next;  // dL/dp_n = dn~, not r * dn~
  }

  /// Streaming: advances one sample's state h (H values) by one input x (d values), in place.
  /// No allocation: the buffers are allocated in the constructor.
  void step(const Scalar* x, Scalar* state) {
    const Index H = options_.hidden_size, G = kGates * H;
    const auto& b_hh = recurrent_bias_.value;
    VectorMap<Scalar> projected(stream_scratch_.data(), G);
    VectorMap<Scalar> gates(stream_scratch_.data() + G, G);
    projected.noalias() = input_weight_.matrix() * ConstVectorMap<Scalar>(x, options_.input_size);
    projected += input_bias_.value;
    gates.head(2 * H) = projected.head(2 * H) + b_hh.head(2 * H);
    gates.tail(H) = b_hh.tail(H);
    gates.noalias() += recurrent_weight_.matrix() * ConstVectorMap<Scalar>(state, H);
    gate_epilogue(H, projected.data() + 2 * H, gates.data(), state, state);
  }

 private:
  static const GRUCellOptions& validated(const GRUCellOptions& options) {
    require_positive("GRU cell input size d", options.input_size);
    require_positive("GRU cell hidden size H", options.hidden_size);
    return options;
  }

  // One sample. On entry gates[0, 3H) holds [p_r + q_r + b_hr; p_z + q_z + b_hz; q_n + b_hn]
  // and projected_n holds p_n; on exit gates[0, 4H) holds r, z, n, hn. h_prev may alias h_next
  // (the streaming step updates in place).
  static void gate_epilogue(Index H, const Scalar* projected_n, Scalar* gates, const Scalar* h_prev,
                            Scalar* h_next) {
    using detail::load_lanes;
    using detail::store_lanes;
    detail::for_each_lane<Scalar>(H, [&](Index j, auto lanes) {
      using V = typename decltype(lanes)::type;
      const V r = detail::sigmoid_of(load_lanes<V>(gates + j));
      const V z = detail::sigmoid_of(load_lanes<V>(gates + H + j));
      const V hn = load_lanes<V>(gates + 2 * H + j);
      const V n = detail::tanh_of(load_lanes<V>(projected_n + j) + r * hn);
      store_lanes(gates + j, r);
      store_lanes(gates + H + j, z);
      store_lanes(gates + 2 * H + j, n);
      store_lanes(gates + 3 * H + j, hn);
      store_lanes(h_next + j, n + z * (load_lanes<V>(h_prev + j) - n));
    });
  }

  GRUCellOptions options_;
  Vector<Scalar> stream_scratch_;  // 7H: the projection (3H) and gates (4H) of the streaming step
};

}  // namespace wrnn
