// FlatClassifier, the feed-forward baseline: its outputs against the readout written out by hand
// over each sample's steps laid end to end (the authors' x.permute(1, 0, 2).reshape(B, -1)), its
// outputs and gradients against PyTorch running the authors' module (reference/
// flat_classifier_reference.hpp, which /usr/bin/python3
// tests/reference/flat_classifier_reference.py writes), its gradients against central finite
// differences, its init's bounds, frozen parameters, the shapes it refuses, and its checkpoints.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <string>

#include "reference/flat_classifier_reference.hpp"
#include "support/gradient_check.hpp"
#include "wrnn/io/io.hpp"
#include "wrnn/model/flat_classifier.hpp"
#include "wrnn/wrnn.hpp"

namespace test_flat_classifier {  // see "unity groups" in tests/CMakeLists.txt

using namespace wrnn;
using Catch::Matchers::Contains;

namespace {

// Every parameter from U(-1, 1), and every third input exactly zero, the rest from U(-1.5, 1.5).
void randomize(FlatClassifier<double>& model, Sequence<double>& x, Rng& rng) {
  for (auto& named : model.parameters())
    for (Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = rng.uniform(-1.0, 1.0);
  for (Index i = 0; i < x.steps() * x.batch() * x.features(); ++i)
    x.data()[i] = i % 3 == 1 ? 0.0 : rng.uniform(-1.5, 1.5);
}

// W (rows x cols, row-major as PyTorch stores it) times v, plus b, by hand.
std::vector<double> affine(const Parameter<double>& weight, const Parameter<double>& bias,
                           const std::vector<double>& v) {
  const Index rows = weight.shape[0], cols = weight.shape[1];
  std::vector<double> out(static_cast<std::size_t>(rows));
  for (Index r = 0; r < rows; ++r) {
    double sum = bias.value[r];
    for (Index c = 0; c < cols; ++c) sum += weight.value[r * cols + c] * v[std::size_t(c)];
    out[std::size_t(r)] = sum;
  }
  return out;
}

}  // namespace

TEST_CASE("FlatClassifier reads each sample's steps end to end, then the readout") {
  const Index T = 3, B = 4, d = 2, o = 3, H = 5;
  for (auto kind : {ReadoutKind::linear, ReadoutKind::mlp}) {
    INFO("readout " << to_string(kind));
    FlatClassifier<double> model(T, d, ReadoutOptions{o, kind, ReadoutMode::last_step, H});
    Sequence<double> x(T, B, d);
    Rng rng(7);
    randomize(model, x, rng);
    const Matrix<double> outputs = model.forward(x);
    REQUIRE(outputs.rows() == o);
    REQUIRE(outputs.cols() == B);
    CHECK(model.infer(x) == outputs);  // bit for bit
    const auto& p = model.parameters();
    for (Index b = 0; b < B; ++b) {
      std::vector<double> flat;  // element t*d + e is x[t][b][e]
      for (Index t = 0; t < T; ++t)
        for (Index e = 0; e < d; ++e) flat.push_back(x(t, b, e));
      std::vector<double> y;
      if (kind == ReadoutKind::linear) {
        y = affine(*p[0].parameter, *p[1].parameter, flat);
      } else {
        std::vector<double> hidden = affine(*p[0].parameter, *p[1].parameter, flat);
        for (double& h : hidden) h = std::max(h, 0.0);
        y = affine(*p[2].parameter, *p[3].parameter, hidden);
      }
      for (Index k = 0; k < o; ++k)
        CHECK(outputs(k, b) == Approx(y[std::size_t(k)]).epsilon(0).margin(1e-12));
    }
  }
}

TEST_CASE("FlatClassifier matches PyTorch's run of the authors' fc model, outputs and gradients") {
  for (const auto& c : flat_classifier_reference::all_cases()) {
    INFO("case with " << c.hidden << " hidden units");
    const ReadoutOptions readout{c.outputs, c.hidden > 0 ? ReadoutKind::mlp : ReadoutKind::linear,
                                 ReadoutMode::last_step, std::max(c.hidden, 1)};
    FlatClassifier<double> model(c.steps, c.features, readout);
    REQUIRE(model.parameters().size() == (c.hidden > 0 ? 4u : 2u));
    for (std::size_t i = 0; i < model.parameters().size(); ++i) {
      auto& value = model.parameters()[i].parameter->value;
      REQUIRE(static_cast<std::size_t>(value.size()) == c.parameters[i].size());
      for (Index j = 0; j < value.size(); ++j) value[j] = c.parameters[i][std::size_t(j)];
    }
    Sequence<double> x(c.steps, c.batch, c.features);
    REQUIRE(c.x.size() == std::size_t(c.steps * c.batch * c.features));
    std::copy(c.x.begin(), c.x.end(), x.data());  // both [T][B][d]
    const Matrix<double> outputs = model.forward(x);
    for (Index b = 0; b < c.batch; ++b)
      for (Index k = 0; k < c.outputs; ++k)
        CHECK(outputs(k, b) ==
              Approx(c.output[std::size_t(b * c.outputs + k)]).epsilon(0).margin(1e-12));
    Targets<double> targets;
    targets.classes = c.labels;
    Matrix<double> grad_outputs;
    compute_loss(LossKind::cross_entropy, outputs, targets, grad_outputs);
    zero_gradients(model.parameters());
    model.backward(grad_outputs);
    for (std::size_t i = 0; i < model.parameters().size(); ++i) {
      INFO(model.parameters()[i].name);
      const auto& grad = model.parameters()[i].parameter->grad;
      for (Index j = 0; j < grad.size(); ++j)
        CHECK(grad[j] == Approx(c.gradients[i][std::size_t(j)]).epsilon(0).margin(1e-12));
    }
  }
}

TEST_CASE("FlatClassifier's gradients match central finite differences") {
  const Index T = 4, B = 5, d = 3, classes = 4;
  for (auto kind : {ReadoutKind::linear, ReadoutKind::mlp})
    for (auto loss : {LossKind::cross_entropy, LossKind::mse}) {
      INFO("readout " << to_string(kind) << ", loss " << to_string(loss));
      FlatClassifier<double> model(T, d, ReadoutOptions{classes, kind, ReadoutMode::last_step, 6});
      Sequence<double> x(T, B, d);
      Rng rng(11);
      randomize(model, x, rng);
      Targets<double> targets;
      for (Index b = 0; b < B; ++b)
        targets.classes.push_back(static_cast<int>(rng.uniform_int(0, classes)));
      targets.values = Matrix<double>::Random(classes, B);
      wrnn_test::check_gradients(model, x, targets, loss);
    }
}

TEST_CASE("FlatClassifier: names, weight count, PyTorch's Linear init, frozen parameters") {
  const Index T = 28, d = 2, H = 9;
  FlatClassifier<float> linear(
      T, d, ReadoutOptions{10, ReadoutKind::linear, ReadoutMode::last_step, 100});
  FlatClassifier<float> mlp(T, d, ReadoutOptions{10, ReadoutKind::mlp, ReadoutMode::last_step, H});
  REQUIRE(linear.parameters().size() == 2);
  CHECK(linear.parameters()[0].name == "readout.weight");
  CHECK(linear.parameters()[1].name == "readout.bias");
  CHECK(linear.weight_count() == 10 * 56);
  REQUIRE(mlp.parameters().size() == 4);
  CHECK(mlp.parameters()[2].name == "readout.2.weight");
  CHECK(mlp.weight_count() == H * 56 + 10 * H);

  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for each layer's weight and bias, fan_in its inputs.
  Rng rng(3);
  mlp.init(rng);
  const double fan_ins[] = {56, 56, H, H};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto& value = mlp.parameters()[i].parameter->value;
    const double bound = 1.0 / std::sqrt(fan_ins[i]);
    INFO(mlp.parameters()[i].name);
    CHECK(value.cwiseAbs().maxCoeff() <= bound);
    CHECK(value.cwiseAbs().maxCoeff() > 0.5 * bound);  // spread over the interval, not zero
  }

