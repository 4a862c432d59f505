// Model files (wrnn/io/model_file.hpp): every cell kind and readout kind, in float and double,
// saved and loaded back bit-exactly; the file alone rebuilds a model that gives the same outputs
// on random inputs (describe_model_file); and a wrong shape, a missing or an extra tensor, or a
// file of another structure is refused with an error naming the tensor or metadata key, leaving
// the model unchanged.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <string>

#include "wrnn/io/io.hpp"
#include "wrnn/wrnn.hpp"

namespace test_model_file {  // see "unity groups" in tests/CMakeLists.txt

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

std::string temp_path(const std::string& name) {
  const fs::path directory =
      fs::temp_directory_path() / ("wrnn_test_model_file_" + std::to_string(::getpid()));
  fs::create_directories(directory);
  return (directory / name).string();
}

// Every parameter drawn from N(0, 0.3^2): nothing the inits would leave zero or structured.
template <class Model>
void randomize(Model& model, wrnn::Rng& rng) {
  for (const auto& named : model.parameters())
    for (wrnn::Index i = 0; i < named.parameter->size(); ++i)
      named.parameter->value[i] = static_cast<typename Model::Scalar>(rng.normal(0.0, 0.3));
}

template <class Scalar>
wrnn::Sequence<Scalar> random_inputs(wrnn::Index steps, wrnn::Index batch, wrnn::Index features,
                                     wrnn::Rng& rng) {
  wrnn::Sequence<Scalar> inputs(steps, batch, features);
  for (wrnn::Index t = 0; t < steps; ++t)
    for (wrnn::Index b = 0; b < batch; ++b)
      for (wrnn::Index f = 0; f < features; ++f)
        inputs.step(t)(f, b) = static_cast<Scalar>(rng.normal());
  return inputs;
}

template <class Model>
void require_same_parameters(Model& a, Model& b) {
  REQUIRE(a.parameters().size() == b.parameters().size());
  for (std::size_t i = 0; i < a.parameters().size(); ++i) {
    INFO(a.parameters()[i].name);
    CHECK(a.parameters()[i].name == b.parameters()[i].name);
    CHECK(a.parameters()[i].parameter->value == b.parameters()[i].parameter->value);
  }
}

// Saves a model with random parameters; a fresh model of the same options loads it bit-exactly;
// a model built from describe_model_file alone gives exactly the same outputs.
template <class Cell>
void check_round_trip(const typename Cell::Options& cell_options,
                      const wrnn::ReadoutOptions& readout, const std::string& kind) {
  using Scalar = typename Cell::Scalar;
  wrnn::Rng rng(7);
  wrnn::SequenceModel<Cell> saved(cell_options, readout);
  randomize(saved, rng);
  const std::string path = temp_path(kind + ".safetensors");
  wrnn::io::save_model(path, saved, {{"note", "hello"}});

  wrnn::SequenceModel<Cell> loaded(cell_options, readout);
  wrnn::io::load_model(path, loaded);
  require_same_parameters(saved, loaded);

  const wrnn::io::ModelDescription d = wrnn::io::describe_model_file(path);
  CHECK(d.cell == kind);
  CHECK(d.metadata.at("note") == "hello");
  CHECK(d.metadata.at("wrnn.dtype") == (std::is_same_v<Scalar, float> ? "F32" : "F64"));
  CHECK(d.metadata.at("wrnn.format_version") == "1");
  CHECK(d.readout.kind == readout.kind);
  CHECK(d.readout.mode == readout.mode);
  CHECK(d.readout.output_size == readout.output_size);
  CHECK(d.readout.mlp_hidden == readout.mlp_hidden);
  typename Cell::Options rebuilt_options;
  if constexpr (std::is_same_v<typename Cell::Options, wrnn::WaveCellOptions>) {
    rebuilt_options = d.wave;
    CHECK(d.wave.channels == cell_options.channels);
    CHECK(d.wave.ring_size == cell_options.ring_size);
    CHECK(d.wave.kernel_size == cell_options.kernel_size);
    CHECK(d.wave.activation == cell_options.activation);
    CHECK(d.wave.recurrent_init == cell_options.recurrent_init);
    CHECK(d.wave.input_init == cell_options.input_init);
  } else if constexpr (std::is_same_v<typename Cell::Options, wrnn::DenseCellOptions>) {
    rebuilt_options = d.dense;
    CHECK(d.dense.hidden_size == cell_options.hidden_size);
    CHECK(d.dense.activation == cell_options.activation);
    CHECK(d.dense.recurrent_init == cell_options.recurrent_init);
  } else if constexpr (std::is_same_v<typename Cell::Options, wrnn::LSTMCellOptions>) {
    rebuilt_options = d.lstm;
    CHECK(d.lstm.hidden_size == cell_options.hidden_size);
  } else {
    rebuilt_options = d.gru;
    CHECK(d.gru.hidden_size == cell_options.hidden_size);
  }
  CHECK(rebuilt_options.input_size == cell_options.input_size);
  wrnn::SequenceModel<Cell> rebuilt(rebuilt_options, d.readout);
  wrnn::io::load_model(path, rebuilt);
  require_same_parameters(saved, rebuilt);
  const auto inputs = random_inputs<Scalar>(9, 5, cell_options.input_size, rng);
  const wrnn::Matrix<Scalar> expected = saved.forward(inputs);
  CHECK(rebuilt.forward(inputs) == expected);
  CHECK(expected.allFinite());
}

const wrnn::ReadoutOptions kReadouts[] = {
    {3, wrnn::ReadoutKind::linear, wrnn::ReadoutMode::every_step, 100},
    {2, wrnn::ReadoutKind::mlp, wrnn::ReadoutMode::last_step, 7},
};

template <class Scalar>
void check_every_kind() {
  for (const auto& readout : kReadouts) {
    INFO("readout " << wrnn::to_string(readout.kind));
    check_round_trip<wrnn::WaveCell<Scalar>>(
        {2, 3, 8, 5, wrnn::Activation::tanh, wrnn::RecurrentInit::random, wrnn::InputInit::normal},
        readout, "wave");
    check_round_trip<wrnn::DenseCell<Scalar>>(
        {2, 6, wrnn::Activation::relu, wrnn::RecurrentInit::identity, wrnn::InputInit::solo},
        readout, "dense");
    check_round_trip<wrnn::LSTMCell<Scalar>>({2, 5}, readout, "lstm");
    check_round_trip<wrnn::GRUCell<Scalar>>({2, 5}, readout, "gru");
  }
}

// Copies a file's tensors (as float) and metadata into a new file, after `edit` changed them.
struct FileContents {
  std::map<std::string, std::pair<std::vector<std::int64_t>, std::vector<float>>> tensors;
  std::map<std::string, std::string> metadata;
};
std::string edited_copy(const std::string& from, const std::string& name,
                        const std::function<void(FileContents&)>& edit) {
  const auto file = wrnn::io::SafetensorsFile::read(from);
  FileContents contents;
  contents.metadata = file.metadata();
  for (const auto& tensor : file.names())
    contents.tensors[tensor] = {file.shape(tensor), file.get<float>(tensor)};
  edit(contents);
  wrnn::io::SafetensorsWriter writer;
  for (const auto& [tensor, value] : contents.tensors)
    writer.add(tensor, value.first, value.second.data());
  for (const auto& [key, value] : contents.metadata) writer.set_metadata(key, value);
  const std::string path = temp_path(name);
  writer.write(path);
  return path;
}

using WaveModel = wrnn::SequenceModel<wrnn::WaveCell<float>>;
const wrnn::WaveCellOptions kWave{1, 2, 6, 3};
const wrnn::ReadoutOptions kLinear{4};

// Loading `path` into a wave model fails with a message containing every one of `parts`, and
// leaves the model's parameters as they were.
void require_refused(const std::string& path, const std::vector<std::string>& parts) {
  WaveModel model(kWave, kLinear);
  wrnn::Rng rng(3);
  randomize(model, rng);
  WaveModel before(kWave, kLinear);
  for (std::size_t i = 0; i < model.parameters().size(); ++i)
    before.parameters()[i].parameter->value = model.parameters()[i].parameter->value;
  try {
    wrnn::io::load_model(path, model);
    FAIL("load_model accepted " << path);
  } catch (const wrnn::Error& error) {
    for (const auto& part : parts) CHECK_THAT(error.what(), Contains(part));
  }
  require_same_parameters(model, before);
}

}  // namespace

