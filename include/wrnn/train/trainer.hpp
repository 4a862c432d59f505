/// \file
/// One training step: forward, loss, backward, clip, optimizer update; and a no-grad evaluation.
#pragma once

#include <cmath>

#include "wrnn/core/error.hpp"
#include "wrnn/core/sequence.hpp"
#include "wrnn/train/gradient_clipping.hpp"
#include "wrnn/train/loss.hpp"

namespace wrnn {

/// What a training step measured.
struct StepResult {
  double loss = 0.0;           ///< The batch's loss before the update.
  double gradient_norm = 0.0;  ///< The global gradient norm, before clipping.
};

/// One training step of `model` on a batch: forward, loss, backward, clip to
/// `max_gradient_norm` (<= 0 disables clipping, the authors' "grad clip 0"), optimizer update.
/// `step_number` is only named in the error when training has to stop.
/// \throws NumericalError when the loss or the gradient norm is not finite, before the optimizer
///         would write NaN into the weights.
/// \throws ShapeError, ValueError when the inputs or targets do not fit the model (see
///         SequenceModel::forward and the loss).
template <class Model, class Optimizer>
StepResult train_step(Model& model, Optimizer& optimizer,
                      const Sequence<typename Model::Scalar>& inputs,
                      const Targets<typename Model::Scalar>& targets, LossKind loss_kind,
                      double max_gradient_norm, long long step_number) {
  using Scalar = typename Model::Scalar;
  const Matrix<Scalar>& outputs = model.forward(inputs);
  // Reused from step to step: allocating it anew costs page faults on every step.
  thread_local Matrix<Scalar> grad_outputs;
  StepResult result;
  result.loss = compute_loss(loss_kind, outputs, targets, grad_outputs);
  if (!std::isfinite(result.loss))
    throw NumericalError(detail::concat("training step ", step_number, ": the ",
                                        to_string(loss_kind), " loss is ", result.loss,
                                        "; stopping before the weights are updated"));
  zero_gradients(model.parameters());
  model.backward(grad_outputs);
  result.gradient_norm = max_gradient_norm > 0.0
                             ? clip_gradient_norm(model.parameters(), max_gradient_norm)
                             : gradient_norm(model.parameters());
  if (!std::isfinite(result.gradient_norm))
    throw NumericalError(detail::concat("training step ", step_number, ": the gradient norm is ",
                                        result.gradient_norm,
                                        "; stopping before the weights are updated"));
  optimizer.step();
  return result;
}

/// The loss of the model on a batch, without touching gradients (and without a tape).
template <class Model>
double evaluate_loss(Model& model, const Sequence<typename Model::Scalar>& inputs,
                     const Targets<typename Model::Scalar>& targets, LossKind loss_kind) {
  Matrix<typename Model::Scalar> unused_grad;
  return compute_loss(loss_kind, model.infer(inputs), targets, unused_grad);
}

}  // namespace wrnn