  // A frozen bias gets no gradient; the weight still does.
  set_frozen(linear.parameters(), {"readout.bias"});
  linear.init(rng);
  Sequence<float> x(T, 3, d);
  x.all().setOnes();
  Matrix<float> grad = Matrix<float>::Ones(10, 3);
  linear.forward(x);
  zero_gradients(linear.parameters());
  linear.backward(grad);
  CHECK(linear.parameters()[1].parameter->grad.size() == 0);
  CHECK(linear.parameters()[0].parameter->grad.cwiseAbs().sum() == Approx(10 * 56 * 3));
}

TEST_CASE("FlatClassifier refuses what it cannot run, by name") {
  const ReadoutOptions last{10, ReadoutKind::linear, ReadoutMode::last_step, 100};
  CHECK_THROWS_WITH(FlatClassifier<double>(
                        3, 2, ReadoutOptions{10, ReadoutKind::linear, ReadoutMode::every_step, 1}),
                    Contains("expected last_step") && Contains("received every_step"));
  CHECK_THROWS_AS(FlatClassifier<double>(0, 2, last), ValueError);
  CHECK_THROWS_WITH(FlatClassifier<double>(3, -1, last), Contains("features"));
  FlatClassifier<double> model(3, 2, last);
  Sequence<double> wrong(4, 2, 2);
  CHECK_THROWS_WITH(model.forward(wrong),
                    Contains("expected sequences of 3 steps of 2 features, received 4 steps of 2"));
  CHECK_THROWS_AS(model.backward(Matrix<double>::Zero(10, 2)), Error);  // no forward yet
  Sequence<double> x(3, 2, 2);
  model.forward(x);
  CHECK_THROWS_AS(model.backward(Matrix<double>::Zero(10, 3)), ShapeError);
  model.infer(x);
  CHECK_THROWS_WITH(model.backward(Matrix<double>::Zero(10, 2)), Contains("call forward first"));
}

TEST_CASE("FlatClassifier's checkpoint resumes its weights and Adam state; other shapes refused") {
  namespace fs = std::filesystem;
  const fs::path path = fs::temp_directory_path() /
                        ("wrnn_test_flat_classifier_" + std::to_string(::getpid()) + ".st");
  const ReadoutOptions readout{10, ReadoutKind::mlp, ReadoutMode::last_step, 4};
  FlatClassifier<float> model(5, 2, readout);
  Rng rng(1);
  model.init(rng);
  Adam<float> adam(model.parameters(), AdamOptions{1e-2});
  Sequence<float> x(5, 3, 2);
  x.all().setConstant(0.5f);
  Targets<float> targets;
  targets.classes = {1, 2, 3};
  train_step(model, adam, x, targets, LossKind::cross_entropy, 0.0, 1);
  io::save_checkpoint(path.string(), model, adam, rng, 1);

  FlatClassifier<float> resumed(5, 2, readout);
  Adam<float> resumed_adam(resumed.parameters(), AdamOptions{1e-2});
  Rng resumed_rng(99);
  CHECK(io::load_checkpoint(path.string(), resumed, resumed_adam, resumed_rng).step == 1);
  train_step(model, adam, x, targets, LossKind::cross_entropy, 0.0, 2);
  train_step(resumed, resumed_adam, x, targets, LossKind::cross_entropy, 0.0, 2);
  for (std::size_t i = 0; i < model.parameters().size(); ++i)
    CHECK(resumed.parameters()[i].parameter->value == model.parameters()[i].parameter->value);

  FlatClassifier<float> longer(6, 2, readout);
  Adam<float> longer_adam(longer.parameters(), AdamOptions{1e-2});
  CHECK_THROWS_WITH(io::load_checkpoint(path.string(), longer, longer_adam, resumed_rng),
                    Contains("'wrnn.cell.steps' is '5'") && Contains("has '6'"));
  CHECK_THROWS_WITH(io::describe_model_file(path.string()), Contains("flat"));
  fs::remove(path);
}

}  // namespace test_flat_classifier
