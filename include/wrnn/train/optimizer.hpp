// Optimizers with PyTorch's update rules (torch.optim.Adam and torch.optim.SGD, 1.13).
//
// Adam, step t (bias-corrected, L2 weight decay added to the gradient as PyTorch does):
//   g <- g + wd * p
//   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//   p <- p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// SGD with momentum mu and dampening d:
//   g <- g + wd * p;  buf <- g at the first step, else mu buf + (1 - d) g
//   p <- p - lr * (nesterov ? g + mu buf : buf)          (plain SGD when mu = 0)
#pragma once

#include <cmath>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"

namespace wrnn {

struct AdamOptions {
  double learning_rate = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weight_decay = 0.0;
};

template <class Scalar>
class Adam {
 public:
  Adam(ParameterList<Scalar> parameters, const AdamOptions& options = {})
      : parameters_(std::move(parameters)), options_(options) {
    if (!(options.learning_rate >= 0.0))
      throw ValueError(
          detail::concat("Adam learning rate: expected >= 0, received ", options.learning_rate));
    for (const auto& named : parameters_) {
      first_moment_.push_back(Vector<Scalar>::Zero(named.parameter->size()));
      second_moment_.push_back(Vector<Scalar>::Zero(named.parameter->size()));
    }
  }

  void set_learning_rate(double learning_rate) { options_.learning_rate = learning_rate; }
  double learning_rate() const { return options_.learning_rate; }
  long long step_count() const { return step_count_; }

  void step() {
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
      auto m = first_moment_[i].array();
      auto v = second_moment_[i].array();
      auto g = p.grad.array();
      if (weight_decay != Scalar(0)) g += weight_decay * p.value.array();
      m = beta1 * m + (Scalar(1) - beta1) * g;
      v = beta2 * v + (Scalar(1) - beta2) * g.square();
      p.value.array() -= step_size * m / (v.sqrt() / sqrt_bias_correction2 + epsilon);
    }
  }

  // The state a checkpoint needs: step count and both moments, in parameter order.
  std::vector<Vector<Scalar>>& first_moments() { return first_moment_; }
  std::vector<Vector<Scalar>>& second_moments() { return second_moment_; }
  void set_step_count(long long count) { step_count_ = count; }

 private:
  ParameterList<Scalar> parameters_;
  AdamOptions options_;
  std::vector<Vector<Scalar>> first_moment_, second_moment_;
  long long step_count_ = 0;
};

struct SgdOptions {
  double learning_rate = 1e-2;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

template <class Scalar>
class Sgd {
 public:
  Sgd(ParameterList<Scalar> parameters, const SgdOptions& options = {})
      : parameters_(std::move(parameters)), options_(options) {
    if (!(options.learning_rate >= 0.0))
      throw ValueError(
          detail::concat("SGD learning rate: expected >= 0, received ", options.learning_rate));
    for (const auto& named : parameters_)
      momentum_buffer_.push_back(Vector<Scalar>::Zero(named.parameter->size()));
  }

  void set_learning_rate(double learning_rate) { options_.learning_rate = learning_rate; }
  double learning_rate() const { return options_.learning_rate; }
  long long step_count() const { return step_count_; }

  void step() {
    const Scalar lr = static_cast<Scalar>(options_.learning_rate);
    const Scalar mu = static_cast<Scalar>(options_.momentum);
    const Scalar damp = static_cast<Scalar>(options_.dampening);
    const Scalar weight_decay = static_cast<Scalar>(options_.weight_decay);
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      Parameter<Scalar>& p = *parameters_[i].parameter;
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

  std::vector<Vector<Scalar>>& momentum_buffers() { return momentum_buffer_; }
  void set_step_count(long long count) { step_count_ = count; }

 private:
  ParameterList<Scalar> parameters_;
  SgdOptions options_;
  std::vector<Vector<Scalar>> momentum_buffer_;
  long long step_count_ = 0;
};

}  // namespace wrnn
