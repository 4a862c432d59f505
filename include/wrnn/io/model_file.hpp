/// \file
/// Whole models in safetensors files: the parameters under their PyTorch names plus metadata that
/// lets the file alone rebuild the model.
///
/// Tensors: every parameter of the model under its full name ("cell.Wx.weight", "cell.Wy.bias",
/// "cell.weight_ih_l0", "readout.weight", "readout.0.weight", ...), in the model's Scalar type.
/// Metadata (all strings; the safetensors "__metadata__" object):
///
///     wrnn.format_version   "1"
///     wrnn.cell             wave | dense | lstm | gru | loco
///     wrnn.dtype            F32 | F64 (the dtype of the parameters)
///     wrnn.cell.<option>    every option of the cell kind:
///                             wave, loco: input_size channels ring_size kernel_size
///                                    activation recurrent_init input_init
///                             dense: input_size hidden_size activation recurrent_init input_init
///                             lstm, gru: input_size hidden_size
///     wrnn.readout.kind / mode / output_size / mlp_hidden
///
/// A FlatClassifier (no cell) writes wrnn.cell "flat" with wrnn.cell.steps and
/// wrnn.cell.input_size (T and d) in the cell's place; its files load into a FlatClassifier
/// (load_model, checkpoints), and describe_model_file() refuses them.
///
/// plus any extra metadata the caller gives. load_model() requires the structural keys (cell kind,
/// sizes, kernel, activation, readout) to equal the model's, and the tensors to be exactly the
/// model's parameters with the model's shapes; the init keys only record how training began.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "wrnn/cells/dense.hpp"
#include "wrnn/cells/gru.hpp"
#include "wrnn/cells/loco.hpp"
#include "wrnn/cells/lstm.hpp"
#include "wrnn/cells/wave.hpp"
#include "wrnn/core/error.hpp"
#include "wrnn/io/parameters.hpp"
#include "wrnn/io/safetensors_reader.hpp"
#include "wrnn/io/safetensors_writer.hpp"
#include "wrnn/model/flat_classifier.hpp"
#include "wrnn/model/readout.hpp"

