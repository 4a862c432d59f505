// The PyTorch round trip, both ways, with Debian's python3-torch (tests/pytorch_roundtrip.py):
//   PyTorch -> wrnn: the script builds the authors' modules (cell.Wx, cell.Wy, readout) and
//     torch.nn.LSTM/GRU models with random weights and saves them with outputs on random inputs;
//     here each file alone rebuilds the model (describe_model_file), load_model fills it, and
//     its outputs must match PyTorch's within 1e-5 (float, relative to max(1, |y|)).
//   wrnn -> PyTorch: wrnn saves models of every kind (float and double) with outputs; the script
//     loads them into PyTorch (strict: every name and shape) and checks the outputs.
// Exits with 77 (ctest: skipped) only when /usr/bin/python3 cannot import torch.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace test_pytorch_roundtrip {  // see "unity groups" in tests/CMakeLists.txt

namespace fs = std::filesystem;

namespace {

// WRNN_TEST_PYTHON overrides the interpreter (e.g. to check the skip: WRNN_TEST_PYTHON=false).
const std::string kPython =
    std::getenv("WRNN_TEST_PYTHON") ? std::getenv("WRNN_TEST_PYTHON") : WRNN_PYTHON;
const std::string kScript = WRNN_PYTORCH_ROUNDTRIP_SCRIPT;

void skip_without_torch() {
  if (std::system((kPython + " -c 'import torch' > /dev/null 2>&1").c_str()) != 0) {
    std::cout << "SKIPPED: " << kPython
              << " cannot import torch (Debian: apt-get install python3-torch)" << std::endl;
    std::exit(77);
  }
}

fs::path fresh_directory(const std::string& name) {
  const fs::path directory =
      fs::temp_directory_path() / ("wrnn_test_pytorch_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(directory);
  fs::create_directories(directory);
  return directory;
}

int run_script(const std::string& mode, const fs::path& directory) {
  const std::string command = kPython + " " + kScript + " " + mode + " " + directory.string();
  const int status = std::system(command.c_str());
  return status == -1 ? -1 : WEXITSTATUS(status);
}

// Calls f(model) with a model of the described kind, in Scalar.
template <class Scalar, class F>
void with_described_model(const wrnn::io::ModelDescription& d, F&& f) {
  if (d.cell == "wave") {
    wrnn::SequenceModel<wrnn::WaveCell<Scalar>> model(d.wave, d.readout);
    f(model);
  } else if (d.cell == "dense") {
    wrnn::SequenceModel<wrnn::DenseCell<Scalar>> model(d.dense, d.readout);
    f(model);
  } else if (d.cell == "lstm") {
    wrnn::SequenceModel<wrnn::LSTMCell<Scalar>> model(d.lstm, d.readout);
    f(model);
  } else {
    REQUIRE(d.cell == "gru");
    wrnn::SequenceModel<wrnn::GRUCell<Scalar>> model(d.gru, d.readout);
    f(model);
  }
}

template <class Scalar>
wrnn::Sequence<Scalar> random_inputs(wrnn::Index steps, wrnn::Index batch, wrnn::Index features,
                                     wrnn::Rng& rng) {
  wrnn::Sequence<Scalar> inputs(steps, batch, features);
  auto all = inputs.all();
  for (wrnn::Index i = 0; i < all.size(); ++i) all.data()[i] = static_cast<Scalar>(rng.normal());
  return inputs;
}

// Saves a model with random weights and its outputs on random inputs for the script's check.
template <class Cell>
void save_for_pytorch(const fs::path& directory, const std::string& name,
                      const typename Cell::Options& cell, const wrnn::ReadoutOptions& readout,
                      wrnn::Rng& rng) {
  using Scalar = typename Cell::Scalar;
  wrnn::SequenceModel<Cell> model(cell, readout);
  for (const auto& named : model.parameters())
    for (wrnn::Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = static_cast<Scalar>(rng.normal(0.0, 0.4));
  const wrnn::Index steps = 9, batch = 3;
  const auto inputs = random_inputs<Scalar>(steps, batch, cell.input_size, rng);
  const wrnn::Matrix<Scalar> outputs = model.forward(inputs);
  wrnn::io::save_model((directory / (name + ".wrnn.safetensors")).string(), model);
  wrnn::io::SafetensorsWriter io;
  io.add("inputs", {steps, batch, cell.input_size}, inputs.all().data());
  const wrnn::Index o = readout.output_size;
  if (readout.mode == wrnn::ReadoutMode::every_step)
    io.add("outputs", {steps, batch, o}, outputs.data());
  else
    io.add("outputs", {batch, o}, outputs.data());
  io.write((directory / (name + ".wrnn.io.safetensors")).string());
}

}  // namespace

TEST_CASE("models made in PyTorch load into wrnn and give PyTorch's outputs") {
  skip_without_torch();
  const fs::path directory = fresh_directory("from_torch");
  REQUIRE(run_script("make", directory) == 0);
  int models = 0;
  std::set<std::string> kinds;
  for (const auto& entry : fs::directory_iterator(directory)) {
    const std::string file = entry.path().filename().string();
    if (file.size() < 12 || file.find(".io.") != std::string::npos) continue;
    INFO(file);
    const auto d = wrnn::io::describe_model_file(entry.path().string());
    kinds.insert(d.cell + "/" + wrnn::to_string(d.readout.kind));
    const auto io = wrnn::io::SafetensorsFile::read(
        (directory / (file.substr(0, file.size() - 12) + ".io.safetensors")).string());
    with_described_model<float>(d, [&](auto& model) {
      wrnn::io::load_model(entry.path().string(), model);
      std::vector<std::int64_t> shape;
      const std::vector<float> x = io.get<float>("inputs", &shape);
      REQUIRE(shape.size() == 3);
      wrnn::Sequence<float> inputs(shape[0], shape[1], shape[2]);
      std::copy(x.begin(), x.end(), inputs.all().data());
      const wrnn::Matrix<float>& outputs = model.forward(inputs);
      const std::vector<float> expected = io.get<float>("outputs");
      REQUIRE(static_cast<std::size_t>(outputs.size()) == expected.size());
      double worst = 0.0;
      for (std::size_t i = 0; i < expected.size(); ++i)
        worst = std::max(worst, std::abs(double(outputs.data()[i]) - expected[i]) /
                                    std::max(1.0, std::abs(double(expected[i]))));
      std::cout << file << ": max error " << worst << std::endl;
      CHECK(worst <= 1e-5);
      // Not a trivial pass: the outputs vary.
      CHECK(*std::max_element(expected.begin(), expected.end()) >
            *std::min_element(expected.begin(), expected.end()));
    });
    ++models;
  }
  CHECK(models == 8);
  CHECK(kinds == std::set<std::string>{"dense/linear", "dense/mlp", "gru/linear", "gru/mlp",
                                       "lstm/linear", "lstm/mlp", "wave/linear", "wave/mlp"});
}

TEST_CASE("models saved by wrnn load into PyTorch and give wrnn's outputs") {
  skip_without_torch();
  const fs::path directory = fresh_directory("to_torch");
  wrnn::Rng rng(31);
  using wrnn::Activation;
  const wrnn::ReadoutOptions every{4, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::every_step};
  const wrnn::ReadoutOptions last_mlp{3, wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::last_step, 6};
  save_for_pytorch<wrnn::WaveCell<float>>(directory, "wave", {2, 3, 8, 3, Activation::relu}, every,
                                          rng);
  save_for_pytorch<wrnn::WaveCell<float>>(directory, "wave_k5_tanh",
                                          {3, 2, 11, 5, Activation::tanh}, last_mlp, rng);
  save_for_pytorch<wrnn::WaveCell<double>>(directory, "wave_double", {2, 2, 7, 3}, every, rng);
  save_for_pytorch<wrnn::DenseCell<float>>(directory, "dense", {2, 9, Activation::relu}, last_mlp,
                                           rng);
  save_for_pytorch<wrnn::LSTMCell<float>>(directory, "lstm", {3, 7}, every, rng);
  save_for_pytorch<wrnn::LSTMCell<double>>(directory, "lstm_double", {2, 5}, last_mlp, rng);
  save_for_pytorch<wrnn::GRUCell<float>>(directory, "gru", {3, 7}, last_mlp, rng);
  save_for_pytorch<wrnn::GRUCell<float>>(directory, "gru_every", {2, 6}, every, rng);
  CHECK(run_script("check", directory) == 0);

  // The check can fail: one weight changed after saving the outputs.
  auto file = wrnn::io::SafetensorsFile::read((directory / "gru.wrnn.safetensors").string());
  wrnn::io::SafetensorsWriter writer;
  for (const auto& name : file.names()) {
    auto values = file.get<float>(name);
    if (name == "cell.weight_hh_l0") values[0] += 0.5f;
    writer.add(name, file.shape(name), values.data());
  }
  for (const auto& [key, value] : file.metadata()) writer.set_metadata(key, value);
  const fs::path broken = fresh_directory("broken");
  writer.write((broken / "gru.wrnn.safetensors").string());
  fs::copy_file(directory / "gru.wrnn.io.safetensors", broken / "gru.wrnn.io.safetensors");
  CHECK(run_script("check", broken) == 1);
}

}  // namespace test_pytorch_roundtrip
