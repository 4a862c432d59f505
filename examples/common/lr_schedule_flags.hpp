// --lr-scheduler and its parameters, shared by the training programs: the authors' psMNIST
// script's schedules (StepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau,
// with PyTorch's values: wrnn/train/schedule.hpp, one_cycle_schedule.hpp, plateau_schedule.hpp),
// and a constant rate. A program steps the schedule once per unit, a training step (copy_task,
// adding_task) or an epoch (seq_image, as the authors do, OneCycleLR included); plateau instead
// takes one metric per evaluation (the test loss every --log-every steps, or the epoch's
// validation metric). A resumed run replays its steps and metrics to the same state.
//
// Options is the program's options struct, with the fields lr_scheduler, lr_drop_every,
// lr_drop_factor, lr_gamma, lr_t_max, lr_max, lr_total_steps, lr_patience and lr_cooldown.
#pragma once

#include <CLI/CLI.hpp>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/flag_checks.hpp"
#include "wrnn/train/one_cycle_schedule.hpp"
#include "wrnn/train/plateau_schedule.hpp"
#include "wrnn/train/schedule.hpp"

namespace wrnn::examples {

// The flags. `unit` is what the schedule counts ("step" or "epoch"); `total_default` says what
// onecycle's length is without --lr-total-steps.
template <class Options>
void add_lr_schedule_flags(CLI::App& app, Options& options, const std::string& unit,
                           const std::string& total_default) {
  app.add_option("--lr-scheduler", options.lr_scheduler,
                 "learning-rate schedule, stepped once per " +
                     (unit == "step" ? std::string("training step") : unit) +
                     ": constant, step (--lr-drop-every, --lr-drop-factor), exponential "
                     "(--lr-gamma), cosine (--lr-t-max), onecycle (--lr-max, --lr-total-steps; "
                     "Adam's beta1 cycles too) or plateau (--lr-drop-factor, --lr-patience, "
                     "--lr-cooldown)")
      ->capture_default_str();
  add_integer_option<long long>(
      app, "--lr-drop-every", options.lr_drop_every,
      "step: divide the learning rate by --lr-drop-factor every E " + unit + "s (StepLR)");
  app.add_option("--lr-drop-factor", options.lr_drop_factor,
                 "step and plateau: the divisor F of the learning rate (> 0; plateau: > 1)")
      ->capture_default_str()
      ->transform(finite_number());
  app.add_option("--lr-gamma", options.lr_gamma,
                 "exponential: the factor per " + unit + ", in (0, 1] (ExponentialLR)")
      ->capture_default_str()
      ->transform(finite_number());
  add_integer_option<long long>(
      app, "--lr-t-max", options.lr_t_max,
      "cosine: T_max, " + unit + "s from --lr down to 0 (0: the whole run; CosineAnnealingLR)");
  app.add_option("--lr-max", options.lr_max,
                 "onecycle: the peak learning rate (0: --lr, as the authors)")
      ->capture_default_str()
      ->transform(finite_number());
  add_integer_option<long long>(app, "--lr-total-steps", options.lr_total_steps,
                                "onecycle: the cycle's length in " + unit +
                                    "s, at least the run's (0: " + total_default + "; OneCycleLR)");
  add_integer_option<long long>(
      app, "--lr-patience", options.lr_patience,
      "plateau: evaluations without improvement before the rate drops (ReduceLROnPlateau)");
  add_integer_option<long long>(app, "--lr-cooldown", options.lr_cooldown,
                                "plateau: evaluations after a drop before counting again");
}

// The flags of --lr-scheduler that were given but belong to another schedule.
inline void refuse_other_schedule_flags(const CLI::App& app, const std::string& kind) {
  const auto refuse_unless = [&](bool applies, std::initializer_list<const char*> flags) {
    if (!applies) refuse_given_flags(app, flags, "--lr-scheduler " + kind);
  };
  refuse_unless(kind == "step", {"--lr-drop-every"});
  refuse_unless(kind == "step" || kind == "plateau", {"--lr-drop-factor"});
  refuse_unless(kind == "exponential", {"--lr-gamma"});
  refuse_unless(kind == "cosine", {"--lr-t-max"});
  refuse_unless(kind == "onecycle", {"--lr-max", "--lr-total-steps"});
  refuse_unless(kind == "plateau", {"--lr-patience", "--lr-cooldown"});
}

// Refuses an unknown schedule, values out of range (ValueError naming the flag, what it expected
// and what it received), and flags of another schedule (refuse_given_flags). run_length is the
// run's units (--steps or --epochs); a onecycle's cycle must cover it.
template <class Options>
void check_lr_schedule_flags(const CLI::App& app, const Options& options, long long run_length,
                             long long default_total_steps) {
  const std::string& kind = options.lr_scheduler;
  if (kind != "constant" && kind != "step" && kind != "exponential" && kind != "cosine" &&
      kind != "onecycle" && kind != "plateau")
    throw ValueError(
        "--lr-scheduler: expected constant, step, exponential, cosine, onecycle or plateau, "
        "received '" +
        kind + "'");
  refuse_other_schedule_flags(app, kind);
  require_at_least("--lr-drop-every", options.lr_drop_every, 1LL);
  if (!(options.lr_drop_factor > (kind == "plateau" ? 1.0 : 0.0)))
    throw ValueError(detail::concat("--lr-drop-factor: expected > ", kind == "plateau" ? 1 : 0,
                                    kind == "plateau" ? " with --lr-scheduler plateau" : "",
                                    ", received ", options.lr_drop_factor));
  if (!(options.lr_gamma > 0.0 && options.lr_gamma <= 1.0))
    throw ValueError(detail::concat("--lr-gamma: expected in (0, 1], received ", options.lr_gamma));
  require_at_least("--lr-t-max", options.lr_t_max, 0LL);
  require_at_least("--lr-max", options.lr_max, 0.0);
  require_at_least("--lr-total-steps", options.lr_total_steps, 0LL);
  require_at_least("--lr-patience", options.lr_patience, 0LL);
  require_at_least("--lr-cooldown", options.lr_cooldown, 0LL);
  if (kind == "onecycle") {
    const long long total =
        options.lr_total_steps > 0 ? options.lr_total_steps : default_total_steps;
    if (total < run_length)
      throw ValueError(detail::concat("--lr-total-steps: expected at least the run's ", run_length,
                                      " (OneCycleLR cannot step past its cycle), received ",
                                      total));
    OneCycleOptions cycle;  // refuses a cycle with a phase of zero steps, by name
    cycle.max_learning_rate = 1.0;
    cycle.total_steps = total;
    try {
      OneCycleSchedule check(cycle);
    } catch (const ValueError& error) {
      throw ValueError(std::string("--lr-total-steps: ") + error.what());
    }
  }
}

// The schedule of a run: the learning rate (and, for onecycle, Adam's beta1) for the next unit.
class LrSchedule {
 public:
  // base_lr: --lr; run_length: the run's units (--steps, --epochs; cosine's default T_max);
  // default_total_steps: onecycle's cycle without --lr-total-steps; plateau_mode: whether
  // plateau's metric improves by falling (a loss) or rising.
  template <class Options>
  LrSchedule(const Options& options, double base_lr, long long run_length,
             long long default_total_steps, PlateauMode plateau_mode = PlateauMode::min)
      : learning_rate_(base_lr) {
    const std::string& kind = options.lr_scheduler;
    if (kind == "step") {
      step_.emplace(base_lr, options.lr_drop_every, 1.0 / options.lr_drop_factor);
    } else if (kind == "exponential") {
      exponential_.emplace(base_lr, options.lr_gamma);
    } else if (kind == "cosine") {
      cosine_.emplace(base_lr, options.lr_t_max > 0 ? options.lr_t_max : run_length, 0.0);
    } else if (kind == "onecycle") {
      OneCycleOptions cycle;  // the authors': max_lr = --lr, PyTorch's defaults otherwise
      cycle.max_learning_rate = options.lr_max > 0 ? options.lr_max : base_lr;
      cycle.total_steps = options.lr_total_steps > 0 ? options.lr_total_steps : default_total_steps;
      one_cycle_.emplace(cycle);
    } else if (kind == "plateau") {
      PlateauOptions plateau;  // the authors': factor 1 / F, patience 5, cooldown 5
      plateau.factor = 1.0 / options.lr_drop_factor;
      plateau.patience = options.lr_patience;
      plateau.cooldown = options.lr_cooldown;
      plateau.mode = plateau_mode;
      plateau_.emplace(base_lr, plateau);
    }
    update();
  }

