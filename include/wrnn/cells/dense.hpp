// The dense recurrent cell: the iRNN (Le et al. 2015) and plain RNN baselines.
//
// Forward, one step (PAPER.md section 1, "iRNN and dense baselines"):
//   p_t = V x_t + b_V                          (input projection, done by SequenceModel)
//   z_t = U h_{t-1} + b_U + p_t,   h_t = act(z_t)
// Backward, one step:
//   dz_t = dL/dh_t * act'(z_t),   dL/dp_t = dz_t
//   dL/dU += dz_t h_{t-1}^T,      dL/db_U += sum over the batch of dz_t
//   dL/dh_{t-1} = U^T dz_t
//
// Parameters (the authors' names, PyTorch layouts): Wx.weight [N, d], Wx.bias [N],
// Wy.weight [N, N], Wy.bias [N].
#pragma once

#include <vector>

#include "wrnn/cells/cell_parameters.hpp"
#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/activation.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/state_layout.hpp"

namespace wrnn {

struct DenseCellOptions {
  Index input_size = 1;     // d
  Index hidden_size = 100;  // N
  Activation activation = Activation::relu;
  RecurrentInit recurrent_init = RecurrentInit::identity;  // the iRNN
  InputInit input_init = InputInit::solo;
};

template <class Scalar_>
class DenseCell : public CellParameters<Scalar_> {
  using Parameters = CellParameters<Scalar_>;
  using Parameters::input_weight_, Parameters::input_bias_, Parameters::recurrent_weight_,
      Parameters::recurrent_bias_;
  using Parameters::kRecurrentWeight, Parameters::kRecurrentBias;

 public:
  using Scalar = Scalar_;
  using Options = DenseCellOptions;
  // A sample's state is a column: the step is a matrix product (state_layout.hpp).
  static constexpr StateLayout state_layout = StateLayout::sample_columns;

  explicit DenseCell(const DenseCellOptions& options)
      : Parameters(named_parameters(validated(options))),
        options_(options),
        stream_scratch_(Vector<Scalar>::Zero(options.hidden_size)) {}

  const DenseCellOptions& options() const { return options_; }
  Index input_size() const { return options_.input_size; }
  Index state_size() const { return options_.hidden_size; }
  Index output_size() const { return options_.hidden_size; }
  Index projection_size() const { return options_.hidden_size; }
  Index tape_size() const { return 0; }

  void init(Rng& rng) {
    const Index N = options_.hidden_size;
    fill_pytorch_default(recurrent_weight_, N, rng);
    fill_pytorch_default(recurrent_bias_, N, rng);
    if (options_.recurrent_init != RecurrentInit::random) {
      // identity: U = I. shift: the identity rolled by +1 along columns, U[i][i+1 mod N] = 1, so
      // (U h)[i] = h[i + 1] as for the wave cell. Both start with b_U = 0, as the iRNN does.
      const Index offset = options_.recurrent_init == RecurrentInit::shift ? 1 : 0;
      auto U = recurrent_weight_.matrix();
      U.setZero();
      for (Index i = 0; i < N; ++i) U(i, (i + offset) % N) = Scalar(1);
      recurrent_bias_.value.setZero();
    }
    init_input_projection(input_weight_, input_bias_, options_.input_init, Index{1}, N, rng);
  }

  void forward_step(ConstMatrixMap<Scalar> projected, ConstMatrixMap<Scalar> state_prev,
                    MatrixMap<Scalar> state_next, MatrixMap<Scalar> /*tape*/) const {
    if (state_next.data() != projected.data()) state_next = projected;  // may alias, see concept
    state_next.colwise() += recurrent_bias_.value;
    state_next.noalias() += recurrent_weight_.matrix() * state_prev;
    apply_activation(options_.activation, state_next);
  }

  // Same contract as WaveCell::backward_step.
  void backward_step(ConstMatrixMap<Scalar> state_prev, ConstMatrixMap<Scalar> state_next,
                     ConstMatrixMap<Scalar> /*tape*/, MatrixMap<Scalar> grad_state_next,
                     MatrixMap<Scalar> grad_projected, MatrixMap<Scalar> grad_state_prev,
                     Scalar* const* grads) const {
    const Index N = options_.hidden_size;
    activation_gradient(options_.activation, state_next, grad_state_next, grad_projected);
    RowMatrixMap<Scalar>(grads[kRecurrentWeight], N, N).noalias() +=
        grad_projected * state_prev.transpose();
    VectorMap<Scalar>(grads[kRecurrentBias], N) += grad_projected.rowwise().sum();
    grad_state_prev.noalias() = recurrent_weight_.matrix().transpose() * grad_projected;
  }

  // Streaming: advance one sample's state by one input x (d values), in place. No allocation.
  void step(const Scalar* x, Scalar* state) {
    const Index N = options_.hidden_size;
    VectorMap<Scalar> pre(stream_scratch_.data(), N);
    pre.noalias() = input_weight_.matrix() * ConstVectorMap<Scalar>(x, options_.input_size);
    pre += input_bias_.value + recurrent_bias_.value;
    pre.noalias() += recurrent_weight_.matrix() * ConstVectorMap<Scalar>(state, N);
    apply_activation(options_.activation, pre);
    VectorMap<Scalar>(state, N) = pre;
  }

 private:
  // The four tensors, named and shaped, for options already validated.
  static Parameters named_parameters(const DenseCellOptions& options) {
    return Parameters(
        Parameter<Scalar>("Wx.weight", {options.hidden_size, options.input_size}, false),
        Parameter<Scalar>("Wx.bias", {options.hidden_size}, true),
        Parameter<Scalar>("Wy.weight", {options.hidden_size, options.hidden_size}, false),
        Parameter<Scalar>("Wy.bias", {options.hidden_size}, true));
  }

  static const DenseCellOptions& validated(const DenseCellOptions& options) {
    require_positive("dense cell input size d", options.input_size);
    require_positive("dense cell hidden size N", options.hidden_size);
    return options;
  }

  DenseCellOptions options_;
  Vector<Scalar> stream_scratch_;
};

}  // namespace wrnn
