// Checkpoints (wrnn/io/checkpoint.hpp): (a) training N steps without a break and training k
// steps, checkpointing, rebuilding model, optimizer and RNG from nothing, loading the
// checkpoint and training N - k more give bit-identical parameters and optimizer state;
// (b) a process SIGKILLed at random moments while writing checkpoints over and over always
// leaves a whole previous checkpoint that loads; (c) a damaged or mismatched checkpoint, or one
// holding values no training state has (NaN, inf, a negative second moment, integers), is
// refused, naming the tensor, key or element, and changes nothing; (d) run tensors round trip.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>

#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace test_checkpoint {  // see "unity groups" in tests/CMakeLists.txt

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

fs::path fresh_directory(const std::string& name) {
  const fs::path directory = fs::temp_directory_path() /
                             ("wrnn_test_checkpoint_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory;
}

using Model = wrnn::SequenceModel<wrnn::WaveCell<float>>;
const wrnn::WaveCellOptions kCell{10, 2, 8, 3};
const wrnn::ReadoutOptions kReadout{10};

// A training run on the copy task (gap 3): everything that carries state from step to step.
struct Run {
  Model model{kCell, kReadout};
  wrnn::Adam<float> optimizer{model.parameters(), wrnn::AdamOptions{3e-3}};
  wrnn::Rng rng;
  wrnn::CopyTask task{3};

  explicit Run(std::uint64_t seed) : rng(seed) { model.init(rng); }

  void train(long long first_step, long long last_step) {
    for (long long step = first_step; step <= last_step; ++step) {
      const auto batch = task.generate<float>(6, rng);
      wrnn::train_step(model, optimizer, batch.inputs, batch.targets, task.loss(), 1.0, step);
    }
  }
};

void require_identical(Run& a, Run& b) {
  for (std::size_t i = 0; i < a.model.parameters().size(); ++i) {
    INFO(a.model.parameters()[i].name);
    CHECK(a.model.parameters()[i].parameter->value == b.model.parameters()[i].parameter->value);
    CHECK(a.optimizer.first_moments()[i] == b.optimizer.first_moments()[i]);
    CHECK(a.optimizer.second_moments()[i] == b.optimizer.second_moments()[i]);
  }
  CHECK(a.optimizer.step_count() == b.optimizer.step_count());
  CHECK(a.rng.state() == b.rng.state());
}

}  // namespace

TEST_CASE("resuming from a checkpoint continues the run bit-identically") {
  const fs::path directory = fresh_directory("resume");
  const long long total = 12;
  Run uninterrupted(5);
  uninterrupted.train(1, total);

  for (long long k : {1LL, 5LL, 11LL}) {
    INFO("checkpoint after step " << k);
    const std::string path = (directory / "checkpoint.safetensors").string();
    {
      Run first_part(5);
      first_part.train(1, k);
      wrnn::io::save_checkpoint(path, first_part.model, first_part.optimizer, first_part.rng, k,
                                {{"curve", "[1, 2]"}});
    }
    Run resumed(999);  // other seed: every bit of state must come from the file
    const wrnn::io::CheckpointInfo info =
        wrnn::io::load_checkpoint(path, resumed.model, resumed.optimizer, resumed.rng);
    CHECK(info.step == k);
    CHECK(info.metadata.at("curve") == "[1, 2]");
    CHECK(info.metadata.at("wrnn.cell") == "wave");
    CHECK(resumed.optimizer.step_count() == k);
    resumed.train(k + 1, total);
    require_identical(uninterrupted, resumed);
  }

  // Without the optimizer state the continuation differs: the test can fail.
  Run first_part(5);
  first_part.train(1, 5);
  const std::string model_path = (directory / "model.safetensors").string();
  wrnn::io::save_model(model_path, first_part.model);
  Run model_only(5);
  wrnn::io::load_model(model_path, model_only.model);
  model_only.rng = first_part.rng;
  model_only.train(6, total);
  CHECK(model_only.model.parameters()[0].parameter->value !=
        uninterrupted.model.parameters()[0].parameter->value);
}

