// The GRU cell, exactly torch.nn.GRU (one layer): the other gated baseline of the paper's copy and
// adding tasks (PAPER.md section 1, "Gated baselines").
//
// Gates are stacked r, z, n (PyTorch's order) in every weight and bias, H rows each. The reset
// gate multiplies the whole recurrent term of n, bias included, as in PyTorch (and cuDNN).
// Forward, one step (state per sample: h, H values):
//   p_t = W_ih x_t + b_ih                         (input projection, all steps at once: one GEMM
//                                                  done by SequenceModel)
//   q_t = W_hh h_{t-1}                            (one GEMM [3H, H] x [H, b] per step)
//   r  = sigmoid(p_r + q_r + b_hr)
//   z  = sigmoid(p_z + q_z + b_hz)
//   hn = q_n + b_hn
//   n  = tanh(p_n + r * hn)
//   h_t = (1 - z) * n + z * h_{t-1}  =  n + z * (h_{t-1} - n)
// Tape per sample and step (4H values): r, z, n, hn; h_{t-1} comes from the state tape.
//
// Backward, one step (dh_t arrives from the readout and from step t+1):
//   dn~ = dh_t * (1 - z) * (1 - n^2)              (gradient of n's pre-activation)
//   dz~ = dh_t * (h_{t-1} - n) * z (1 - z)
//   dr~ = dn~ * hn * r (1 - r)
//   dL/dp_t = [dr~; dz~; dn~]                     (W_ih, b_ih gradients: one GEMM later)
//   dq      = [dr~; dz~; r * dn~]                 (the recurrent side sees r * dn~ for n)
//   dW_hh += dq h_{t-1}^T,  db_hh += sum over the batch of dq      (one GEMM)
//   dh_{t-1} = W_hh^T dq + z * dh_t                                (one GEMM)
// dq is built in grad_projected's rows, with dn~ parked in grad_state_next (free after use) and
// copied back into the n rows once the two GEMMs are done.
//
// Parameters (PyTorch's names and layouts): weight_ih_l0 [3H, d], bias_ih_l0 [3H],
// weight_hh_l0 [3H, H], bias_hh_l0 [3H]. PyTorch's default init: all U(-1/sqrt(H), 1/sqrt(H)).
#pragma once

#include <vector>

#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"

namespace wrnn {

struct GRUCellOptions {
  Index input_size = 1;     // d
  Index hidden_size = 100;  // H
};

template <class Scalar_>
class GRUCell {
 public:
  using Scalar = Scalar_;
  using Options = GRUCellOptions;
  // The order of parameters(), and of the gradient pointers backward_step receives.
  enum ParameterIndex { kInputWeight, kInputBias, kRecurrentWeight, kRecurrentBias };
  static constexpr Index kGates = 3;  // r, z, n

  explicit GRUCell(const GRUCellOptions& options)
      : options_(validated(options)),
        input_weight_("weight_ih_l0", {kGates * options.hidden_size, options.input_size}, false),
        input_bias_("bias_ih_l0", {kGates * options.hidden_size}, true),
        recurrent_weight_("weight_hh_l0", {kGates * options.hidden_size, options.hidden_size},
                          false),
        recurrent_bias_("bias_hh_l0", {kGates * options.hidden_size}, true),
        stream_scratch_(Vector<Scalar>::Zero((2 * kGates + 1) * options.hidden_size)) {}

  const GRUCellOptions& options() const { return options_; }
  Index hidden_size() const { return options_.hidden_size; }
  Index input_size() const { return options_.input_size; }
  Index state_size() const { return options_.hidden_size; }
  Index output_size() const { return options_.hidden_size; }
  Index projection_size() const { return kGates * options_.hidden_size; }
  Index tape_size() const { return (kGates + 1) * options_.hidden_size; }  // r, z, n, hn

  Parameter<Scalar>& input_weight() { return input_weight_; }
  Parameter<Scalar>& input_bias() { return input_bias_; }
  const Parameter<Scalar>& input_weight() const { return input_weight_; }
  const Parameter<Scalar>& input_bias() const { return input_bias_; }
  Parameter<Scalar>& recurrent_weight() { return recurrent_weight_; }
  Parameter<Scalar>& recurrent_bias() { return recurrent_bias_; }

  std::vector<Parameter<Scalar>*> parameters() {
    return {&input_weight_, &input_bias_, &recurrent_weight_, &recurrent_bias_};
  }

  // torch.nn.GRU.reset_parameters: every tensor U(-1/sqrt(H), 1/sqrt(H)), drawn in PyTorch's
  // order weight_ih, weight_hh, bias_ih, bias_hh.
  void init(Rng& rng) {
    const Index H = options_.hidden_size;
    for (Parameter<Scalar>* p :
         {&input_weight_, &recurrent_weight_, &input_bias_, &recurrent_bias_})
      fill_pytorch_default(*p, H, rng);
  }

