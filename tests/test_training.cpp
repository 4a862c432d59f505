// Optimizers, clipping, losses and the schedule against values computed by PyTorch
// (/usr/bin/python3 tests/reference/training_reference.py prints every constant below), and a
// short seeded end-to-end run in which the wave-RNN beats the iRNN on the copy task.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <vector>

#include "support/gradient_check.hpp"
#include "wrnn/wrnn.hpp"

namespace test_training {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::Index;
constexpr Index kSize = 7;

struct OneTensor {
  wrnn::Parameter<double> parameter{"p", {kSize}, false};
  wrnn::ParameterList<double> list{{"p", &parameter}};
  OneTensor() {
    for (Index i = 0; i < kSize; ++i) parameter.value[i] = std::sin(0.37 * i + 0.1);
  }
  void set_gradient(int step) {
    for (Index i = 0; i < kSize; ++i) parameter.grad[i] = std::cos(0.23 * i + step);
  }
};

void check_close(const wrnn::Vector<double>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == static_cast<Index>(expected.size()));
  for (Index i = 0; i < actual.size(); ++i)
    CHECK(actual[i] == Approx(expected[static_cast<std::size_t>(i)]).epsilon(1e-12).margin(1e-14));
}

template <class Optimizer>
void run_five_steps(OneTensor& t, Optimizer& optimizer, double clip = 0.0,
                    std::vector<double>* norms = nullptr) {
  for (int step = 0; step < 5; ++step) {
    t.set_gradient(step);
    if (clip > 0.0) {
      const double norm = wrnn::clip_gradient_norm(t.list, clip);
      if (norms) norms->push_back(norm);
    }
    optimizer.step();
  }
}

}  // namespace

TEST_CASE("Adam follows torch.optim.Adam", "[training][optimizer]") {
  OneTensor plain;
  wrnn::Adam<double> adam(plain.list, wrnn::AdamOptions{0.01});
  run_five_steps(plain, adam);
  check_close(plain.parameter.value,
              {0.07916749998145035, 0.43697432527970326, 0.734045795405527, 0.9310288869238782,
               1.0021328176028317, 0.9379047275169771, 0.7462878391533});

  OneTensor decayed;
  wrnn::Adam<double> adam_wd(decayed.list, wrnn::AdamOptions{0.01, 0.8, 0.99, 1e-6, 0.1});
  run_five_steps(decayed, adam_wd);
  check_close(decayed.parameter.value,
              {0.08241669918488637, 0.4386886913247229, 0.734047888216731, 0.9293175263765295,
               0.9990277073859918, 0.9344712922159912, 0.7437081530067637});
}

TEST_CASE("SGD with momentum follows torch.optim.SGD", "[training][optimizer]") {
  OneTensor momentum;
  wrnn::Sgd<double> sgd(momentum.list, wrnn::SgdOptions{0.05, 0.9});
  run_five_steps(momentum, sgd);
  check_close(momentum.parameter.value,
              {-0.014707200274837774, 0.39686694254492233, 0.7500954337167393, 1.0022528137263103,
               1.124269382118983, 1.1043992217873915, 0.9495588126328744});

  OneTensor nesterov;
  wrnn::Sgd<double> sgd_nesterov(nesterov.list, wrnn::SgdOptions{0.05, 0.9, 0.0, 0.01, true});
  run_five_steps(nesterov, sgd_nesterov);
  check_close(nesterov.parameter.value,
              {0.02281562447263314, 0.4376488592836985, 0.7923030153719379, 1.0441801166154767,
               1.1643578181131955, 1.1412317236834506, 0.9818404997407517});
}

TEST_CASE("Global-norm clipping follows clip_grad_norm_", "[training][clipping]") {
  OneTensor t;
  wrnn::Sgd<double> sgd(t.list, wrnn::SgdOptions{0.1});
  std::vector<double> norms;
  run_five_steps(t, sgd, 0.5, &norms);
  check_close(t.parameter.value,
              {0.11281107810204022, 0.47164189369319065, 0.7681888695823359, 0.9627118035230748,
               1.0291764405344768, 0.9587626287445403, 0.7610488411595863});
  check_close(Eigen::Map<wrnn::Vector<double>>(norms.data(), 5),
              {1.9787876185140088, 1.1706719312534994, 2.203812968585728, 2.121385906563456,
               1.1448507377779282});
}

