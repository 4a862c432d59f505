/// \file
/// Optimizers with PyTorch's update rules (torch.optim.Adam and torch.optim.SGD, 1.13).
#pragma once

#include <cmath>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"

namespace wrnn {

namespace detail {
// The size of an optimizer's state for a parameter: none while it is frozen.
template <class Scalar>
Index trained_size(const NamedParameter<Scalar>& named) {
  return named.parameter->frozen() ? 0 : named.parameter->size();
}

// Refuses a step after a parameter's frozen state changed: its state would not fit.
template <class Scalar>
void require_same_frozen(const ParameterList<Scalar>& parameters,
                         const std::vector<Vector<Scalar>>& state) {
  for (std::size_t i = 0; i < parameters.size(); ++i)
    if (state[i].size() != trained_size(parameters[i]))
      throw ValueError(concat("optimizer step: parameter '", parameters[i].name, "' is ",
                              parameters[i].parameter->frozen() ? "frozen" : "not frozen",
                              " now but was not when the optimizer was built; freeze "
                              "parameters before building the optimizer"));
}
}  // namespace detail

/// Adam's hyperparameters, PyTorch's defaults.
struct AdamOptions {
  double learning_rate = 1e-3;  ///< lr
  double beta1 = 0.9;           ///< b1, the first moment's decay
  double beta2 = 0.999;         ///< b2, the second moment's decay
  double epsilon = 1e-8;        ///< eps
  double weight_decay = 0.0;    ///< wd, L2 added to the gradient
};

/// Adam with PyTorch's update rule (torch.optim.Adam), step t (bias-corrected, L2 weight decay
/// added to the gradient as PyTorch does):
///
///     g <- g + wd * p
///     m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
///     p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
template <class Scalar>
class Adam {
 public:
  /// An optimizer of `parameters` (the model's parameters(): it keeps their pointers), its
  /// moments zero. \throws ValueError when the learning rate is negative or NaN.
  Adam(ParameterList<Scalar> parameters, const AdamOptions& options = {})
      : parameters_(std::move(parameters)), options_(options) {
    if (!(options.learning_rate >= 0.0))
      throw ValueError(
          detail::concat("Adam learning rate: expected >= 0, received ", options.learning_rate));
    // No state for a frozen parameter (an empty moment), as PyTorch keeps none for a parameter
    // without a gradient.
    for (const auto& named : parameters_) {
      first_moment_.push_back(Vector<Scalar>::Zero(detail::trained_size(named)));
      second_moment_.push_back(Vector<Scalar>::Zero(detail::trained_size(named)));
    }
  }

  /// Sets lr for the following steps (a schedule's).
  void set_learning_rate(double learning_rate) { options_.learning_rate = learning_rate; }
  double learning_rate() const { return options_.learning_rate; }  ///< The current lr.
  /// Sets b1 for the following steps (OneCycleSchedule's momentum; the bias correction uses the
  /// current b1, as PyTorch's does).
  void set_beta1(double beta1) { options_.beta1 = beta1; }
  double beta1() const { return options_.beta1; }       ///< The current b1.
  long long step_count() const { return step_count_; }  ///< Steps taken: t of the last step.

  /// Updates every parameter from its gradient (the gradient itself is read, and changed only by
  /// a non-zero weight decay); frozen parameters are left alone.
  /// \throws ValueError when a parameter was frozen or unfrozen after the optimizer was built.
  void step() {
    detail::require_same_frozen(parameters_, first_moment_);
    ++step_count_;
    const double t = static_cast<double>(step_count_);
    const double bias_correction1 = 1.0 - std::pow(options_.beta1, t);
    const double bias_correction2 = 1.0 - std::pow(options_.beta2, t);
    const Scalar step_size = static_cast<Scalar>(options_.learning_rate / bias_correction1);
    const Scalar sqrt_bias_correction2 = static_cast<Scalar>(std::sqrt(bias_correction2));
    const Scalar beta1 = static_cast<Scalar>(options_.beta1);
    const Scalar beta2 = static_cast<Scalar>(options_.beta2);
    const Scalar epsilon = static_cast<Scalar>(options_.epsilon);
    const Scalar weight_decay = static_cast<Scalar>(options_.weight_decay);
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      Parameter<Scalar>& p = *parameters_[i].parameter;
      if (p.frozen()) continue;
      auto m = first_moment_[i].array();
      auto v = second_moment_[i].array();
      auto g = p.grad.array();
      if (weight_decay != Scalar(0)) g += weight_decay * p.value.array();
      m = beta1 * m + (Scalar(1) - beta1) * g;
      v = beta2 * v + (Scalar(1) - beta2) * g.square();
      p.value.array() -= step_size * m / (v.sqrt() / sqrt_bias_correction2 + epsilon);
    }
  }

