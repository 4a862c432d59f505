/// \file
/// Reducing the learning rate when a metric stops improving, as
/// torch.optim.lr_scheduler.ReduceLROnPlateau (PlateauSchedule, PlateauOptions).
#pragma once

#include <algorithm>
#include <limits>

#include "wrnn/core/error.hpp"

namespace wrnn {

/// Whether PlateauSchedule's metric improves by falling (a loss) or rising (an accuracy).
enum class PlateauMode {
  min,  ///< 'min', PyTorch's default
  max   ///< 'max'
};

/// How PlateauSchedule's threshold measures a significant improvement.
enum class PlateauThreshold {
  relative,  ///< 'rel', PyTorch's default: better than best * (1 -+ threshold)
  absolute   ///< 'abs': better than best -+ threshold
};

/// PlateauSchedule's options, PyTorch's defaults.
struct PlateauOptions {
  PlateauMode mode = PlateauMode::min;  ///< mode
  double factor = 0.1;                  ///< new lr = lr * factor
  long long patience = 10;              ///< epochs without improvement tolerated before a reduction
  double threshold = 1e-4;              ///< what counts as an improvement (with threshold_mode)
  PlateauThreshold threshold_mode = PlateauThreshold::relative;  ///< threshold_mode
  long long cooldown = 0;        ///< epochs after a reduction during which none are counted bad
  double min_learning_rate = 0;  ///< min_lr, the floor
  double epsilon = 1e-8;         ///< eps: a reduction smaller than this is skipped
};

/// The lr, reduced when a metric has not improved for more than `patience` epochs, as
/// torch.optim.lr_scheduler.ReduceLROnPlateau:
///
///     step(metric): if metric beats best (by the threshold): best = metric, bad = 0
///                   else bad += 1
///                   in cooldown: cooldown -= 1, bad = 0
///                   if bad > patience: lr' = max(lr * factor, min_lr); lr = lr' if lr - lr' > eps;
///                                      cooldown = cooldown epochs, bad = 0
///
/// A NaN metric never beats best, so it counts as a bad epoch, as in PyTorch.
class PlateauSchedule {
 public:
  /// A schedule at lr = `learning_rate` that has seen no metric yet.
  /// \throws ValueError unless learning_rate >= 0, 0 <= factor < 1, patience >= 0,
  ///         cooldown >= 0, threshold >= 0, min_learning_rate >= 0 and epsilon >= 0.
  PlateauSchedule(double learning_rate, const PlateauOptions& options = {})
      : options_(options), learning_rate_(learning_rate) {
    auto require_at_least_zero = [](const char* what, double value) {
      if (!(value >= 0.0))
        throw ValueError(
            detail::concat("PlateauSchedule ", what, ": expected >= 0, received ", value));
    };
    require_at_least_zero("learning rate", learning_rate);
    if (!(options.factor >= 0.0 && options.factor < 1.0))
      throw ValueError(
          detail::concat("PlateauSchedule factor: expected in [0, 1), received ", options.factor));
    require_at_least_zero("patience", static_cast<double>(options.patience));
    require_at_least_zero("cooldown", static_cast<double>(options.cooldown));
    require_at_least_zero("threshold", options.threshold);
    require_at_least_zero("min learning rate", options.min_learning_rate);
    require_at_least_zero("epsilon", options.epsilon);
    best_ = options.mode == PlateauMode::min ? std::numeric_limits<double>::infinity()
                                             : -std::numeric_limits<double>::infinity();
  }

  /// The lr for the coming epoch.
  double learning_rate() const { return learning_rate_; }
  /// The best metric seen (+inf in min mode, -inf in max mode before the first).
  double best() const { return best_; }
  /// Epochs since the last improvement, as counted now (PyTorch's num_bad_epochs).
  long long bad_epochs() const { return bad_epochs_; }
  /// Metrics seen (PyTorch's last_epoch).
  long long epoch() const { return epoch_; }

  /// Takes the epoch's metric and reduces the lr if it has not improved for too long.
  /// Returns whether the lr was reduced.
  bool step(double metric) {
    ++epoch_;
    if (is_better(metric)) {
      best_ = metric;
      bad_epochs_ = 0;
    } else {
      ++bad_epochs_;
    }
    if (cooldown_left_ > 0) {
      --cooldown_left_;
      bad_epochs_ = 0;  // bad epochs in the cooldown do not count
    }
    if (bad_epochs_ <= options_.patience) return false;
    cooldown_left_ = options_.cooldown;
    bad_epochs_ = 0;
    const double reduced = std::max(learning_rate_ * options_.factor, options_.min_learning_rate);
    if (!(learning_rate_ - reduced > options_.epsilon)) return false;
    learning_rate_ = reduced;
    return true;
  }

 private:
  // PyTorch's is_better, with its operations.
  bool is_better(double metric) const {
    const bool relative = options_.threshold_mode == PlateauThreshold::relative;
    if (options_.mode == PlateauMode::min)
      return relative ? metric < best_ * (1.0 - options_.threshold)
                      : metric < best_ - options_.threshold;
    return relative ? metric > best_ * (options_.threshold + 1.0)
                    : metric > best_ + options_.threshold;
  }

  PlateauOptions options_;
  double learning_rate_;
  double best_;
  long long bad_epochs_ = 0;
  long long cooldown_left_ = 0;
  long long epoch_ = 0;
};

}  // namespace wrnn