TEST_CASE("Losses follow torch.nn.functional", "[training][loss]") {
  const Index O = 4, M = 6;
  wrnn::Matrix<double> logits(O, M), values(O, M), grad;
  std::vector<int> targets;
  for (Index o = 0; o < O; ++o)
    for (Index m = 0; m < M; ++m) {
      logits(o, m) = 2 * std::sin(0.3 * static_cast<double>(o * M + m));
      values(o, m) = std::cos(0.5 * static_cast<double>(o * M + m));
    }
  for (Index m = 0; m < M; ++m) targets.push_back(static_cast<int>((3 * m + 1) % O));

  CHECK(wrnn::cross_entropy(logits, targets, grad) == Approx(1.801668393862144).epsilon(1e-12));
  check_close(grad.col(0), {0.019293688965609512, -0.03136953872844729, 0.007962453326726886,
                            0.004113396436110868});
  CHECK(wrnn::mean_squared_error(logits, values, grad) == Approx(2.734929650382584).epsilon(1e-12));
  check_close(grad.col(1), {-0.023878512380641138, 0.2219062850490453, -0.19600999534133093,
                            -0.008683244083241393});
}

// Targets::first_scored_column: the loss over the last columns equals the whole-batch loss of
// those columns alone (PyTorch's mean over the authors' out[-mem_len:]), the earlier columns get
// no gradient, and the gradient is the loss's own (central differences).
TEST_CASE("Losses over the last columns only", "[training][loss]") {
  const Index O = 4, M = 9;
  wrnn::Matrix<double> logits(O, M), values(O, M);
  std::vector<int> classes;
  for (Index o = 0; o < O; ++o)
    for (Index m = 0; m < M; ++m) {
      logits(o, m) = 2 * std::sin(0.3 * static_cast<double>(o * M + m));
      values(o, m) = std::cos(0.5 * static_cast<double>(o * M + m));
    }
  for (Index m = 0; m < M; ++m) classes.push_back(static_cast<int>((3 * m + 1) % O));
  for (const Index first : {Index{0}, Index{1}, Index{6}, Index{8}}) {
    INFO("first scored column " << first);
    const Index scored = M - first;
    wrnn::Targets<double> targets;
    targets.classes = classes;
    targets.values = values;
    targets.first_scored_column = first;
    const std::vector<int> last_classes(classes.begin() + first, classes.end());
    const wrnn::Matrix<double> last_logits = logits.rightCols(scored);
    const wrnn::Matrix<double> last_values = values.rightCols(scored);
    for (const auto kind : {wrnn::LossKind::cross_entropy, wrnn::LossKind::mse}) {
      INFO(wrnn::to_string(kind));
      wrnn::Matrix<double> grad, last_grad;
      const double loss = wrnn::compute_loss(kind, logits, targets, grad);
      const double last_loss = kind == wrnn::LossKind::cross_entropy
                                   ? wrnn::cross_entropy(last_logits, last_classes, last_grad)
                                   : wrnn::mean_squared_error(last_logits, last_values, last_grad);
      CHECK(loss == Approx(last_loss).epsilon(1e-15));
      REQUIRE(grad.cols() == M);
      CHECK(grad.leftCols(first).isZero(0.0));
      CHECK((grad.rightCols(scored) - last_grad).cwiseAbs().maxCoeff() <= 1e-15);
      const double h = 1e-6;
      for (Index o = 0; o < O; ++o)
        for (Index m = 0; m < M; ++m) {
          wrnn::Matrix<double> shifted = logits, unused;
          shifted(o, m) += h;
          const double plus = wrnn::compute_loss(kind, shifted, targets, unused);
          shifted(o, m) -= 2 * h;
          const double minus = wrnn::compute_loss(kind, shifted, targets, unused);
          CHECK((plus - minus) / (2 * h) == Approx(grad(o, m)).margin(1e-9));
        }
    }
  }
  wrnn::Matrix<double> grad;
  CHECK_THROWS_AS(wrnn::cross_entropy(logits, classes, grad, M), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::cross_entropy(logits, classes, grad, -1), wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::mean_squared_error(logits, values, grad, M), wrnn::ValueError);
}