TEST_CASE("resuming an SGD run with momentum is bit-identical too") {
  const fs::path directory = fresh_directory("sgd");
  const std::string path = (directory / "sgd.safetensors").string();
  wrnn::CopyTask task{3};
  struct SgdRun {
    Model model{kCell, kReadout};
    wrnn::Sgd<float> optimizer{model.parameters(), wrnn::SgdOptions{0.05, 0.9, 0.0, 1e-4, true}};
    wrnn::Rng rng;
    explicit SgdRun(std::uint64_t seed) : rng(seed) { model.init(rng); }
  };
  auto train = [&](SgdRun& run, long long first, long long last) {
    for (long long step = first; step <= last; ++step) {
      const auto batch = task.generate<float>(6, run.rng);
      wrnn::train_step(run.model, run.optimizer, batch.inputs, batch.targets, task.loss(), 1.0,
                       step);
    }
  };
  SgdRun whole(8);
  train(whole, 1, 9);
  {
    SgdRun part(8);
    train(part, 1, 4);
    wrnn::io::save_checkpoint(path, part.model, part.optimizer, part.rng, 4);
  }
  CHECK(wrnn::io::SafetensorsFile::read(path).contains("optimizer.momentum_buffer.cell.Wy.weight"));
  SgdRun resumed(1);
  CHECK(wrnn::io::load_checkpoint(path, resumed.model, resumed.optimizer, resumed.rng).step == 4);
  CHECK(resumed.optimizer.step_count() == 4);
  train(resumed, 5, 9);
  for (std::size_t i = 0; i < whole.model.parameters().size(); ++i) {
    INFO(whole.model.parameters()[i].name);
    CHECK(whole.model.parameters()[i].parameter->value ==
          resumed.model.parameters()[i].parameter->value);
    CHECK(whole.optimizer.momentum_buffers()[i] == resumed.optimizer.momentum_buffers()[i]);
  }
  // An SGD checkpoint does not load into Adam.
  Run adam(1);
  CHECK_THROWS_WITH(wrnn::io::load_checkpoint(path, adam.model, adam.optimizer, adam.rng),
                    Contains("'sgd', expected 'adam'"));
}

TEST_CASE("the checkpoint file holds the moments under optimizer.exp_avg(_sq).<name>") {
  const fs::path directory = fresh_directory("layout");
  Run run(2);
  run.train(1, 3);
  const std::string path = (directory / "c.safetensors").string();
  wrnn::io::save_checkpoint(path, run.model, run.optimizer, run.rng, 3);
  const auto file = wrnn::io::SafetensorsFile::read(path);
  CHECK(file.names().size() == 3 * run.model.parameters().size());
  CHECK(file.shape("optimizer.exp_avg.cell.Wy.weight") == std::vector<std::int64_t>{2, 2, 3});
  const auto v = file.get<float>("optimizer.exp_avg_sq.readout.weight");
  std::size_t readout_weight = 0;
  while (run.model.parameters()[readout_weight].name != "readout.weight") ++readout_weight;
  const auto& expected = run.optimizer.second_moments()[readout_weight];
  CHECK(std::vector<float>(expected.data(), expected.data() + expected.size()) == v);
  CHECK(file.metadata_value("wrnn.checkpoint.step") == "3");
  CHECK(file.metadata_value("wrnn.optimizer.step_count") == "3");
  CHECK(file.metadata_value("wrnn.rng_state") == run.rng.state());
  // A checkpoint is also a model file: load_model reads its parameters... but refuses the
  // optimizer tensors as extra, so the model file and checkpoint are not confused silently.
  Model model(kCell, kReadout);
  CHECK_THROWS_WITH(wrnn::io::load_model(path, model), Contains("unexpected tensor 'optimizer."));
}

TEST_CASE("a damaged or mismatched checkpoint is refused and changes nothing") {
  const fs::path directory = fresh_directory("refuse");
  Run run(2);
  run.train(1, 2);
  const std::string good = (directory / "good.safetensors").string();
  wrnn::io::save_checkpoint(good, run.model, run.optimizer, run.rng, 2);
  const auto file = wrnn::io::SafetensorsFile::read(good);

  auto refused = [&](const std::string& name, const std::string& skip,
                     const std::map<std::string, std::string>& metadata_changes,
                     const std::string& message) {
    wrnn::io::SafetensorsWriter writer;
    for (const auto& tensor : file.names())
      if (tensor != skip) writer.add(tensor, file.shape(tensor), file.get<float>(tensor).data());
    for (auto [key, value] : file.metadata()) {
      if (metadata_changes.count(key)) value = metadata_changes.at(key);
      writer.set_metadata(key, value);
    }
    const std::string path = (directory / name).string();
    writer.write(path);
    Run target(77);
    Run untouched(77);
    CHECK_THROWS_WITH(wrnn::io::load_checkpoint(path, target.model, target.optimizer, target.rng),
                      Contains(message));
    require_identical(target, untouched);
  };
  refused("no_moment.safetensors", "optimizer.exp_avg_sq.cell.Wx.bias", {},
          "missing tensor 'optimizer.exp_avg_sq.cell.Wx.bias'");
  refused("no_param.safetensors", "readout.weight", {}, "missing tensor 'readout.weight'");
  refused("rng.safetensors", "", {{"wrnn.rng_state", "12 x"}}, "mt19937_64");
  refused("step.safetensors", "", {{"wrnn.checkpoint.step", "-4"}}, "'wrnn.checkpoint.step'");
  refused("kind.safetensors", "", {{"wrnn.cell", "gru"}}, "'wrnn.cell'");
  refused("optimizer.safetensors", "", {{"wrnn.optimizer", "sgd"}}, "'sgd'");

  // A model file is not a checkpoint.
  const std::string model_path = (directory / "model.safetensors").string();
  wrnn::io::save_model(model_path, run.model);
  Run target(77);
  CHECK_THROWS_WITH(
      wrnn::io::load_checkpoint(model_path, target.model, target.optimizer, target.rng),
      Contains("wrnn.checkpoint.format_version"));
}

