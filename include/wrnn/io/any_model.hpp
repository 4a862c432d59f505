/// \file
/// A model of any of wrnn's cells, chosen at run time from a model file's metadata (AnyModel,
/// io::load_model(path)).
#pragma once

#include <array>
#include <map>
#include <string>
#include <utility>
#include <variant>

#include "wrnn/cells/dense.hpp"
#include "wrnn/cells/gru.hpp"
#include "wrnn/cells/lstm.hpp"
#include "wrnn/cells/wave.hpp"
#include "wrnn/io/model_file.hpp"
#include "wrnn/model/sequence_model.hpp"

namespace wrnn {

/// A SequenceModel of float parameters whose cell (wave, dense, LSTM or GRU) is chosen at run
/// time: what io::load_model(path) returns for a file of any cell type, so that a program can
/// load, run, step and save a model without naming its cell.
///
/// \code
/// wrnn::AnyModel model = wrnn::io::load_model("copy.safetensors");
/// std::vector<float> state(model.state_size()), output(model.output_size());
/// model.step(input.data(), state.data(), output.data());   // one sample, one step
/// \endcode
///
/// Each call forwards to the SequenceModel it holds (get_if() or visit() reach it typed).
class AnyModel {
 public:
  /// The four models an AnyModel can hold.
  using Variant = std::variant<SequenceModel<WaveCell<float>>, SequenceModel<DenseCell<float>>,
                               SequenceModel<LSTMCell<float>>, SequenceModel<GRUCell<float>>>;

  /// Takes over a model of any of the four cells.
  template <class Cell>
  explicit AnyModel(SequenceModel<Cell>&& model) : model_(std::move(model)) {}

  /// Calls f(model) with the SequenceModel it holds, typed; returns what f returns.
  template <class F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), model_);
  }
  /// Calls f(model) with the SequenceModel it holds, read-only.
  template <class F>
  decltype(auto) visit(F&& f) const {
    return std::visit(std::forward<F>(f), model_);
  }

  /// The cell's kind as model files name it: "wave", "dense", "lstm" or "gru".
  std::string cell_kind() const {
    static const std::array<const char*, 4> names{"wave", "dense", "lstm", "gru"};
    return names[model_.index()];
  }
  /// d, the features of one input.
  Index input_size() const {
    return visit([](const auto& m) { return m.cell().input_size(); });
  }
  /// The values of one sample's state, as step() takes it.
  Index state_size() const {
    return visit([](const auto& m) { return m.cell().state_size(); });
  }
  /// o, the readout's outputs per sample and step.
  Index output_size() const {
    return visit([](const auto& m) { return m.readout().output_size(); });
  }
  /// The readout's kind, mode and sizes.
  const ReadoutOptions& readout_options() const {
    return visit([](const auto& m) -> const ReadoutOptions& { return m.readout().options(); });
  }

  /// SequenceModel::infer: the outputs of a batch of sequences, without a tape.
  const Matrix<float>& infer(const Sequence<float>& inputs) {
    return visit([&](auto& m) -> const Matrix<float>& { return m.infer(inputs); });
  }
  /// SequenceModel::forward: the same outputs, with the tape for backward().
  const Matrix<float>& forward(const Sequence<float>& inputs) {
    return visit([&](auto& m) -> const Matrix<float>& { return m.forward(inputs); });
  }
  /// SequenceModel::backward: adds every parameter's gradient given dL/doutputs.
  void backward(const Matrix<float>& grad_outputs) {
    visit([&](auto& m) { m.backward(grad_outputs); });
  }
  /// SequenceModel::step: one sample, one step through cell and readout; never allocates.
  void step(const float* input, float* state, float* output) {
    visit([&](auto& m) { m.step(input, state, output); });
  }
  /// SequenceModel::step on Eigen vectors, their sizes checked.
  /// \throws ShapeError when input, state or output has the wrong size.
  void step(const Eigen::Ref<const Vector<float>>& input, Eigen::Ref<Vector<float>> state,
            Eigen::Ref<Vector<float>> output) {
    visit([&](auto& m) { m.step(input, state, output); });
  }

  /// Every parameter under its full name ("cell.Wx.weight", ..., "readout.weight"), in the
  /// order optimizers and model files use.
  const ParameterList<float>& parameters() const {
    return visit([](const auto& m) -> const ParameterList<float>& { return m.parameters(); });
  }
  /// The parameter of that full name. \throws ValueError when there is none.
  Parameter<float>& parameter(const std::string& name) {
    return visit([&](auto& m) -> Parameter<float>& { return m.parameter(name); });
  }

  /// Saves the model to a model file (io::save_model), which io::load_model(path) reads back.
  void save(const std::string& path,
            const std::map<std::string, std::string>& extra_metadata = {}) const {
    visit([&](const auto& m) { io::save_model(path, m, extra_metadata); });
  }

  /// The model, when it holds a SequenceModel<Cell>; else null.
  template <class Cell>
  SequenceModel<Cell>* get_if() {
    return std::get_if<SequenceModel<Cell>>(&model_);
  }
  /// The model, when it holds a SequenceModel<Cell>; else null.
  template <class Cell>
  const SequenceModel<Cell>* get_if() const {
    return std::get_if<SequenceModel<Cell>>(&model_);
  }

 private:
  Variant model_;
};

namespace io {

/// Builds the model a model file describes (its cell kind, sizes and readout, from the file's
/// metadata: describe_model_file) and loads its parameters (load_model(path, model)), without
/// the caller naming the cell type. `options` says how the model runs batches (chunks, threads,
/// a shared pool). F64 files load converted to float.
/// \throws FormatError for a file that is not a wrnn model file (a missing or unknown metadata
///         key, a missing or extra tensor, a wrong shape) or holds a loco cell, and the errors of
///         SafetensorsFile::read.
inline AnyModel load_model(const std::string& path, ModelOptions options = {}) {
  const ModelDescription description = describe_model_file(path);
  auto load = [&](auto&& model) {
    load_model(path, model);
    return AnyModel(std::move(model));
  };
  const ReadoutOptions& readout = description.readout;
  if (description.cell == "wave")
    return load(SequenceModel<WaveCell<float>>(description.wave, readout, std::move(options)));
  if (description.cell == "dense")
    return load(SequenceModel<DenseCell<float>>(description.dense, readout, std::move(options)));
  if (description.cell == "lstm")
    return load(SequenceModel<LSTMCell<float>>(description.lstm, readout, std::move(options)));
  // The loco cell (loco.hpp) stays out of the variant: every unit that includes this header would
  // compile its model too, for an ablation that is trained, not deployed.
  if (description.cell == "loco")
    throw FormatError(wrnn::detail::concat(
        "model file '", path,
        "': AnyModel holds wave, dense, lstm or gru models, the file has a loco cell; build "
        "SequenceModel<LocoCell<float>> from describe_model_file(path).loco and load_model into "
        "it"));
  return load(SequenceModel<GRUCell<float>>(description.gru, readout, std::move(options)));
}

}  // namespace io
}  // namespace wrnn
