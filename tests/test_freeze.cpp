// Frozen parameters (Parameter::frozen, the authors' --freeze_rnn and --freeze_encoder): no
// gradient (an empty grad), the other parameters' gradients those of the same model unfrozen, no
// optimizer state, values unchanged bit for bit by training, and checkpoints without their
// optimizer state. The oracle for training is the unfrozen model whose frozen parameters'
// gradients are zeroed before each Adam step: with zero moments their update is exactly zero.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace test_freeze {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::Index;

// Inputs and targets for a model of d inputs and o outputs read at the last step.
struct Batch {
  wrnn::Sequence<double> x;
  wrnn::Matrix<double> targets;
};

Batch make_batch(Index steps, Index batch, Index d, Index o, std::uint64_t seed) {
  wrnn::Rng rng(seed);
  Batch b;
  b.x.resize(steps, batch, d);
  for (Index t = 0; t < steps; ++t)
    for (Index s = 0; s < batch; ++s)
      for (Index j = 0; j < d; ++j) b.x(t, s, j) = rng.uniform() - 0.5;
  b.targets.resize(o, batch);
  for (Index i = 0; i < b.targets.size(); ++i) b.targets.data()[i] = rng.uniform();
  return b;
}

template <class Model>
void accumulate_gradients(Model& model, const Batch& batch) {
  const wrnn::Matrix<double>& y = model.forward(batch.x);
  wrnn::Matrix<double> grad;
  wrnn::mean_squared_error(y, batch.targets, grad);
  wrnn::zero_gradients(model.parameters());
  model.backward(grad);
}

std::vector<std::string> names_of(const wrnn::ParameterList<double>& list,
                                  const std::vector<std::size_t>& indices) {
  std::vector<std::string> names;
  for (std::size_t i : indices) names.push_back(list[i].name);
  return names;
}

bool contains(const std::vector<std::size_t>& indices, std::size_t i) {
  for (std::size_t j : indices)
    if (j == i) return true;
  return false;
}

// The sets of parameters frozen in turn, by index into parameters(): 0, 1 are the input weight
// and bias (--freeze-encoder), 2, 3 the recurrent weight and bias (--freeze-rnn), then the
// readout's; one of a pair alone takes the paths that skip one gradient and keep the other.
const std::vector<std::vector<std::size_t>> kFrozenSets = {{0, 1}, {2, 3}, {0}, {1},         {2},
                                                           {3},    {4},    {5}, {0, 1, 2, 3}};

template <class Cell, class CellOptions>
void check_gradients(const CellOptions& options) {
  const wrnn::ReadoutOptions readout{2, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step};
  // 5 samples: one chunk; 40: two chunks, each with its own gradient buffers.
  for (Index batch_size : {Index{5}, Index{40}}) {
    const Batch batch = make_batch(6, batch_size, options.input_size, 2, 11);
    wrnn::SequenceModel<Cell> reference(options, readout);
    wrnn::Rng init_rng(3);
    reference.init(init_rng);
    accumulate_gradients(reference, batch);
    for (const auto& frozen : kFrozenSets) {
      wrnn::SequenceModel<Cell> model(options, readout);
      wrnn::Rng rng(3);
      model.init(rng);
      const auto& list = model.parameters();
      wrnn::set_frozen(list, names_of(list, frozen));
      accumulate_gradients(model, batch);
      for (std::size_t i = 0; i < list.size(); ++i) {
        INFO("batch " << batch_size << ", parameter " << list[i].name);
        const wrnn::Parameter<double>& p = *list[i].parameter;
        if (contains(frozen, i)) {
          CHECK(p.frozen());
          CHECK(p.grad.size() == 0);
          continue;
        }
        const wrnn::Vector<double>& expected = reference.parameters()[i].parameter->grad;
        REQUIRE(p.grad.size() == expected.size());
        for (Index k = 0; k < expected.size(); ++k)
          CHECK(p.grad[k] == Approx(expected[k]).epsilon(1e-12).margin(1e-15));
      }
      // Unfrozen again, the gradients are the reference's once more.
      wrnn::set_frozen(list, names_of(list, frozen), false);
      accumulate_gradients(model, batch);
      for (std::size_t i = 0; i < list.size(); ++i)
        CHECK(list[i].parameter->grad == reference.parameters()[i].parameter->grad);
    }
  }
}

}  // namespace

