/// \file
/// The dense recurrent cell: the iRNN (Le et al. 2015) and plain RNN baselines (DenseCell).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "wrnn/cells/cell_parameters.hpp"
#include "wrnn/cells/initialization.hpp"
#include "wrnn/core/activation.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/state_layout.hpp"

namespace wrnn {

/// The sizes and initialisation of a DenseCell.
struct DenseCellOptions {
  Index input_size = 1;                                    ///< d, the features of one input.
  Index hidden_size = 100;                                 ///< N, the hidden units.
  Activation activation = Activation::relu;                ///< act of h_t = act(z_t).
  RecurrentInit recurrent_init = RecurrentInit::identity;  ///< U's start; identity: the iRNN.
  /// V's start. Normal is the authors' iRNN on the memory tasks; solo is the wave model's init
  /// and, with identity recurrence, leaves every unit but one without input (dead_unit_warning).
  InputInit input_init = InputInit::normal;
};

/// A warning for programs to print when the options leave most units without input, else none.
///
/// With solo input init only unit 0 receives input. Identity recurrence keeps it there, so the
/// other units stay at exactly 0 (with zero biases and ReLU they never get a gradient either);
/// shift moves it one unit per step, so a sequence of T steps reaches only T units. Both are
/// legal ablations, so this is a warning, not an error.
inline std::optional<std::string> dead_unit_warning(const DenseCellOptions& options) {
  if (options.input_init != InputInit::solo || options.hidden_size <= 1) return std::nullopt;
  if (options.recurrent_init == RecurrentInit::identity)
    return std::string(
        "dense cell with identity recurrence and solo input init: only unit 0 of each channel "
        "receives input; the rest stay 0 (use input init normal or pytorch for a baseline)");
  if (options.recurrent_init == RecurrentInit::shift)
    return std::string(
        "dense cell with shift recurrence and solo input init: only unit 0 of each channel "
        "receives input; the rest see it only as it moves one unit per step, so a sequence of T "
        "steps reaches at most T of the " +
        std::to_string(options.hidden_size) + " units");
  return std::nullopt;
}

/// The dense recurrent cell: the iRNN (Le et al. 2015) and plain RNN baselines.
///
/// Forward, one step (docs/model.md, "The iRNN baseline"):
///
///     p_t = V x_t + b_V                          (input projection, done by SequenceModel)
///     z_t = U h_{t-1} + b_U + p_t,   h_t = act(z_t)
///
/// Backward, one step:
///
///     dz_t = dL/dh_t * act'(z_t),   dL/dp_t = dz_t
///     dL/dU += dz_t h_{t-1}^T,      dL/db_U += sum over the batch of dz_t
///     dL/dh_{t-1} = U^T dz_t
///
/// Parameters (the authors' names, PyTorch layouts): Wx.weight [N, d], Wx.bias [N],
/// Wy.weight [N, N], Wy.bias [N]. A model of the cell concept (cell_concept.hpp).
template <class Scalar_>
class DenseCell : public CellParameters<Scalar_> {
  using Parameters = CellParameters<Scalar_>;
  using Parameters::input_weight_, Parameters::input_bias_, Parameters::recurrent_weight_,
      Parameters::recurrent_bias_;
  using Parameters::kRecurrentWeight, Parameters::kRecurrentBias;

 public:
  using Scalar = Scalar_;            ///< float for speed, double for gradient checks.
  using Options = DenseCellOptions;  ///< The cell's options.
  /// A sample's state is a column: the step is a matrix product (state_layout.hpp).
  static constexpr StateLayout state_layout = StateLayout::sample_columns;

  /// A cell of the given sizes, its parameters zero until init().
  /// \throws ValueError when input_size or hidden_size is not positive.
  explicit DenseCell(const DenseCellOptions& options)
      : Parameters(named_parameters(validated(options))),
        options_(options),
        stream_scratch_(Vector<Scalar>::Zero(options.hidden_size)) {}

  const DenseCellOptions& options() const { return options_; }  ///< The options it was built with.
  Index input_size() const { return options_.input_size; }      ///< d.
  Index state_size() const { return options_.hidden_size; }     ///< N values per sample.
  Index output_size() const { return options_.hidden_size; }    ///< N: the readout sees all.
  Index projection_size() const { return options_.hidden_size; }  ///< N rows of p_t.
  Index tape_size() const { return 0; }  ///< 0: backward needs only h_{t-1} and h_t.

  /// Draws the parameters: U and b_U as PyTorch's default, then U = I (identity) or the shifted
  /// identity (shift) with b_U = 0 unless the recurrent init is random; V, b_V as the input init
  /// says.
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

  /// One step over a batch: state_next = act(U state_prev + b_U + projected). All matrices are
  /// N x B column-major; `projected` may alias `state_next` (cell_concept.hpp).
  void forward_step(ConstMatrixMap<Scalar> projected, ConstMatrixMap<Scalar> state_prev,
                    MatrixMap<Scalar> state_next, MatrixMap<Scalar> /*tape*/) const {
    if (state_next.data() != projected.data()) state_next = projected;  // may alias, see concept
    state_next.colwise() += recurrent_bias_.value;
    state_next.noalias() += recurrent_weight_.matrix() * state_prev;
    apply_activation(options_.activation, state_next);
  }

  /// One reverse step, the same contract as WaveCell::backward_step: grad_state_next holds
  /// dL/dh_t on entry; writes dL/dp_t into grad_projected and dL/dh_{t-1} into grad_state_prev;
  /// adds dL/dU and dL/db_U into grads[kRecurrentWeight], grads[kRecurrentBias].
  void backward_step(ConstMatrixMap<Scalar> state_prev, ConstMatrixMap<Scalar> state_next,
                     ConstMatrixMap<Scalar> /*tape*/, MatrixMap<Scalar> grad_state_next,
                     MatrixMap<Scalar> grad_projected, MatrixMap<Scalar> grad_state_prev,
                     Scalar* const* grads) const {
    const Index N = options_.hidden_size;
    activation_gradient(options_.activation, state_next, grad_state_next, grad_projected);
    if (grads[kRecurrentWeight] != nullptr)  // null: frozen (Parameter::frozen)
      RowMatrixMap<Scalar>(grads[kRecurrentWeight], N, N).noalias() +=
          grad_projected * state_prev.transpose();
    if (grads[kRecurrentBias] != nullptr)
      VectorMap<Scalar>(grads[kRecurrentBias], N) += grad_projected.rowwise().sum();
    grad_state_prev.noalias() = recurrent_weight_.matrix().transpose() * grad_projected;
  }

  /// Streaming: advances one sample's state (N values) by one input x (d values), in place.
  /// No allocation.
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