  /// The first moments m, one per parameter in parameter order (the state a checkpoint keeps).
  std::vector<Vector<Scalar>>& first_moments() { return first_moment_; }
  /// The second moments v, one per parameter in parameter order.
  std::vector<Vector<Scalar>>& second_moments() { return second_moment_; }
  /// Restores the step count t (a checkpoint's).
  void set_step_count(long long count) { step_count_ = count; }

 private:
  ParameterList<Scalar> parameters_;
  AdamOptions options_;
  std::vector<Vector<Scalar>> first_moment_, second_moment_;
  long long step_count_ = 0;
};

/// SGD's hyperparameters.
struct SgdOptions {
  double learning_rate = 1e-2;  ///< lr
  double momentum = 0.0;        ///< mu; 0 is plain SGD
  double dampening = 0.0;       ///< d
  double weight_decay = 0.0;    ///< wd, L2 added to the gradient
  bool nesterov = false;        ///< Nesterov momentum
};

/// SGD with PyTorch's update rule (torch.optim.SGD), momentum mu and dampening d:
///
///     g <- g + wd * p;  buf <- g at the first step, else mu buf + (1 - d) g
///     p <- p - lr * (nesterov ? g + mu buf : buf)          (plain SGD when mu = 0)
template <class Scalar>
class Sgd {
 public:
  /// An optimizer of `parameters` (the model's parameters(): it keeps their pointers).
  /// \throws ValueError when the learning rate is negative or NaN.
  Sgd(ParameterList<Scalar> parameters, const SgdOptions& options = {})
      : parameters_(std::move(parameters)), options_(options) {
    if (!(options.learning_rate >= 0.0))
      throw ValueError(
          detail::concat("SGD learning rate: expected >= 0, received ", options.learning_rate));
    for (const auto& named : parameters_)  // none for a frozen parameter, as in Adam
      momentum_buffer_.push_back(Vector<Scalar>::Zero(detail::trained_size(named)));
  }

  /// Sets lr for the following steps (a schedule's).
  void set_learning_rate(double learning_rate) { options_.learning_rate = learning_rate; }
  double learning_rate() const { return options_.learning_rate; }  ///< The current lr.
  /// Sets mu for the following steps (OneCycleSchedule's momentum).
  void set_momentum(double momentum) { options_.momentum = momentum; }
  double momentum() const { return options_.momentum; }  ///< The current mu.
  long long step_count() const { return step_count_; }   ///< Steps taken.

  /// Updates every parameter from its gradient; frozen parameters are left alone.
  /// \throws ValueError when a parameter was frozen or unfrozen after the optimizer was built.
  void step() {
    detail::require_same_frozen(parameters_, momentum_buffer_);
    const Scalar lr = static_cast<Scalar>(options_.learning_rate);
    const Scalar mu = static_cast<Scalar>(options_.momentum);
    const Scalar damp = static_cast<Scalar>(options_.dampening);
    const Scalar weight_decay = static_cast<Scalar>(options_.weight_decay);
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      Parameter<Scalar>& p = *parameters_[i].parameter;
      if (p.frozen()) continue;
      auto g = p.grad.array();
      if (weight_decay != Scalar(0)) g += weight_decay * p.value.array();
      if (mu == Scalar(0)) {
        p.value.array() -= lr * g;
        continue;
      }
      auto buf = momentum_buffer_[i].array();
      if (step_count_ == 0)
        buf = g;
      else
        buf = mu * buf + (Scalar(1) - damp) * g;
      if (options_.nesterov)
        p.value.array() -= lr * (g + mu * buf);
      else
        p.value.array() -= lr * buf;
    }
    ++step_count_;
  }

  /// The momentum buffers, one per parameter in parameter order (the state a checkpoint keeps).
  std::vector<Vector<Scalar>>& momentum_buffers() { return momentum_buffer_; }
  /// Restores the step count (a checkpoint's).
  void set_step_count(long long count) { step_count_ = count; }

 private:
  ParameterList<Scalar> parameters_;
  SgdOptions options_;
  std::vector<Vector<Scalar>> momentum_buffer_;
  long long step_count_ = 0;
};

}  // namespace wrnn
