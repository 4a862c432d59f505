// The learning-rate schedules against PyTorch's (torch.optim.lr_scheduler) step by step: every
// constant comes from reference/schedule_reference.hpp, which
// /usr/bin/python3 tests/reference/schedule_reference.py writes.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "reference/schedule_reference.hpp"
#include "wrnn/wrnn.hpp"

namespace test_schedules {  // see "unity groups" in tests/CMakeLists.txt

namespace {

namespace ref = schedule_reference;
using wrnn::Index;

// Within 1e-12 relative (a zero must be zero).
void check_close(double actual, double expected, const std::string& where) {
  INFO(where << ": wrnn " << actual << ", PyTorch " << expected);
  CHECK(std::abs(actual - expected) <= 1e-12 * std::abs(expected));
}

// Steps `schedule` through expected.size() values: value(schedule) before each step().
template <class Schedule, class Value>
void check_sequence(Schedule& schedule, const std::vector<double>& expected, Value value,
                    const std::string& name) {
  for (std::size_t step = 0; step < expected.size(); ++step) {
    if (step > 0) schedule.step();
    check_close(value(schedule), expected[step], name + " step " + std::to_string(step));
  }
}

const auto kLearningRate = [](const auto& schedule) { return schedule.learning_rate(); };

}  // namespace

TEST_CASE("ExponentialSchedule follows ExponentialLR", "[schedule]") {
  struct Case {
    const char* name;
    double base, gamma;
    const std::vector<double>& expected;
  };
  for (const Case& c : {Case{"authors", 1e-3, 0.97, ref::exponential_authors},
                        Case{"half", 0.1, 0.5, ref::exponential_half},
                        Case{"growth", 0.01, 1.03, ref::exponential_growth}}) {
    wrnn::ExponentialSchedule schedule(c.base, c.gamma);
    check_sequence(schedule, c.expected, kLearningRate, c.name);
    CHECK(schedule.epoch() == static_cast<long long>(c.expected.size()) - 1);
  }
  CHECK_THROWS_AS(wrnn::ExponentialSchedule(0.1, 0.0), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::ExponentialSchedule(-0.1, 0.5), wrnn::ValueError);
}

TEST_CASE("CosineAnnealingSchedule follows CosineAnnealingLR past T_max", "[schedule]") {
  struct Case {
    const char* name;
    double base;
    long long t_max;
    double eta_min;
    const std::vector<double>& expected;
  };
  for (const Case& c :
       {Case{"authors", 1e-3, 120, 0.0, ref::cosine_authors},
        Case{"floor", 0.1, 7, 1e-3, ref::cosine_floor}, Case{"one", 0.05, 1, 0.0, ref::cosine_one},
        Case{"long", 0.02, 1000, 0.0, ref::cosine_long}}) {
    wrnn::CosineAnnealingSchedule schedule(c.base, c.t_max, c.eta_min);
    check_sequence(schedule, c.expected, kLearningRate, c.name);
  }
  // The closed form agrees away from the minimum.
  wrnn::CosineAnnealingSchedule schedule(0.1, 10, 0.01);
  for (int epoch = 1; epoch <= 9; ++epoch) {
    schedule.step();
    CHECK(schedule.learning_rate() ==
          Approx(0.01 + 0.09 * (1 + std::cos(M_PI * epoch / 10.0)) / 2).epsilon(1e-12));
  }
  CHECK_THROWS_AS(wrnn::CosineAnnealingSchedule(0.1, 0), wrnn::ValueError);
}

TEST_CASE("OneCycleSchedule follows OneCycleLR, learning rate and momentum", "[schedule]") {
  struct Case {
    const char* name;
    wrnn::OneCycleOptions options;
    const std::vector<double>& lr;
    const std::vector<double>& momentum;
  };
  wrnn::OneCycleOptions defaults;
  defaults.max_learning_rate = 0.01;
  defaults.total_steps = 100;
  wrnn::OneCycleOptions authors;  // psMNIST: epochs 12, 37 batches an epoch
  authors.max_learning_rate = 1e-3;
  authors.total_steps = 12 * 37;
  wrnn::OneCycleOptions linear;
  linear.max_learning_rate = 0.1;
  linear.total_steps = 45;
  linear.pct_start = 0.25;
  linear.anneal = wrnn::OneCycleAnneal::linear;
  linear.base_momentum = 0.8;
  linear.max_momentum = 0.9;
  linear.div_factor = 10.0;
  linear.final_div_factor = 100.0;
  wrnn::OneCycleOptions three_phase;
  three_phase.max_learning_rate = 0.05;
  three_phase.total_steps = 64;
  three_phase.pct_start = 0.4;
  three_phase.three_phase = true;
  wrnn::OneCycleOptions single;
  single.max_learning_rate = 0.2;
  single.total_steps = 1;
  for (const Case& c :
       {Case{"defaults", defaults, ref::one_cycle_defaults_lr, ref::one_cycle_defaults_momentum},
        Case{"authors", authors, ref::one_cycle_authors_lr, ref::one_cycle_authors_momentum},
        Case{"linear", linear, ref::one_cycle_linear_lr, ref::one_cycle_linear_momentum},
        Case{"three phase", three_phase, ref::one_cycle_three_phase_lr,
             ref::one_cycle_three_phase_momentum},
        Case{"single step", single, ref::one_cycle_single_step_lr,
             ref::one_cycle_single_step_momentum}}) {
    REQUIRE(c.lr.size() == static_cast<std::size_t>(c.options.total_steps) + 1);
    wrnn::OneCycleSchedule lr(c.options), momentum(c.options);
    check_sequence(lr, c.lr, kLearningRate, std::string(c.name) + " lr");
    check_sequence(
        momentum, c.momentum, [](const auto& s) { return s.momentum(); },
        std::string(c.name) + " momentum");
    // PyTorch refuses a step past the cycle.
    CHECK_THROWS_AS(lr.step(), wrnn::ValueError);
  }
}

TEST_CASE("OneCycleSchedule refuses what PyTorch cannot run", "[schedule]") {
  wrnn::OneCycleOptions options;
  options.max_learning_rate = 0.01;
  options.total_steps = 10;
  CHECK_NOTHROW(wrnn::OneCycleSchedule(options));
  auto refused = [&](auto change) {
    wrnn::OneCycleOptions bad = options;
    change(bad);
    CHECK_THROWS_AS(wrnn::OneCycleSchedule(bad), wrnn::ValueError);
  };
  refused([](wrnn::OneCycleOptions& o) { o.total_steps = 0; });
  refused([](wrnn::OneCycleOptions& o) { o.pct_start = 1.5; });
  refused([](wrnn::OneCycleOptions& o) { o.pct_start = -0.1; });
  refused([](wrnn::OneCycleOptions& o) { o.div_factor = 0.0; });
  refused([](wrnn::OneCycleOptions& o) { o.max_learning_rate = -1.0; });
  // 0.1 * 10 = 1: PyTorch's first phase ends at step 0 and divides 0 by 0 there.
  refused([](wrnn::OneCycleOptions& o) { o.pct_start = 0.1; });
  // pct_start 1: the last phase starts at step 9, and step 10 divides by zero.
  refused([](wrnn::OneCycleOptions& o) { o.pct_start = 1.0; });
  try {
    wrnn::OneCycleOptions bad = options;
    bad.pct_start = 0.1;
    wrnn::OneCycleSchedule schedule(bad);
  } catch (const wrnn::ValueError& e) {
    CHECK_THAT(e.what(), Catch::Contains("pct_start 0.1") && Catch::Contains("expected"));
  }
}

TEST_CASE("PlateauSchedule follows ReduceLROnPlateau on fixed metric sequences", "[schedule]") {
  struct Case {
    const char* name;
    double base;
    wrnn::PlateauOptions options;
    const std::vector<double>& metric;
    const std::vector<double>& lr;
  };
  wrnn::PlateauOptions authors;  // psMNIST: factor 1 / lr_drop_rate, patience 5, cooldown 5
  authors.factor = 0.1;
  authors.patience = 5;
  authors.cooldown = 5;
  wrnn::PlateauOptions accuracy_max = authors;  // seq_image --lr-plateau-metric val-acc
  accuracy_max.mode = wrnn::PlateauMode::max;
  wrnn::PlateauOptions max_abs;
  max_abs.mode = wrnn::PlateauMode::max;
  max_abs.factor = 0.5;
  max_abs.patience = 2;
  max_abs.threshold = 0.3;
  max_abs.threshold_mode = wrnn::PlateauThreshold::absolute;
  max_abs.cooldown = 1;
  wrnn::PlateauOptions floor;
  floor.factor = 0.5;
  floor.patience = 0;
  floor.min_learning_rate = 1e-4;
  wrnn::PlateauOptions eps;
  eps.factor = 0.9;
  eps.patience = 1;
  eps.epsilon = 2e-4;
  wrnn::PlateauOptions nan;
  nan.factor = 0.5;
  nan.patience = 1;
  for (const Case& c :
       {Case{"authors accuracy", 1e-3, authors, ref::plateau_authors_accuracy_metric,
             ref::plateau_authors_accuracy_lr},
        Case{"authors loss", 1e-3, authors, ref::plateau_authors_loss_metric,
             ref::plateau_authors_loss_lr},
        Case{"accuracy max", 1e-3, accuracy_max, ref::plateau_accuracy_max_metric,
             ref::plateau_accuracy_max_lr},
        Case{"defaults", 0.1, wrnn::PlateauOptions{}, ref::plateau_defaults_metric,
             ref::plateau_defaults_lr},
        Case{"max abs", 0.01, max_abs, ref::plateau_max_abs_metric, ref::plateau_max_abs_lr},
        Case{"floor", 1e-3, floor, ref::plateau_floor_metric, ref::plateau_floor_lr},
        Case{"eps", 1e-2, eps, ref::plateau_eps_metric, ref::plateau_eps_lr},
        Case{"nan", 0.1, nan, ref::plateau_nan_metric, ref::plateau_nan_lr}}) {
    INFO(c.name);
    REQUIRE(c.metric.size() == c.lr.size());
    wrnn::PlateauSchedule schedule(c.base, c.options);
    int reductions = 0, expected_reductions = 0;
    double previous = c.base;
    for (std::size_t epoch = 0; epoch < c.metric.size(); ++epoch) {
      reductions += schedule.step(c.metric[epoch]);
      expected_reductions += c.lr[epoch] != previous;
      previous = c.lr[epoch];
      check_close(schedule.learning_rate(), c.lr[epoch],
                  std::string(c.name) + " epoch " + std::to_string(epoch));
    }
    CHECK(reductions == expected_reductions);
    CHECK(expected_reductions > 0);  // every sequence exercises a reduction
  }
  auto refused = [](auto change) {
    wrnn::PlateauOptions bad;
    change(bad);
    CHECK_THROWS_AS(wrnn::PlateauSchedule(0.1, bad), wrnn::ValueError);
  };
  refused([](wrnn::PlateauOptions& o) { o.factor = 1.0; });
  refused([](wrnn::PlateauOptions& o) { o.patience = -1; });
  refused([](wrnn::PlateauOptions& o) { o.cooldown = -1; });
  refused([](wrnn::PlateauOptions& o) { o.min_learning_rate = -1e-3; });
  CHECK_THROWS_AS(wrnn::PlateauSchedule(-0.1), wrnn::ValueError);
}

// OneCycleLR drives the optimizer's momentum too (cycle_momentum): Adam's beta1, SGD's momentum.
TEST_CASE("Adam and SGD under OneCycleSchedule follow PyTorch's trajectories", "[schedule]") {
  constexpr Index kSize = 7;
  constexpr int kSteps = 20;
  auto run = [&](auto make_optimizer) {
    wrnn::Parameter<double> parameter{"p", {kSize}, false};
    for (Index i = 0; i < kSize; ++i) parameter.value[i] = std::sin(0.37 * i + 0.1);
    auto optimizer = make_optimizer(wrnn::ParameterList<double>{{"p", &parameter}});
    wrnn::OneCycleOptions options;
    options.max_learning_rate = 0.05;
    options.total_steps = kSteps;
    wrnn::OneCycleSchedule schedule(options);
    for (int step = 0; step < kSteps; ++step) {
      optimizer.set_learning_rate(schedule.learning_rate());
      if constexpr (std::is_same_v<decltype(optimizer), wrnn::Adam<double>>)
        optimizer.set_beta1(schedule.momentum());
      else
        optimizer.set_momentum(schedule.momentum());
      for (Index i = 0; i < kSize; ++i) parameter.grad[i] = std::cos(0.23 * i + step);
      optimizer.step();
      schedule.step();
    }
    return wrnn::Vector<double>(parameter.value);
  };
  const auto adam = run([](wrnn::ParameterList<double> list) {
    return wrnn::Adam<double>(std::move(list), wrnn::AdamOptions{0.01});
  });
  const auto sgd = run([](wrnn::ParameterList<double> list) {
    wrnn::SgdOptions options;
    options.learning_rate = 0.01;
    options.momentum = 0.9;
    return wrnn::Sgd<double>(std::move(list), options);
  });
  for (Index i = 0; i < kSize; ++i) {
    const auto at = static_cast<std::size_t>(i);
    CHECK(adam[i] == Approx(ref::one_cycle_adam_parameters[at]).epsilon(1e-12));
    CHECK(sgd[i] == Approx(ref::one_cycle_sgd_parameters[at]).epsilon(1e-12));
  }
}

}  // namespace test_schedules