TEST_CASE("parameters and moments that are not finite, or a negative second moment, are refused") {
  const fs::path directory = fresh_directory("values");
  Run run(2);
  run.train(1, 2);
  const std::string good = (directory / "good.safetensors").string();
  wrnn::io::save_checkpoint(good, run.model, run.optimizer, run.rng, 2);
  const auto file = wrnn::io::SafetensorsFile::read(good);

  // A copy of the good checkpoint with element 1 of tensor `damaged` set to `value` (or, with
  // as_integers, that tensor stored as I64).
  auto refused = [&](const std::string& damaged, float value, bool as_integers,
                     const std::string& message) {
    wrnn::io::SafetensorsWriter writer;
    for (const auto& tensor : file.names()) {
      std::vector<float> values = file.get<float>(tensor);
      if (tensor == damaged && as_integers)
        writer.add(tensor, file.shape(tensor), std::vector<std::int64_t>(values.size(), 0));
      else if (tensor == damaged)
        values[1] = value;
      if (tensor != damaged || !as_integers) writer.add(tensor, file.shape(tensor), values);
    }
    for (const auto& [key, text] : file.metadata()) writer.set_metadata(key, text);
    const std::string path = (directory / "damaged.safetensors").string();
    writer.write(path);
    Run target(77);
    Run untouched(77);
    INFO(damaged << " = " << value);
    CHECK_THROWS_WITH(wrnn::io::load_checkpoint(path, target.model, target.optimizer, target.rng),
                      Contains("tensor '" + damaged + "'") && Contains(message));
    require_identical(target, untouched);
  };
  const float nan = std::nanf(""), inf = std::numeric_limits<float>::infinity();
  refused("cell.Wy.weight", nan, false, "element 1 of 12 is nan (as F32), but a parameter must");
  refused("readout.weight", -inf, false, "element 1 of 160 is -inf");
  refused("optimizer.exp_avg.cell.Wx.weight", inf, false, "Adam's first moment must be finite");
  refused("optimizer.exp_avg_sq.cell.Wx.bias", -1e-30f, false,
          "is -1e-30 (as F32), but Adam's second moment must be finite and >= 0");
  refused("optimizer.exp_avg_sq.cell.Wx.bias", nan, false, "is nan");
  refused("optimizer.exp_avg_sq.readout.bias", inf, false, "is inf");
  refused("cell.Wx.weight", 0, true, "holds I64 values, expected F32");
  refused("optimizer.exp_avg.readout.bias", 0, true, "holds I64 values, expected F32");
  // A negative first moment is an ordinary value.
  {
    wrnn::io::SafetensorsWriter writer;
    for (const auto& tensor : file.names()) {
      std::vector<float> values = file.get<float>(tensor);
      if (tensor == "optimizer.exp_avg.readout.bias") values[1] = -3.0f;
      writer.add(tensor, file.shape(tensor), values);
    }
    for (const auto& [key, text] : file.metadata()) writer.set_metadata(key, text);
    writer.write((directory / "negative_m.safetensors").string());
    Run target(77);
    CHECK_NOTHROW(wrnn::io::load_checkpoint((directory / "negative_m.safetensors").string(),
                                            target.model, target.optimizer, target.rng));
  }
  fs::remove_all(directory);
}

