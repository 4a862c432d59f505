/// \file
/// Step learning-rate schedule, as torch.optim.lr_scheduler.StepLR (StepSchedule).
#pragma once

#include <cmath>

#include "wrnn/core/error.hpp"

namespace wrnn {

/// Step learning-rate schedule, as torch.optim.lr_scheduler.StepLR:
///
///     lr(epoch) = base_lr * gamma^floor(epoch / step_size)
///
/// ("epoch" is whatever unit the caller steps it by: training steps or epochs).
class StepSchedule {
 public:
  /// A schedule from base_lr = `base_learning_rate`, multiplied by `gamma` every `step_size`.
  /// \throws ValueError unless step_size > 0.
  StepSchedule(double base_learning_rate, long long step_size, double gamma)
      : base_(base_learning_rate), step_size_(step_size), gamma_(gamma) {
    require_positive("StepSchedule step size", step_size);
  }
  /// lr at `epoch` (0 for the first).
  double learning_rate(long long epoch) const {
    return base_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
  }

 private:
  double base_;
  long long step_size_;
  double gamma_;
};

}  // namespace wrnn