  // One step over a batch of b samples. projected: 3H x b, state_prev/state_next: H x b,
  // tape: 4H x b. The tape's first 3H rows receive [p_r + b_hr; p_z + b_hz; b_hn], then the
  // recurrent GEMM adds q = W_hh h into them (accumulating, so Eigen does not first clear the
  // destination), and the epilogue turns them into r, z, n, hn in place.
  void forward_step(ConstMatrixMap<Scalar> projected, ConstMatrixMap<Scalar> state_prev,
                    MatrixMap<Scalar> state_next, MatrixMap<Scalar> tape) const {
    const Index H = options_.hidden_size;
    const auto& b_hh = recurrent_bias_.value;
    tape.topRows(2 * H) = projected.topRows(2 * H).colwise() + b_hh.head(2 * H);
    tape.middleRows(2 * H, H).colwise() = b_hh.tail(H);
    tape.topRows(kGates * H).noalias() += recurrent_weight_.matrix() * state_prev;
    for (Index s = 0; s < state_prev.cols(); ++s)
      gate_epilogue(H, projected.col(s).data() + 2 * H, tape.col(s).data(),
                    state_prev.col(s).data(), state_next.col(s).data());
  }

  // One reverse step. grad_state_next holds dh_t on entry and is used as scratch. Writes dL/dp_t
  // into grad_projected and dh_{t-1} into grad_state_prev; adds the recurrent weight and bias
  // gradients into grads[kRecurrentWeight], grads[kRecurrentBias].
  void backward_step(ConstMatrixMap<Scalar> state_prev, ConstMatrixMap<Scalar> /*state_next*/,
                     ConstMatrixMap<Scalar> tape, MatrixMap<Scalar> grad_state_next,
                     MatrixMap<Scalar> grad_projected, MatrixMap<Scalar> grad_state_prev,
                     Scalar* const* grads) const {
    const Index H = options_.hidden_size, G = kGates * H;
    for (Index s = 0; s < state_prev.cols(); ++s) {
      const Scalar* t = tape.col(s).data();
      const auto r = ConstVectorMap<Scalar>(t, H).array();
      const auto z = ConstVectorMap<Scalar>(t + H, H).array();
      const auto n = ConstVectorMap<Scalar>(t + 2 * H, H).array();
      const auto hn = ConstVectorMap<Scalar>(t + 3 * H, H).array();
      const auto h_prev = ConstVectorMap<Scalar>(state_prev.col(s).data(), H).array();
      // dh_t on entry, dn~ after the third line below.
      auto dh = VectorMap<Scalar>(grad_state_next.col(s).data(), H).array();
      Scalar* dq = grad_projected.col(s).data();
      auto dq_r = VectorMap<Scalar>(dq, H).array();
      auto dq_z = VectorMap<Scalar>(dq + H, H).array();
      auto dq_n = VectorMap<Scalar>(dq + 2 * H, H).array();
      VectorMap<Scalar>(grad_state_prev.col(s).data(), H).array() = dh * z;
      dq_z = dh * (h_prev - n) * z * (Scalar(1) - z);
      dh = dh * (Scalar(1) - z) * (Scalar(1) - n.square());  // now dn~
      dq_r = dh * hn * r * (Scalar(1) - r);
      dq_n = r * dh;
    }
    RowMatrixMap<Scalar>(grads[kRecurrentWeight], G, H).noalias() +=
        grad_projected * state_prev.transpose();
    VectorMap<Scalar>(grads[kRecurrentBias], G) += grad_projected.rowwise().sum();
    grad_state_prev.noalias() += recurrent_weight_.matrix().transpose() * grad_projected;
    grad_projected.bottomRows(H) = grad_state_next;  // dL/dp_n = dn~, not r * dn~
  }

  // Streaming: advance one sample's state h (H values) by one input x (d values), in place.
  // No allocation: the buffers are allocated in the constructor.
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
    if (options.input_size <= 0)
      throw ValueError(
          detail::concat("GRU cell input size d: expected > 0, received ", options.input_size));
    if (options.hidden_size <= 0)
      throw ValueError(
          detail::concat("GRU cell hidden size H: expected > 0, received ", options.hidden_size));
    return options;
  }

  // One sample. On entry gates[0, 3H) holds [p_r + q_r + b_hr; p_z + q_z + b_hz; q_n + b_hn]
  // and projected_n holds p_n; on exit gates[0, 4H) holds r, z, n, hn. h_prev may alias h_next
  // (the streaming step updates in place).
  static void gate_epilogue(Index H, const Scalar* projected_n, Scalar* gates, const Scalar* h_prev,
                            Scalar* h_next) {
    auto r = VectorMap<Scalar>(gates, H).array();
    auto z = VectorMap<Scalar>(gates + H, H).array();
    auto n = VectorMap<Scalar>(gates + 2 * H, H).array();
    auto hn = VectorMap<Scalar>(gates + 3 * H, H).array();
    hn = n;
    // r and z are adjacent: one sigmoid pass covers both.
    auto rz = VectorMap<Scalar>(gates, 2 * H).array();
    rz = rz.logistic();
    n = (ConstVectorMap<Scalar>(projected_n, H).array() + r * hn).tanh();
    const auto h = ConstVectorMap<Scalar>(h_prev, H).array();
    VectorMap<Scalar>(h_next, H).array() = n + z * (h - n);
  }

  GRUCellOptions options_;
  Parameter<Scalar> input_weight_, input_bias_, recurrent_weight_, recurrent_bias_;
  Vector<Scalar> stream_scratch_;  // 7H: the projection (3H) and gates (4H) of the streaming step
};

}  // namespace wrnn
