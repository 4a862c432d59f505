/// \file
/// The feed-forward baseline of the paper's sequential-image tables: a readout over the whole
/// sequence at once, flattened, with no recurrence (FlatClassifier).
#pragma once

#include <cstring>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/sequence.hpp"
#include "wrnn/model/readout.hpp"

namespace wrnn {

/// A classifier that sees a sequence x[T][B][d] all at once: each sample's T steps are laid end
/// to end into one vector of T*d inputs and a Readout maps it to the outputs, as the authors'
/// `fc` baseline of sMNIST (`x.permute(1, 0, 2).reshape(B, -1)`, then `nn.Linear(784, n_out)`,
/// or `Linear(784, H) -> ReLU -> Linear(H, n_out)` with their MLP decoder):
///
///     f_b = [x_1(b, :), x_2(b, :), ..., x_T(b, :)]     f(t*d + e, b) = x[t][b][e]
///     linear: y_b = W f_b + b                          weight [o, T*d], bias [o]
///     mlp:    y_b = W2 relu(W0 f_b + b0) + b2          0.weight [H, T*d], ..., 2.bias [o]
///
/// Backward (dY given) is the readout's (Readout): dW += dY F^T, db += sum dY, and so on; the
/// gradient with respect to the inputs is not needed and is thrown away.
///
/// It has SequenceModel's interface for training and evaluation (forward, infer, outputs,
/// backward, parameters, init, weight_count), so train_step() and the optimizers take it alike;
/// one output per sequence (ReadoutMode::last_step). Parameter names are the authors':
/// "readout.weight", "readout.bias" ("readout.0.weight", ... for the MLP). It runs on the
/// caller's thread: its work is one matrix product per layer.
template <class ScalarType>
class FlatClassifier {
 public:
  using Scalar = ScalarType;  ///< float or double.

  /// A classifier of sequences of `steps` steps of `features` inputs, its parameters zero until
  /// init().
  /// \throws ValueError when steps or features is not positive, when readout.mode is not
  ///         last_step (one output per sequence), or when the readout's options are (Readout).
  FlatClassifier(Index steps, Index features, const ReadoutOptions& readout)
      : steps_(checked_size("steps", steps)),
        features_(checked_size("features", features)),
        readout_(checked_mode(readout), steps * features) {
    append_prefixed(parameters_, "readout", readout_.parameters());
  }

  /// Not copyable: parameters() points into the readout's own parameters.
  FlatClassifier(const FlatClassifier&) = delete;
  /// Not copyable: parameters() points into the readout's own parameters.
  FlatClassifier& operator=(const FlatClassifier&) = delete;
  /// Moving keeps the parameters where they are (the readout's vector moves its buffer).
  FlatClassifier(FlatClassifier&&) = default;

  Index steps() const { return steps_; }                       ///< T, the steps of every sequence.
  Index features() const { return features_; }                 ///< d, the inputs of a step.
  Index input_size() const { return steps_ * features_; }      ///< T*d, what the readout reads.
  Readout<Scalar>& readout() { return readout_; }              ///< The readout.
  const Readout<Scalar>& readout() const { return readout_; }  ///< The readout.

  /// Every parameter, the readout's, in the order optimizers and weight files use.
  const ParameterList<Scalar>& parameters() const { return parameters_; }
  /// The paper's count: weights only, biases left out.
  Index weight_count() const { return count_weights(parameters_); }

  /// PyTorch's default Linear init for every layer (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the
  /// weight and the bias), from `rng`.
  void init(Rng& rng) { readout_.init(rng); }

  /// The outputs o x B of the batch; keeps the flattened inputs for backward().
  /// \throws ShapeError when the inputs are not T steps of d features.
  const Matrix<Scalar>& forward(const Sequence<Scalar>& inputs) {
    run(inputs);
    has_tape_ = true;
    return outputs_;
  }
  /// The same outputs as forward(), bit for bit; backward() cannot follow it.
  /// \throws ShapeError as forward().
  const Matrix<Scalar>& infer(const Sequence<Scalar>& inputs) {
    run(inputs);
    has_tape_ = false;
    return outputs_;
  }
  /// The outputs of the last forward() or infer().
  const Matrix<Scalar>& outputs() const { return outputs_; }

  /// Adds dL/dtheta for every parameter not frozen to its .grad, given dL/doutputs (o x B).
  /// \throws Error when no forward() came before (or infer() came since).
  /// \throws ShapeError when grad_outputs is not the shape of the outputs.
  // Defined after the class, as run(): not inline, so that a unit that declares the explicit
  // instantiation (`extern template class FlatClassifier<float>`) leaves the readout's products
  // to the one unit that instantiates them.
  void backward(const Matrix<Scalar>& grad_outputs);

 private:
  static Index checked_size(const char* what, Index size) {
    if (size <= 0)
      throw ValueError(detail::concat("FlatClassifier ", what, ": expected > 0, received ", size));
    return size;
  }
  static const ReadoutOptions& checked_mode(const ReadoutOptions& options) {
    if (options.mode != ReadoutMode::last_step)
      throw ValueError(
          "FlatClassifier readout mode: expected last_step (one output per "
          "sequence), received " +
          to_string(options.mode));
    return options;
  }

  void run(const Sequence<Scalar>& inputs);

  Index steps_, features_;
  Readout<Scalar> readout_;
  ParameterList<Scalar> parameters_;
  bool has_tape_ = false;
  Matrix<Scalar> flat_, hidden_, outputs_, grad_hidden_, grad_flat_;
};

template <class ScalarType>
void FlatClassifier<ScalarType>::backward(const Matrix<Scalar>& grad_outputs) {
  if (!has_tape_) throw Error("FlatClassifier::backward: call forward first");
  require_size("FlatClassifier::backward gradient rows", outputs_.rows(), grad_outputs.rows());
  require_size("FlatClassifier::backward gradient columns", outputs_.cols(), grad_outputs.cols());
  std::vector<Scalar*> grads;
  for (const auto& named : parameters_)
    grads.push_back(named.parameter->frozen() ? nullptr : named.parameter->grad.data());
  grad_hidden_.resize(hidden_.rows(), hidden_.cols());
  grad_flat_.setZero(flat_.rows(), flat_.cols());  // the readout adds into it
  readout_.backward(flat_, hidden_, grad_outputs, grad_hidden_, grad_flat_, grads.data());
}

template <class ScalarType>
void FlatClassifier<ScalarType>::run(const Sequence<Scalar>& inputs) {
  if (inputs.steps() != steps_ || inputs.features() != features_)
    throw ShapeError(detail::concat("FlatClassifier: expected sequences of ", steps_, " steps of ",
                                    features_, " features, received ", inputs.steps(), " steps of ",
                                    inputs.features()));
  const Index batch = inputs.batch();
  flat_.resize(input_size(), batch);
  // Column b is sample b's steps end to end: step t's d values, contiguous in the sequence
  // (x[t][b][:]), go to rows t*d .. t*d + d - 1.
  for (Index b = 0; b < batch; ++b)
    for (Index t = 0; t < steps_; ++t)
      std::memcpy(flat_.col(b).data() + t * features_, inputs.step(t).col(b).data(),
                  static_cast<std::size_t>(features_) * sizeof(Scalar));
  hidden_.resize(readout_.hidden_size(), batch);
  outputs_.resize(readout_.output_size(), batch);
  readout_.forward(flat_, hidden_, outputs_);
}

}  // namespace wrnn