TEST_CASE("every cell and readout kind round-trips in float") {
  check_every_kind<float>();
}
TEST_CASE("every cell and readout kind round-trips in double") {
  check_every_kind<double>();
}

TEST_CASE("a double file loads into a float model (rounded) and a float file into double") {
  wrnn::Rng rng(11);
  wrnn::SequenceModel<wrnn::DenseCell<double>> wide({1, 4}, kLinear);
  randomize(wide, rng);
  const std::string path = temp_path("wide.safetensors");
  wrnn::io::save_model(path, wide);
  wrnn::SequenceModel<wrnn::DenseCell<float>> narrow({1, 4}, kLinear);
  wrnn::io::load_model(path, narrow);
  for (std::size_t i = 0; i < narrow.parameters().size(); ++i)
    CHECK(narrow.parameters()[i].parameter->value ==
          wide.parameters()[i].parameter->value.cast<float>());
}

TEST_CASE("the file holds the PyTorch names and the metadata keys") {
  WaveModel model(kWave, kLinear);
  const std::string path = temp_path("names.safetensors");
  wrnn::io::save_model(path, model);
  const auto file = wrnn::io::SafetensorsFile::read(path);
  CHECK(file.names() == std::vector<std::string>{"cell.Wx.bias", "cell.Wx.weight", "cell.Wy.bias",
                                                 "cell.Wy.weight", "readout.bias",
                                                 "readout.weight"});
  CHECK(file.shape("cell.Wy.weight") == std::vector<std::int64_t>{2, 2, 3});
  CHECK(file.shape("cell.Wx.weight") == std::vector<std::int64_t>{12, 1});
  CHECK(file.metadata_value("wrnn.cell") == "wave");
  CHECK(file.metadata_value("wrnn.cell.channels") == "2");
  CHECK(file.metadata_value("wrnn.cell.ring_size") == "6");
  CHECK(file.metadata_value("wrnn.cell.kernel_size") == "3");
  CHECK(file.metadata_value("wrnn.cell.activation") == "relu");
  CHECK(file.metadata_value("wrnn.readout.kind") == "linear");
  CHECK(file.metadata_value("wrnn.readout.mode") == "every_step");
  CHECK(file.metadata_value("wrnn.readout.output_size") == "4");
  CHECK(file.metadata_value("wrnn.dtype") == "F32");
  CHECK_THROWS_WITH(wrnn::io::save_model(path, model, {{"wrnn.cell", "dense"}}),
                    Contains("'wrnn.cell'"));
}