namespace wrnn::io {

/// The value of wrnn.format_version this code writes and reads.
inline constexpr const char* kModelFormatVersion = "1";

/// What a model file describes: enough to construct the model it was saved from. Only the options
/// of `cell`'s kind are filled in; the others keep their defaults.
struct ModelDescription {
  std::string cell;                             ///< wave, dense, lstm, gru or loco
  WaveCellOptions wave;                         ///< the options, when cell is "wave"
  DenseCellOptions dense;                       ///< the options, when cell is "dense"
  LSTMCellOptions lstm;                         ///< the options, when cell is "lstm"
  GRUCellOptions gru;                           ///< the options, when cell is "gru"
  LocoCellOptions loco;                         ///< the options, when cell is "loco"
  ReadoutOptions readout;                       ///< the readout's options
  std::map<std::string, std::string> metadata;  ///< every metadata entry of the file
};

namespace detail {

using Metadata = std::map<std::string, std::string>;

// One metadata entry: whether load_model() requires it to equal the model's.
struct MetadataEntry {
  std::string key, value;
  bool structural;
};

inline std::string index_text(Index value) {
  return std::to_string(value);
}

// The wave and loco cells' entries: the same options under their own cell name.
template <class RingCellOptions>
std::vector<MetadataEntry> ring_cell_entries(const char* cell, const RingCellOptions& o) {
  return {{"wrnn.cell", cell, true},
          {"wrnn.cell.input_size", index_text(o.input_size), true},
          {"wrnn.cell.channels", index_text(o.channels), true},
          {"wrnn.cell.ring_size", index_text(o.ring_size), true},
          {"wrnn.cell.kernel_size", index_text(o.kernel_size), true},
          {"wrnn.cell.activation", to_string(o.activation), true},
          {"wrnn.cell.recurrent_init", to_string(o.recurrent_init), false},
          {"wrnn.cell.input_init", to_string(o.input_init), false}};
}
inline std::vector<MetadataEntry> cell_entries(const WaveCellOptions& o) {
  return ring_cell_entries("wave", o);
}
inline std::vector<MetadataEntry> cell_entries(const LocoCellOptions& o) {
  return ring_cell_entries("loco", o);
}
inline std::vector<MetadataEntry> cell_entries(const DenseCellOptions& o) {
  return {{"wrnn.cell", "dense", true},
          {"wrnn.cell.input_size", index_text(o.input_size), true},
          {"wrnn.cell.hidden_size", index_text(o.hidden_size), true},
          {"wrnn.cell.activation", to_string(o.activation), true},
          {"wrnn.cell.recurrent_init", to_string(o.recurrent_init), false},
          {"wrnn.cell.input_init", to_string(o.input_init), false}};
}
inline std::vector<MetadataEntry> cell_entries(const LSTMCellOptions& o) {
  return {{"wrnn.cell", "lstm", true},
          {"wrnn.cell.input_size", index_text(o.input_size), true},
          {"wrnn.cell.hidden_size", index_text(o.hidden_size), true}};
}
inline std::vector<MetadataEntry> cell_entries(const GRUCellOptions& o) {
  return {{"wrnn.cell", "gru", true},
          {"wrnn.cell.input_size", index_text(o.input_size), true},
          {"wrnn.cell.hidden_size", index_text(o.hidden_size), true}};
}

inline std::vector<MetadataEntry> readout_entries(const ReadoutOptions& o) {
  return {{"wrnn.readout.kind", to_string(o.kind), true},
          {"wrnn.readout.mode", to_string(o.mode), true},
          {"wrnn.readout.output_size", index_text(o.output_size), true},
          {"wrnn.readout.mlp_hidden", index_text(o.mlp_hidden), o.kind == ReadoutKind::mlp}};
}

template <class Scalar>
std::string dtype_text() {
  static_assert(std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>,
                "model files hold float (F32) or double (F64) parameters");
  return std::is_same_v<Scalar, float> ? "F32" : "F64";
}

// Every metadata entry that describes the model (format version, dtype, cell, readout).
template <class Model>
std::vector<MetadataEntry> model_entries(const Model& model) {
  std::vector<MetadataEntry> entries{{"wrnn.format_version", kModelFormatVersion, true},
                                     {"wrnn.dtype", dtype_text<typename Model::Scalar>(), false}};
  for (auto& entry : cell_entries(model.cell().options())) entries.push_back(entry);
  for (auto& entry : readout_entries(model.readout().options())) entries.push_back(entry);
  return entries;
}

// A FlatClassifier's entries: its input shape where a model's cell would be.
template <class Scalar>
std::vector<MetadataEntry> model_entries(const FlatClassifier<Scalar>& model) {
  std::vector<MetadataEntry> entries{{"wrnn.format_version", kModelFormatVersion, true},
                                     {"wrnn.dtype", dtype_text<Scalar>(), false},
                                     {"wrnn.cell", "flat", true},
                                     {"wrnn.cell.steps", index_text(model.steps()), true},
                                     {"wrnn.cell.input_size", index_text(model.features()), true}};
  for (auto& entry : readout_entries(model.readout().options())) entries.push_back(entry);
  return entries;
}

// Adds the model's parameters and metadata (and the extra metadata, which may not override a
// wrnn.* key the model sets) to a writer; save_model and save_checkpoint share it.
template <class Model>
void add_model(SafetensorsWriter& writer, const Model& model, const Metadata& extra_metadata) {
  const auto entries = model_entries(model);
  for (const auto& [key, value] : extra_metadata) {
    for (const auto& entry : entries)
      if (entry.key == key)
        throw ValueError(wrnn::detail::concat("save_model: extra metadata key '", key,
                                              "' is one the model file sets itself"));
    writer.set_metadata(key, value);
  }
  for (const auto& entry : entries) writer.set_metadata(entry.key, entry.value);
  add_parameters(writer, model.parameters());
}

// Requires the file's structural metadata to equal the model's: the cell kind first (so that a
// file of another kind says so rather than naming a size), then every other structural key.
template <class Model>
void require_same_structure(const SafetensorsFile& file, const Model& model) {
  const auto entries = model_entries(model);
  auto check = [&](const MetadataEntry& entry) {
    const auto found = file.metadata().find(entry.key);
    if (found == file.metadata().end())
      throw FormatError(wrnn::detail::concat("model file '", file.source_name(),
                                             "': missing metadata key '", entry.key,
                                             "' (the model has '", entry.value, "')"));
    if (found->second != entry.value)
      throw FormatError(wrnn::detail::concat(
          "model file '", file.source_name(), "': metadata '", entry.key, "' is '", found->second,
          "', but the model to load into has '", entry.value, "'"));
  };
  for (const auto& entry : entries)
    if (entry.key == "wrnn.format_version" || entry.key == "wrnn.cell") check(entry);
  for (const auto& entry : entries)
    if (entry.structural) check(entry);
}

// The parameters' new values read from the file under `prefix`, every name, shape and dtype
// checked and every value converted and required finite (and >= 0 with non_negative; `what` names
// the values in the error), but nothing assigned yet (so that a later failure changes nothing).
// Tensors of the file that are not in the list are the caller's business.
template <class Scalar>
std::vector<std::vector<Scalar>> read_parameter_values(const SafetensorsFile& file,
                                                       const ParameterList<Scalar>& parameters,
                                                       const std::string& prefix, const char* what,
                                                       bool non_negative = false) {
  std::vector<std::vector<Scalar>> values;
  for (const auto& named : parameters) {
    const std::string name = prefix + named.name;
    const auto shape = to_int64_shape(named.parameter->shape);
    if (!file.contains(name))
      throw FormatError(wrnn::detail::concat("safetensors file '", file.source_name(),
                                             "': missing tensor '", name, "' (shape ",
                                             shape_text(shape), ")"));
    require_shape(name, shape, file.shape(name));
    require_float_tensor<Scalar>(file, name);
    values.push_back(file.get<Scalar>(name));
    require_finite_values(file, name, values.back(), what, non_negative);
  }
  return values;
}

// The metadata entry `key` of `file` as a whole number, at least 1 (`positive`) or at least 0;
// `kind` names the file in the error ("model file", "checkpoint").
inline long long parse_metadata_count(const SafetensorsFile& file, const std::string& key,
                                      bool positive, const char* kind) {
  const std::string& text = file.metadata_value(key);
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || value < (positive ? 1 : 0))
    throw FormatError(wrnn::detail::concat(
        kind, " '", file.source_name(), "': metadata '", key, "': expected ",
        positive ? "a positive integer" : "an integer >= 0", ", received '", text, "'"));
  return value;
}

}  // namespace detail

