/// \file
/// The one-cycle learning-rate and momentum schedule, as torch.optim.lr_scheduler.OneCycleLR
/// (OneCycleSchedule, OneCycleOptions).
#pragma once

#include <cmath>
#include <vector>

#include "wrnn/core/error.hpp"

namespace wrnn {

/// How OneCycleSchedule moves between two values within a phase (PyTorch's anneal_strategy).
enum class OneCycleAnneal {
  cosine,  ///< 'cos', PyTorch's default: end + (start - end) (1 + cos(pi pct)) / 2
  linear   ///< 'linear': start + (end - start) pct
};

/// OneCycleSchedule's options, PyTorch's defaults (only max_learning_rate and total_steps have
/// none). PyTorch's epochs and steps_per_epoch give total_steps = epochs * steps_per_epoch.
struct OneCycleOptions {
  double max_learning_rate = 0.0;                  ///< max_lr, the peak
  long long total_steps = 0;                       ///< steps in the cycle
  double pct_start = 0.3;                          ///< the fraction of the cycle spent rising
  OneCycleAnneal anneal = OneCycleAnneal::cosine;  ///< anneal_strategy
  double base_momentum = 0.85;                     ///< the momentum at the peak lr
  double max_momentum = 0.95;                      ///< the momentum at the start and the end
  double div_factor = 25.0;                        ///< initial lr = max_lr / div_factor
  double final_div_factor = 1e4;                   ///< final lr = initial lr / final_div_factor
  bool three_phase = false;  ///< rise, fall back to the initial lr, then anneal to the final
};

/// The one-cycle schedule, as torch.optim.lr_scheduler.OneCycleLR stepped once per optimizer
/// step (the values are PyTorch's: the same operations in the same order).
///
/// Two phases (three with three_phase): the lr rises from initial = max_lr / div_factor to
/// max_lr over the first pct_start * total_steps steps, then falls to initial /
/// final_div_factor at step total_steps - 1, while the momentum falls from max_momentum to
/// base_momentum and rises back. PyTorch applies momentum() to the optimizer too, by default
/// (cycle_momentum): Adam's beta1 (Adam::set_beta1) or SGD's momentum (Sgd::set_momentum); a
/// caller that wants PyTorch's cycle_momentum = False ignores it.
class OneCycleSchedule {
 public:
  /// The schedule at step 0 (PyTorch's scheduler right after construction).
  /// \throws ValueError unless max_learning_rate >= 0, total_steps > 0, 0 <= pct_start <= 1 and
  ///         div_factor, final_div_factor > 0; and where PyTorch would divide by zero: a phase of
  ///         zero steps that a step falls into (pct_start * total_steps = 1, or a last phase
  ///         starting at step total_steps - 1).
  explicit OneCycleSchedule(const OneCycleOptions& options) : options_(options) {
    if (!(options.max_learning_rate >= 0.0))
      throw ValueError(
          detail::concat("OneCycleSchedule max learning rate: expected >= 0, "
                         "received ",
                         options.max_learning_rate));
    require_positive("OneCycleSchedule total steps", options.total_steps);
    if (!(options.pct_start >= 0.0 && options.pct_start <= 1.0))
      throw ValueError(detail::concat("OneCycleSchedule pct_start: expected in [0, 1], received ",
                                      options.pct_start));
    require_positive("OneCycleSchedule div_factor", options.div_factor);
    require_positive("OneCycleSchedule final_div_factor", options.final_div_factor);
    initial_lr_ = options.max_learning_rate / options.div_factor;
    final_lr_ = initial_lr_ / options.final_div_factor;
    const double total = static_cast<double>(options.total_steps);
    // PyTorch rounds pct_start * total_steps to a double before subtracting; a compiler allowed to
    // contract a * b - 1 into one fused multiply-add (clang and g++ do, for FMA targets) would
    // keep the product exact and miss the phase of zero steps below (0.1 * 10 - 1 = 5.6e-17).
    const double rise_steps = rounded_product(options.pct_start, total);
    const double rise_end = rise_steps - 1.0;
    if (options.three_phase) {
      phases_ = {{rise_end, initial_lr_, options.max_learning_rate, options.max_momentum,
                  options.base_momentum},
                 {2.0 * rise_steps - 2.0, options.max_learning_rate, initial_lr_,
                  options.base_momentum, options.max_momentum},
                 {total - 1.0, initial_lr_, final_lr_, options.max_momentum, options.max_momentum}};
    } else {
      phases_ = {{rise_end, initial_lr_, options.max_learning_rate, options.max_momentum,
                  options.base_momentum},
                 {total - 1.0, options.max_learning_rate, final_lr_, options.base_momentum,
                  options.max_momentum}};
    }
    const double last_start = phases_[phases_.size() - 2].end_step;
    if (rise_end == 0.0 || last_start == total - 1.0)
      throw ValueError(detail::concat(
          "OneCycleSchedule: pct_start ", options.pct_start, " with total steps ",
          options.total_steps,
          " gives a phase of zero steps (PyTorch divides by zero there); "
          "expected pct_start * total_steps != 1 and a last phase starting before step ",
          options.total_steps - 1));
    update();
  }

  /// The lr for the current step.
  double learning_rate() const { return learning_rate_; }
  /// The momentum for the current step (Adam's beta1 or SGD's momentum).
  double momentum() const { return momentum_; }
  /// Steps taken (PyTorch's last_epoch).
  long long step_count() const { return step_; }
  /// The options it was built with.
  const OneCycleOptions& options() const { return options_; }

  /// Moves to the next step (PyTorch's scheduler.step(), after the optimizer's step).
  /// \throws ValueError past step total_steps, as PyTorch does.
  void step() {
    if (step_ + 1 > options_.total_steps)
      throw ValueError(detail::concat("OneCycleSchedule: a step to step ", step_ + 1,
                                      ": expected at most total steps = ", options_.total_steps,
                                      " (the cycle is over)"));
    ++step_;
    update();
  }

 private:
  // a * b rounded to a double, whatever the compiler's floating-point contraction: a volatile
  // store is a rounding point no optimisation may remove.
  static double rounded_product(double a, double b) {
    volatile double product = a * b;
    return product;
  }

  struct Phase {
    double end_step;
    double start_lr, end_lr;
    double start_momentum, end_momentum;
  };

  double anneal(double start, double end, double pct) const {
    constexpr double kPi = 3.141592653589793;  // Python's math.pi
    if (options_.anneal == OneCycleAnneal::linear) return (end - start) * pct + start;
    const double cos_out = std::cos(kPi * pct) + 1.0;
    return end + (start - end) / 2.0 * cos_out;
  }

  // PyTorch's get_lr(): the first phase whose end is not passed (or the last), its own fraction.
  void update() {
    const double step = static_cast<double>(step_);
    double start_step = 0.0;
    for (std::size_t i = 0; i < phases_.size(); ++i) {
      const Phase& phase = phases_[i];
      if (step <= phase.end_step || i + 1 == phases_.size()) {
        const double pct = (step - start_step) / (phase.end_step - start_step);
        learning_rate_ = anneal(phase.start_lr, phase.end_lr, pct);
        momentum_ = anneal(phase.start_momentum, phase.end_momentum, pct);
        return;
      }
      start_step = phase.end_step;
    }
  }

  OneCycleOptions options_;
  double initial_lr_ = 0.0, final_lr_ = 0.0;
  std::vector<Phase> phases_;
  long long step_ = 0;
  double learning_rate_ = 0.0, momentum_ = 0.0;
};

}  // namespace wrnn