TEST_CASE("run tensors: data that grows with the run is kept as run.* tensors, not metadata") {
  const fs::path directory = fresh_directory("run_tensors");
  Run run(2);
  run.train(1, 2);
  const std::string path = (directory / "c.safetensors").string();
  const wrnn::io::RunTensors curve{{"run.curve", {{2, 3}, {1, 0.5, 0.25, 2, 0.125, 1e-300}}},
                                   {"run.empty", {{0, 3}, {}}}};
  wrnn::io::save_checkpoint(path, run.model, run.optimizer, run.rng, 2, {{"note", "x"}}, curve);
  const auto file = wrnn::io::SafetensorsFile::read(path);
  CHECK(file.info("run.curve").dtype == wrnn::io::Dtype::F64);
  CHECK(file.metadata().count("run.curve") == 0);
  Run target(77);
  const auto info = wrnn::io::load_checkpoint(path, target.model, target.optimizer, target.rng);
  REQUIRE(info.run_tensors.size() == 2);
  CHECK(info.run_tensors.at("run.curve").shape == std::vector<std::int64_t>{2, 3});
  CHECK(info.run_tensors.at("run.curve").values == curve.at("run.curve").values);
  CHECK(info.run_tensors.at("run.empty").shape == std::vector<std::int64_t>{0, 3});
  CHECK(info.metadata.at("note") == "x");
  require_identical(run, target);
  // Names outside run.* are refused (they could collide with parameters), and so are shapes that
  // do not match their values.
  CHECK_THROWS_WITH(wrnn::io::save_checkpoint(path, run.model, run.optimizer, run.rng, 2, {},
                                              {{"curve", {{1}, {1.0}}}}),
                    Contains("run tensor 'curve'") && Contains("'run.'"));
  CHECK_THROWS_AS(wrnn::io::save_checkpoint(path, run.model, run.optimizer, run.rng, 2, {},
                                            {{"run.curve", {{2}, {1.0}}}}),
                  wrnn::ShapeError);
  // A model file does not take them: load_model refuses them as unexpected.
  wrnn::io::save_checkpoint(path, run.model, run.optimizer, run.rng, 2, {}, curve);
  Model model(kCell, kReadout);
  CHECK_THROWS_WITH(wrnn::io::load_model(path, model), Contains("unexpected tensor"));
  fs::remove_all(directory);
}

TEST_CASE("a process killed while checkpointing always leaves a whole previous checkpoint") {
  const fs::path directory = fresh_directory("kill");
  const std::string path = (directory / "checkpoint.safetensors").string();
  // Larger than the tiny model above, so that a write takes long enough to be interrupted.
  const wrnn::WaveCellOptions cell{10, 16, 256, 3};
  int kills = 0;
  wrnn::Rng moments(42);
  for (int round = 0; round < 10; ++round) {
    fs::remove(path);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Checkpoint after step 1, 2, 3, ...; every value of version s equals s, the RNG is
      // seeded with s, so a loaded file can be checked to be one whole version.
      Model model(cell, kReadout);
      wrnn::Adam<float> optimizer(model.parameters());
      for (long long step = 1;; ++step) {
        for (const auto& named : model.parameters()) named.parameter->value.setConstant(step);
        for (auto& m : optimizer.first_moments()) m.setConstant(2.0f * step);
        for (auto& v : optimizer.second_moments()) v.setConstant(3.0f * step);
        optimizer.set_step_count(step);
        wrnn::io::save_checkpoint(path, model, optimizer, wrnn::Rng(step), step);
      }
    }
    // Kill at a random moment after the first checkpoint is whole (waiting for it rather than a
    // fixed time, which a sanitizer build can need many times over), most likely mid-write.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(path) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int>(moments.uniform_int(0, 40)) + 5 * round));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    kills += WIFSIGNALED(status) ? 1 : 0;
    REQUIRE(fs::exists(path));
    Model model(cell, kReadout);
    wrnn::Adam<float> optimizer(model.parameters());
    wrnn::Rng rng;
    const auto info = wrnn::io::load_checkpoint(path, model, optimizer, rng);
    const float s = static_cast<float>(info.step);
    CHECK(info.step >= 1);
    CHECK(optimizer.step_count() == info.step);
    CHECK(rng.state() == wrnn::Rng(static_cast<std::uint64_t>(info.step)).state());
    for (std::size_t i = 0; i < model.parameters().size(); ++i) {
      CHECK((model.parameters()[i].parameter->value.array() == s).all());
      CHECK((optimizer.first_moments()[i].array() == 2.0f * s).all());
      CHECK((optimizer.second_moments()[i].array() == 3.0f * s).all());
    }
    for (const auto& entry : fs::directory_iterator(directory))
      if (entry.path() != fs::path(path)) fs::remove(entry.path());
  }
  CHECK(kills == 10);
}

}  // namespace test_checkpoint