TEST_CASE("frozen parameters get no gradient, the others the unfrozen model's",
          "[freeze][gradients]") {
  SECTION("wave") {
    check_gradients<wrnn::WaveCell<double>>(wrnn::WaveCellOptions{3, 2, 7, 3});
  }
  SECTION("dense") {
    check_gradients<wrnn::DenseCell<double>>(wrnn::DenseCellOptions{3, 9});
  }
  SECTION("lstm") {
    check_gradients<wrnn::LSTMCell<double>>(wrnn::LSTMCellOptions{3, 5});
  }
  SECTION("gru") {
    check_gradients<wrnn::GRUCell<double>>(wrnn::GRUCellOptions{3, 5});
  }
}

namespace {

using WaveModel = wrnn::SequenceModel<wrnn::WaveCell<double>>;

WaveModel make_wave_model() {
  WaveModel model(wrnn::WaveCellOptions{3, 2, 7, 3},
                  wrnn::ReadoutOptions{2, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::last_step});
  wrnn::Rng rng(5);
  model.init(rng);
  return model;
}

// Three clipped Adam steps on fixed batches; zero_frozen zeroes the gradients of `frozen` before
// each step (the oracle run, whose parameters are all trainable).
template <class Optimizer>
void train(WaveModel& model, Optimizer& optimizer, const std::vector<std::size_t>& zeroed) {
  for (int step = 0; step < 3; ++step) {
    accumulate_gradients(model, make_batch(6, 40, 3, 2, 20 + static_cast<std::uint64_t>(step)));
    for (std::size_t i : zeroed) model.parameters()[i].parameter->grad.setZero();
    wrnn::clip_gradient_norm(model.parameters(), 0.5);
    optimizer.step();
  }
}

}  // namespace

std::vector<wrnn::Vector<double>> values_of(const wrnn::ParameterList<double>& list) {
  std::vector<wrnn::Vector<double>> values;
  for (const auto& named : list) values.push_back(named.parameter->value);
  return values;
}

TEST_CASE("training with Adam leaves frozen parameters unchanged and keeps no state for them",
          "[freeze][training]") {
  for (const auto& frozen : kFrozenSets) {
    WaveModel model = make_wave_model(), oracle = make_wave_model();
    const auto& list = model.parameters();
    const std::vector<wrnn::Vector<double>> initial = values_of(list);
    wrnn::set_frozen(list, names_of(list, frozen));
    {
      wrnn::Adam<double> optimizer(list, wrnn::AdamOptions{0.01});
      wrnn::Adam<double> oracle_optimizer(oracle.parameters(), wrnn::AdamOptions{0.01});
      train(model, optimizer, {});
      train(oracle, oracle_optimizer, frozen);
      for (std::size_t i = 0; i < list.size(); ++i) {
        INFO("parameter " << list[i].name);
        const bool is_frozen = contains(frozen, i);
        CHECK(optimizer.first_moments()[i].size() == (is_frozen ? 0 : list[i].parameter->size()));
        CHECK(optimizer.second_moments()[i].size() == (is_frozen ? 0 : list[i].parameter->size()));
        if (is_frozen) CHECK(list[i].parameter->value == initial[i]);
        if (!is_frozen) CHECK(list[i].parameter->value != initial[i]);
        const wrnn::Vector<double>& expected = oracle.parameters()[i].parameter->value;
        for (Index k = 0; k < expected.size(); ++k)
          CHECK(list[i].parameter->value[k] == Approx(expected[k]).epsilon(1e-10).margin(1e-14));
      }
    }
  }
}