  double learning_rate() const { return learning_rate_; }
  // Adam's beta1 for the next unit: onecycle's momentum, or none (leave Adam's).
  std::optional<double> beta1() const {
    if (one_cycle_) return one_cycle_->momentum();
    return std::nullopt;
  }
  bool takes_metric() const { return plateau_.has_value(); }

  // After a unit (a training step or an epoch): the next unit's rate. Plateau ignores it.
  void step() {
    ++units_;
    if (exponential_) exponential_->step();
    if (cosine_) cosine_->step();
    if (one_cycle_) one_cycle_->step();
    update();
  }
  // After an evaluation: plateau's metric (in the mode the schedule was built with). Others
  // ignore it.
  void step(double metric) {
    if (!plateau_) return;
    plateau_->step(metric);
    update();
  }

  // Sets the optimizer's learning rate (and beta1, for onecycle) for the next unit.
  template <class Optimizer>
  void apply(Optimizer& optimizer) const {
    optimizer.set_learning_rate(learning_rate_);
    if (const auto beta1 = this->beta1()) optimizer.set_beta1(*beta1);
  }

 private:
  void update() {
    if (step_) learning_rate_ = step_->learning_rate(units_);
    if (exponential_) learning_rate_ = exponential_->learning_rate();
    if (cosine_) learning_rate_ = cosine_->learning_rate();
    if (one_cycle_) learning_rate_ = one_cycle_->learning_rate();
    if (plateau_) learning_rate_ = plateau_->learning_rate();
  }

  double learning_rate_;
  long long units_ = 0;
  std::optional<StepSchedule> step_;
  std::optional<ExponentialSchedule> exponential_;
  std::optional<CosineAnnealingSchedule> cosine_;
  std::optional<OneCycleSchedule> one_cycle_;
  std::optional<PlateauSchedule> plateau_;
};

// The schedule's settings for results.json and a checkpoint's record.
template <class Options>
nlohmann::json lr_schedule_json(const Options& options) {
  return {{"scheduler", options.lr_scheduler},
          {"drop_every", options.lr_drop_every},
          {"drop_factor", options.lr_drop_factor},
          {"gamma", options.lr_gamma},
          {"t_max", options.lr_t_max},
          {"max", options.lr_max},
          {"total_steps", options.lr_total_steps},
          {"patience", options.lr_patience},
          {"cooldown", options.lr_cooldown}};
}

}  // namespace wrnn::examples