// The copy task's loss over the recall steps only (the authors' --only_last) through BPTT: the
// wave model's gradient against central differences, and the same loss as scoring the last m
// steps of the outputs alone.
TEST_CASE("Copy loss on the recall steps only: BPTT against finite differences",
          "[training][loss][copy]") {
  const wrnn::CopyTask task(/*T=*/4, /*memory_length=*/3, wrnn::CopyLoss::recall_only);
  const Index B = 3;
  wrnn::WaveCellOptions options{task.input_size(), 2, 5, 3};
  options.recurrent_init = wrnn::RecurrentInit::random;
  wrnn::SequenceModel<wrnn::WaveCell<double>> model(
      options, wrnn::ReadoutOptions{task.output_size(), wrnn::ReadoutKind::linear,
                                    wrnn::ReadoutMode::every_step});
  wrnn::Rng rng(5);
  model.init(rng);
  const auto batch = task.generate<double>(B, rng);
  REQUIRE(batch.targets.first_scored_column == 4 * B);
  wrnn_test::check_gradients(model, batch.inputs, batch.targets, task.loss());

  const wrnn::Matrix<double> outputs = model.forward(batch.inputs);
  const std::vector<int> last_classes(batch.targets.classes.begin() + 4 * B,
                                      batch.targets.classes.end());
  wrnn::Matrix<double> unused;
  CHECK(wrnn::evaluate_loss(model, batch.inputs, batch.targets, task.loss()) ==
        Approx(wrnn::cross_entropy(wrnn::Matrix<double>(outputs.rightCols(3 * B)), last_classes,
                                   unused))
            .epsilon(1e-12));
}

TEST_CASE("Step schedule follows StepLR", "[training][schedule]") {
  wrnn::StepSchedule schedule(0.1, 3, 0.5);
  const std::vector<double> expected{0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
  for (int epoch = 0; epoch < 8; ++epoch)
    CHECK(schedule.learning_rate(epoch) == Approx(expected[static_cast<std::size_t>(epoch)]));
}

// A short seeded run: after the same number of steps on the same batches, the shift-initialised
// wave-RNN's copy loss must end below the identity-initialised iRNN's (docs/model.md, "The paper's
// results").
TEST_CASE("wave-RNN learns the copy task faster than the iRNN", "[training][end-to-end]") {
  const wrnn::CopyTask task(10);
  const wrnn::ReadoutOptions readout{task.output_size(), wrnn::ReadoutKind::linear,
                                     wrnn::ReadoutMode::every_step};
  const int steps = 300;
  auto train = [&](auto& model) {
    wrnn::Rng rng(7);
    model.init(rng);
    wrnn::Adam<float> adam(model.parameters(), wrnn::AdamOptions{1e-3});
    for (int step = 1; step <= steps; ++step) {
      const auto batch = task.generate<float>(64, rng);
      wrnn::train_step(model, adam, batch.inputs, batch.targets, task.loss(), 0.0, step);
    }
    wrnn::Rng test_rng(99);
    const auto test = task.generate<float>(256, test_rng);
    return wrnn::evaluate_loss(model, test.inputs, test.targets, task.loss());
  };
  wrnn::SequenceModel<wrnn::WaveCell<float>> wave(
      wrnn::WaveCellOptions{task.input_size(), 4, 32, 3}, readout);
  wrnn::SequenceModel<wrnn::DenseCell<float>> irnn(wrnn::DenseCellOptions{task.input_size(), 128},
                                                   readout);
  const double wave_loss = train(wave);
  const double irnn_loss = train(irnn);
  INFO("wave " << wave_loss << ", iRNN " << irnn_loss);
  CHECK(wave_loss < irnn_loss);
  CHECK(wave_loss < 0.2 * irnn_loss);
}

}  // namespace test_training