/// Saves the model's parameters and metadata to `path`, atomically (SafetensorsWriter::write).
template <class Model>
void save_model(const std::string& path, Model& model,
                const std::map<std::string, std::string>& extra_metadata = {}) {
  SafetensorsWriter writer;
  detail::add_model(writer, model, extra_metadata);
  writer.write(path);
}

/// Loads a file saved from a model of the same structure (or written with the same names, shapes
/// and metadata, e.g. by PyTorch). A structure mismatch in the metadata, a missing or an extra
/// tensor, a wrong shape, an integer tensor or a value that is not finite raises a wrnn::Error
/// naming the key or tensor (and the element); the model is then unchanged. F64 files load into
/// float models and F32 into double (converted).
template <class Model>
void load_model(const std::string& path, Model& model) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  detail::require_same_structure(file, model);
  load_parameters(file, model.parameters());
}

/// Reads the model description from a file's metadata. Construct the model from it, e.g.
///   if (d.cell == "wave") SequenceModel<WaveCell<float>> model(d.wave, d.readout);
/// then load_model(path, model).
inline ModelDescription describe_model_file(const std::string& path) {
  const SafetensorsFile file = SafetensorsFile::read(path);
  ModelDescription d;
  d.metadata = file.metadata();
  const std::string& version = file.metadata_value("wrnn.format_version");
  if (version != kModelFormatVersion)
    throw FormatError(wrnn::detail::concat("model file '", path, "': wrnn.format_version is '",
                                           version, "', this library reads '", kModelFormatVersion,
                                           "'"));
  d.cell = file.metadata_value("wrnn.cell");
  auto size = [&](const char* key) {
    return static_cast<Index>(detail::parse_metadata_count(file, key, true, "model file"));
  };
  auto text = [&](const char* key) { return file.metadata_value(key); };
  // The wave and loco cells' options: the same keys (ring_cell_entries).
  const auto read_ring_cell = [&](auto& ring) {
    ring = {size("wrnn.cell.input_size"),
            size("wrnn.cell.channels"),
            size("wrnn.cell.ring_size"),
            size("wrnn.cell.kernel_size"),
            parse_activation(text("wrnn.cell.activation")),
            parse_recurrent_init(text("wrnn.cell.recurrent_init")),
            parse_input_init(text("wrnn.cell.input_init"))};
  };
  if (d.cell == "wave") {
    read_ring_cell(d.wave);
  } else if (d.cell == "dense") {
    d.dense = {size("wrnn.cell.input_size"), size("wrnn.cell.hidden_size"),
               parse_activation(text("wrnn.cell.activation")),
               parse_recurrent_init(text("wrnn.cell.recurrent_init")),
               parse_input_init(text("wrnn.cell.input_init"))};
  } else if (d.cell == "lstm") {
    d.lstm = {size("wrnn.cell.input_size"), size("wrnn.cell.hidden_size")};
  } else if (d.cell == "gru") {
    d.gru = {size("wrnn.cell.input_size"), size("wrnn.cell.hidden_size")};
  } else if (d.cell == "loco") {
    read_ring_cell(d.loco);
  } else {
    throw FormatError(wrnn::detail::concat("model file '", path,
                                           "': metadata 'wrnn.cell': expected wave, dense, lstm, "
                                           "gru or loco, received '",
                                           d.cell, "'"));
  }
  d.readout.kind = parse_readout_kind(text("wrnn.readout.kind"));
  d.readout.mode = parse_readout_mode(text("wrnn.readout.mode"));
  d.readout.output_size = size("wrnn.readout.output_size");
  d.readout.mlp_hidden = size("wrnn.readout.mlp_hidden");
  return d;
}

}  // namespace wrnn::io