TEST_CASE("training with SGD leaves frozen parameters unchanged and keeps no state for them",
          "[freeze][training]") {
  for (const auto& frozen : kFrozenSets) {
    WaveModel model = make_wave_model();
    const auto& list = model.parameters();
    const std::vector<wrnn::Vector<double>> initial = values_of(list);
    wrnn::set_frozen(list, names_of(list, frozen));
    {
      wrnn::Sgd<double> optimizer(list, wrnn::SgdOptions{0.05, 0.9});
      train(model, optimizer, {});
      for (std::size_t i = 0; i < list.size(); ++i) {
        INFO("parameter " << list[i].name);
        const bool is_frozen = contains(frozen, i);
        CHECK(optimizer.momentum_buffers()[i].size() ==
              (is_frozen ? 0 : list[i].parameter->size()));
        CHECK((list[i].parameter->value == initial[i]) == is_frozen);
      }
    }
  }
}

TEST_CASE("freezing refuses unknown names and a change after the optimizer was built",
          "[freeze][errors]") {
  WaveModel model = make_wave_model();
  const auto& list = model.parameters();
  CHECK_THROWS_AS(wrnn::set_frozen(list, {"cell.Wy.weight", "cell.Wz.weight"}), wrnn::ValueError);
  CHECK_FALSE(list[2].parameter->frozen());  // nothing changed: the second name was unknown
  wrnn::Adam<double> optimizer(list);
  wrnn::set_frozen(list, {"cell.Wy.weight"});
  accumulate_gradients(model, make_batch(4, 3, 3, 2, 1));
  CHECK_THROWS_WITH(optimizer.step(), Catch::Contains("cell.Wy.weight") &&
                                          Catch::Contains("before building the optimizer"));
}

TEST_CASE("a checkpoint holds no optimizer state for frozen parameters", "[freeze][checkpoint]") {
  namespace fs = std::filesystem;
  const fs::path path =
      fs::temp_directory_path() / ("wrnn_test_freeze_" + std::to_string(::getpid()) + ".st");
  WaveModel model = make_wave_model();
  const std::vector<std::string> frozen = {"cell.Wy.weight", "cell.Wy.bias"};
  wrnn::set_frozen(model.parameters(), frozen);
  wrnn::Adam<double> optimizer(model.parameters(), wrnn::AdamOptions{0.01});
  wrnn::Rng rng(1);
  train(model, optimizer, {});
  wrnn::io::save_checkpoint(path.string(), model, optimizer, rng, 3);
  const std::vector<std::string> names = wrnn::io::SafetensorsFile::read(path.string()).names();
  for (const std::string& name : names) CHECK(name.find("optimizer.exp_avg.cell.Wy") != 0);
  CHECK(std::count(names.begin(), names.end(), "optimizer.exp_avg.cell.Wx.weight") == 1);

  // Into a model frozen the same way: the values and moments come back.
  WaveModel resumed = make_wave_model();
  wrnn::set_frozen(resumed.parameters(), frozen);
  wrnn::Adam<double> resumed_optimizer(resumed.parameters());
  wrnn::Rng resumed_rng(2);
  wrnn::io::load_checkpoint(path.string(), resumed, resumed_optimizer, resumed_rng);
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    CHECK(resumed.parameters()[i].parameter->value == model.parameters()[i].parameter->value);
    CHECK(resumed_optimizer.first_moments()[i] == optimizer.first_moments()[i]);
    CHECK(resumed_optimizer.second_moments()[i] == optimizer.second_moments()[i]);
  }
  // Into an unfrozen model: the recurrent weight's moments are missing.
  WaveModel unfrozen = make_wave_model();
  wrnn::Adam<double> unfrozen_optimizer(unfrozen.parameters());
  CHECK_THROWS_WITH(
      wrnn::io::load_checkpoint(path.string(), unfrozen, unfrozen_optimizer, resumed_rng),
      Catch::Contains("optimizer.exp_avg.cell.Wy.weight"));
  // An unfrozen run's checkpoint into a frozen model: the state it would drop is refused by name.
  wrnn::Adam<double> trained_optimizer(unfrozen.parameters());
  wrnn::io::save_checkpoint(path.string(), unfrozen, trained_optimizer, rng, 0);
  CHECK_THROWS_WITH(
      wrnn::io::load_checkpoint(path.string(), resumed, resumed_optimizer, resumed_rng),
      Catch::Contains("optimizer.exp_avg") && Catch::Contains("frozen"));
  fs::remove(path);
}

}  // namespace test_freeze
