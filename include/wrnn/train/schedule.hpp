/// \file
/// Learning-rate schedules of a closed or one-line recursive form, as PyTorch's StepLR
/// (StepSchedule), ExponentialLR (ExponentialSchedule) and CosineAnnealingLR
/// (CosineAnnealingSchedule). OneCycleLR and ReduceLROnPlateau are in one_cycle_schedule.hpp and
/// plateau_schedule.hpp.
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

/// Exponential learning-rate schedule, as torch.optim.lr_scheduler.ExponentialLR stepped by
/// step(): lr starts at base_lr and every step() multiplies it by gamma,
///
///     lr(epoch) = base_lr * gamma^epoch
///
/// computed as PyTorch's step() does, one product per step, so that the values are PyTorch's to
/// the last bit rather than pow()'s.
class ExponentialSchedule {
 public:
  /// A schedule at lr = `base_learning_rate`, epoch 0.
  /// \throws ValueError unless base_learning_rate >= 0 and gamma > 0.
  ExponentialSchedule(double base_learning_rate, double gamma)
      : learning_rate_(base_learning_rate), gamma_(gamma) {
    if (!(base_learning_rate >= 0.0))
      throw ValueError(
          detail::concat("ExponentialSchedule base learning rate: expected >= 0, "
                         "received ",
                         base_learning_rate));
    require_positive("ExponentialSchedule gamma", gamma);
  }
  /// The lr for the current epoch.
  double learning_rate() const { return learning_rate_; }
  /// Steps taken (PyTorch's last_epoch).
  long long epoch() const { return epoch_; }
  /// Moves to the next epoch (PyTorch's scheduler.step()).
  void step() {
    ++epoch_;
    learning_rate_ *= gamma_;
  }

 private:
  double learning_rate_;
  double gamma_;
  long long epoch_ = 0;
};

/// Cosine annealing, as torch.optim.lr_scheduler.CosineAnnealingLR stepped by step(): from
/// eta_max = base_lr down to eta_min over T_max epochs, and (PyTorch's behaviour past T_max)
/// back up over the next T_max, periodically:
///
///     lr(epoch) = eta_min + (eta_max - eta_min) (1 + cos(pi epoch / T_max)) / 2
///
/// computed with PyTorch's recursive form (each lr from the previous one), which is what its
/// step() produces; the closed form above differs from it by rounding, relatively most where
/// lr is near eta_min.
class CosineAnnealingSchedule {
 public:
  /// A schedule at lr = `base_learning_rate` (eta_max), epoch 0, with period 2 T_max =
  /// 2 `half_period` and minimum `minimum_learning_rate` (eta_min).
  /// \throws ValueError unless half_period > 0 and base_learning_rate >= 0.
  CosineAnnealingSchedule(double base_learning_rate, long long half_period,
                          double minimum_learning_rate = 0.0)
      : base_(base_learning_rate),
        learning_rate_(base_learning_rate),
        eta_min_(minimum_learning_rate),
        t_max_(half_period) {
    require_positive("CosineAnnealingSchedule T_max", half_period);
    if (!(base_learning_rate >= 0.0))
      throw ValueError(
          detail::concat("CosineAnnealingSchedule base learning rate: expected >= 0, "
                         "received ",
                         base_learning_rate));
  }
  /// The lr for the current epoch.
  double learning_rate() const { return learning_rate_; }
  /// Steps taken (PyTorch's last_epoch).
  long long epoch() const { return epoch_; }
  /// Moves to the next epoch (PyTorch's scheduler.step()).
  void step() {
    ++epoch_;
    constexpr double kPi = 3.141592653589793;  // Python's math.pi
    const double t_max = static_cast<double>(t_max_);
    // The operations in PyTorch's order, so that the rounding is the same.
    if ((epoch_ - 1 - t_max_) % (2 * t_max_) == 0) {
      // Leaving the minimum: the ratio below would divide by 1 + cos(pi) = 0.
      learning_rate_ = learning_rate_ + (base_ - eta_min_) * (1.0 - std::cos(kPi / t_max)) / 2.0;
    } else {
      learning_rate_ = (1.0 + std::cos(kPi * static_cast<double>(epoch_) / t_max)) /
                           (1.0 + std::cos(kPi * static_cast<double>(epoch_ - 1) / t_max)) *
                           (learning_rate_ - eta_min_) +
                       eta_min_;
    }
  }

 private:
  double base_;
  double learning_rate_;
  double eta_min_;
  long long t_max_;
  long long epoch_ = 0;
};

}  // namespace wrnn