TEST_CASE("a wrong shape, a missing or an extra tensor, or another structure is named") {
  WaveModel model(kWave, kLinear);
  const std::string good = temp_path("good.safetensors");
  wrnn::io::save_model(good, model);

  require_refused(edited_copy(good, "shape.safetensors",
                              [](FileContents& c) {
                                c.tensors["cell.Wy.weight"] = {{2, 2, 5}, std::vector<float>(20)};
                              }),
                  {"cell.Wy.weight", "[2, 2, 3]", "[2, 2, 5]"});
  require_refused(edited_copy(good, "missing.safetensors",
                              [](FileContents& c) { c.tensors.erase("readout.bias"); }),
                  {"missing tensor 'readout.bias'"});
  require_refused(edited_copy(good, "extra.safetensors",
                              [](FileContents& c) {
                                c.tensors["cell.Wz.weight"] = {{1}, std::vector<float>(1)};
                              }),
                  {"unexpected tensor 'cell.Wz.weight'"});
  require_refused(edited_copy(good, "kind.safetensors",
                              [](FileContents& c) { c.metadata["wrnn.cell"] = "dense"; }),
                  {"'wrnn.cell'", "'dense'", "'wave'"});
  require_refused(edited_copy(good, "channels.safetensors",
                              [](FileContents& c) { c.metadata["wrnn.cell.kernel_size"] = "5"; }),
                  {"'wrnn.cell.kernel_size'", "'5'", "'3'"});
  require_refused(edited_copy(good, "activation.safetensors",
                              [](FileContents& c) { c.metadata["wrnn.cell.activation"] = "tanh"; }),
                  {"'wrnn.cell.activation'", "'tanh'"});
  require_refused(
      edited_copy(good, "mode.safetensors",
                  [](FileContents& c) { c.metadata["wrnn.readout.mode"] = "last_step"; }),
      {"'wrnn.readout.mode'"});
  require_refused(
      edited_copy(good, "nokey.safetensors",
                  [](FileContents& c) { c.metadata.erase("wrnn.readout.output_size"); }),
      {"missing metadata key 'wrnn.readout.output_size'"});
  require_refused(edited_copy(good, "version.safetensors",
                              [](FileContents& c) { c.metadata["wrnn.format_version"] = "2"; }),
                  {"'wrnn.format_version'", "'2'"});
  // The init keys only record how training began: a different one loads.
  WaveModel other(kWave, kLinear);
  CHECK_NOTHROW(wrnn::io::load_model(
      edited_copy(good, "init.safetensors",
                  [](FileContents& c) { c.metadata["wrnn.cell.recurrent_init"] = "random"; }),
      other));
  // A file of another kind rebuilds nothing unknown.
  CHECK_THROWS_WITH(
      wrnn::io::describe_model_file(edited_copy(
          good, "unknown.safetensors", [](FileContents& c) { c.metadata["wrnn.cell"] = "mamba"; })),
      Contains("'mamba'"));
  CHECK_THROWS_WITH(wrnn::io::describe_model_file(edited_copy(
                        good, "badsize.safetensors",
                        [](FileContents& c) { c.metadata["wrnn.cell.ring_size"] = "6x"; })),
                    Contains("'wrnn.cell.ring_size'"));
}

}  // namespace test_model_file
