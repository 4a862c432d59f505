/// \file
/// Training checkpoints: everything a run needs to continue bit-identically, in one safetensors
/// file written atomically (temporary file, fsync, rename: a kill at any moment leaves the previous
/// checkpoint whole).
///
/// Contents: the model file (wrnn/io/model_file.hpp: parameters and metadata), and
///
///     tensors  optimizer.exp_avg.<parameter name>     Adam's first moment m, the parameter's shape
///              optimizer.exp_avg_sq.<parameter name>  Adam's second moment v
///              optimizer.momentum_buffer.<name>       SGD's momentum buffer (instead of the two)
///              (none for a frozen parameter, Parameter::frozen, as PyTorch keeps no state for it)
///     metadata wrnn.checkpoint.format_version = "1"
///              wrnn.checkpoint.step           the training step the checkpoint was taken after
///              wrnn.optimizer                 "adam" or "sgd"
///              wrnn.optimizer.step_count      Adam's t (its bias corrections depend on it); SGD's
///                                             count (its first step initialises the buffers)
///              wrnn.optimizer.learning_rate   the learning rate at that moment (informational)
///              wrnn.rng_state                 Rng::state(): the mt19937_64 engine as text
///
/// plus the caller's extra metadata (short settings) and run tensors: data that grows with the run,
/// such as the loss curve so far, under names "run.<name>" as F64 (kept out of the header, which
/// readers limit in size). The moments are stored in the model's Scalar type, so a float run
/// resumes exactly. The optimizer must have been built from model.parameters() (its moments are in
/// that order). Loading refuses parameters and moments that are not finite, and second moments
/// below zero (NumericalError naming the tensor and element).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/io/model_file.hpp"
#include "wrnn/train/optimizer.hpp"

namespace wrnn::io {

/// The value of wrnn.checkpoint.format_version this code writes and reads.
inline constexpr const char* kCheckpointFormatVersion = "1";
/// Prefix of Adam's first moments (PyTorch's state key exp_avg).
inline constexpr const char* kFirstMomentPrefix = "optimizer.exp_avg.";
/// Prefix of Adam's second moments (PyTorch's state key exp_avg_sq).
inline constexpr const char* kSecondMomentPrefix = "optimizer.exp_avg_sq.";
/// Prefix of SGD's momentum buffers (PyTorch's state key momentum_buffer).
inline constexpr const char* kMomentumPrefix = "optimizer.momentum_buffer.";
/// Prefix of the caller's run tensors.
inline constexpr const char* kRunTensorPrefix = "run.";

/// A run tensor: a row-major array of numbers the caller keeps in the checkpoint (stored as F64).
struct RunTensor {
  std::vector<std::int64_t> shape;  ///< its shape
  std::vector<double> values;       ///< product(shape) of them
};
/// Run tensors by name; the names start with kRunTensorPrefix.
using RunTensors = std::map<std::string, RunTensor>;

/// What load_checkpoint() returns besides the restored objects.
struct CheckpointInfo {
  long long step = 0;                           ///< wrnn.checkpoint.step
  std::map<std::string, std::string> metadata;  ///< every metadata entry of the file
  RunTensors run_tensors;                       ///< every "run.*" tensor of the file
};

namespace detail {

// One kind of per-parameter optimizer buffer: its tensor-name prefix, the buffers, and what a
// loaded value must be (finite; for Adam's second moment also >= 0).
template <class Scalar>
struct OptimizerBuffer {
  std::string prefix;
  std::vector<Vector<Scalar>>* values;
  const char* what;
  bool non_negative;
};

// The state of an optimizer as a checkpoint sees it: its name, its per-parameter buffers and its
// step count.
template <class Scalar>
struct OptimizerStateView {
  std::string name;
  std::vector<OptimizerBuffer<Scalar>> buffers;
  long long step_count;
  double learning_rate;
};

template <class Scalar>
OptimizerStateView<Scalar> state_view(Adam<Scalar>& optimizer) {
  return {"adam",
          {{kFirstMomentPrefix, &optimizer.first_moments(), "Adam's first moment", false},
           {kSecondMomentPrefix, &optimizer.second_moments(), "Adam's second moment", true}},
          optimizer.step_count(),
          optimizer.learning_rate()};
}
template <class Scalar>
OptimizerStateView<Scalar> state_view(Sgd<Scalar>& optimizer) {
  return {"sgd",
          {{kMomentumPrefix, &optimizer.momentum_buffers(), "SGD's momentum buffer", false}},
          optimizer.step_count(),
          optimizer.learning_rate()};
}

template <class Scalar>
void require_buffer_count(const ParameterList<Scalar>& parameters,
                          const OptimizerStateView<Scalar>& state) {
  for (const auto& buffer : state.buffers)
    if (buffer.values->size() != parameters.size())
      throw ValueError(
          wrnn::detail::concat("checkpoint: the optimizer holds ", buffer.values->size(),
                               " buffers '", buffer.prefix, "*', the model has ", parameters.size(),
                               " parameters; build the optimizer from model.parameters()"));
}

inline bool is_run_tensor_name(const std::string& name) {
  return name.compare(0, std::string(kRunTensorPrefix).size(), kRunTensorPrefix) == 0;
}

template <class Model>
void save_checkpoint_of(const std::string& path, Model& model,
                        const OptimizerStateView<typename Model::Scalar>& state, const Rng& rng,
                        long long step, const std::map<std::string, std::string>& extra_metadata,
                        const RunTensors& run_tensors) {
  const auto& parameters = model.parameters();
  require_buffer_count(parameters, state);
  for (const auto& [name, tensor] : run_tensors)
    if (!is_run_tensor_name(name))
      throw ValueError(wrnn::detail::concat("save_checkpoint: run tensor '", name,
                                            "': expected a name starting with '", kRunTensorPrefix,
                                            "'"));
  std::map<std::string, std::string> metadata = extra_metadata;
  const std::map<std::string, std::string> own{
      {"wrnn.checkpoint.format_version", kCheckpointFormatVersion},
      {"wrnn.checkpoint.step", std::to_string(step)},
      {"wrnn.optimizer", state.name},
      {"wrnn.optimizer.step_count", std::to_string(state.step_count)},
      {"wrnn.optimizer.learning_rate", wrnn::detail::concat(state.learning_rate)},
      {"wrnn.rng_state", rng.state()}};
  for (const auto& [key, value] : own) {
    if (metadata.count(key))
      throw ValueError(wrnn::detail::concat("save_checkpoint: extra metadata key '", key,
                                            "' is one the checkpoint sets itself"));
    metadata[key] = value;
  }
  SafetensorsWriter writer;
  add_model(writer, model, metadata);
  for (const auto& buffer : state.buffers)
    for (std::size_t i = 0; i < parameters.size(); ++i)
      if (!parameters[i].parameter->frozen())  // a frozen parameter has no optimizer state
        writer.add(buffer.prefix + parameters[i].name,
                   to_int64_shape(parameters[i].parameter->shape), (*buffer.values)[i].data());
  for (const auto& [name, tensor] : run_tensors) writer.add(name, tensor.shape, tensor.values);
  writer.write(path);
}

// Reads and checks everything, then assigns; returns the checkpoint's info and the optimizer's
// step count (the caller sets it).
template <class Model>
std::pair<CheckpointInfo, long long> load_checkpoint_of(
    const std::string& path, Model& model, const OptimizerStateView<typename Model::Scalar>& state,
    Rng& rng) {
  using Scalar = typename Model::Scalar;
  const SafetensorsFile file = SafetensorsFile::read(path);
  const auto& parameters = model.parameters();
  require_buffer_count(parameters, state);
  require_same_structure(file, model);
  const std::string& version = file.metadata_value("wrnn.checkpoint.format_version");
  if (version != kCheckpointFormatVersion)
    throw FormatError(
        wrnn::detail::concat("checkpoint '", path, "': wrnn.checkpoint.format_version is '",
                             version, "', this library reads '", kCheckpointFormatVersion, "'"));
  if (file.metadata_value("wrnn.optimizer") != state.name)
    throw FormatError(wrnn::detail::concat(
        "checkpoint '", path, "': metadata 'wrnn.optimizer' is '",
        file.metadata_value("wrnn.optimizer"), "', expected '", state.name, "'"));
  CheckpointInfo info;
  info.step = parse_metadata_count(file, "wrnn.checkpoint.step", false, "checkpoint");
  info.metadata = file.metadata();
  const long long step_count =
      parse_metadata_count(file, "wrnn.optimizer.step_count", false, "checkpoint");

  // Every tensor must be a parameter, one of the optimizer's buffers of it, or a run tensor.
  std::set<std::string> expected;
  ParameterList<Scalar> trained;  // the parameters with optimizer state: those not frozen
  for (const auto& named : parameters) {
    expected.insert(named.name);
    if (named.parameter->frozen()) continue;
    trained.push_back(named);
    for (const auto& buffer : state.buffers) expected.insert(buffer.prefix + named.name);
  }
  for (const std::string& name : file.names()) {
    if (is_run_tensor_name(name)) {
      info.run_tensors[name].values = file.get<double>(name, &info.run_tensors[name].shape);
    } else if (!expected.count(name)) {
      for (const auto& named : parameters)
        for (const auto& buffer : state.buffers)
          if (named.parameter->frozen() && name == buffer.prefix + named.name)
            throw FormatError(wrnn::detail::concat("checkpoint '", path, "': tensor '", name,
                                                   "' is optimizer state of '", named.name,
                                                   "', which this model has frozen; freeze the "
                                                   "parameters the checkpoint's run froze"));
      throw FormatError(wrnn::detail::concat("checkpoint '", path, "': unexpected tensor '", name,
                                             "' (neither a parameter of the model nor its "
                                             "optimizer state nor a '",
                                             kRunTensorPrefix, "' tensor)"));
    }
  }
  const auto values = read_parameter_values(file, parameters, "", "a parameter");
  std::vector<std::vector<std::vector<Scalar>>> buffer_values;
  for (const auto& buffer : state.buffers)
    buffer_values.push_back(
        read_parameter_values(file, trained, buffer.prefix, buffer.what, buffer.non_negative));
  Rng restored;
  restored.set_state(file.metadata_value("wrnn.rng_state"));

  // Everything is read and checked: now change the caller's objects.
  for (std::size_t i = 0, t = 0; i < parameters.size(); ++i) {
    std::copy(values[i].begin(), values[i].end(), parameters[i].parameter->value.data());
    if (parameters[i].parameter->frozen()) continue;
    for (std::size_t b = 0; b < state.buffers.size(); ++b)
      std::copy(buffer_values[b][t].begin(), buffer_values[b][t].end(),
                (*state.buffers[b].values)[i].data());
    ++t;
  }
  rng = restored;
  return {info, step_count};
}

}  // namespace detail

/// Saves model, Adam optimizer (its moments as "optimizer.exp_avg.<name>" and
/// "optimizer.exp_avg_sq.<name>", PyTorch's state keys, and its step count), the RNG's state and
/// `step`, with the caller's extra metadata and run tensors, atomically to `path`.
/// \throws ValueError when the optimizer's state does not match the model's parameters, a run
///         tensor's name does not start with "run." or an extra metadata key is one the
///         checkpoint sets itself. \throws FormatError when the file cannot be written or the
///         header would exceed the readers' limit.
template <class Model>
void save_checkpoint(const std::string& path, Model& model, Adam<typename Model::Scalar>& optimizer,
                     const Rng& rng, long long step,
                     const std::map<std::string, std::string>& extra_metadata = {},
                     const RunTensors& run_tensors = {}) {
  detail::save_checkpoint_of(path, model, detail::state_view(optimizer), rng, step, extra_metadata,
                             run_tensors);
}

/// Restores model, optimizer and RNG from a checkpoint and returns its step and metadata. Every
/// name, shape, structural key and number is checked before anything is changed: on an error
/// (wrnn::Error naming the tensor or key) model, optimizer and rng are as they were.
template <class Model>
CheckpointInfo load_checkpoint(const std::string& path, Model& model,
                               Adam<typename Model::Scalar>& optimizer, Rng& rng) {
  const auto [info, step_count] =
      detail::load_checkpoint_of(path, model, detail::state_view(optimizer), rng);
  optimizer.set_step_count(step_count);
  return info;
}

/// The same for SGD: its momentum buffers as "optimizer.momentum_buffer.<name>" (PyTorch's state
/// key), wrnn.optimizer = "sgd", and its step count (the first step initialises the buffers).
template <class Model>
void save_checkpoint(const std::string& path, Model& model, Sgd<typename Model::Scalar>& optimizer,
                     const Rng& rng, long long step,
                     const std::map<std::string, std::string>& extra_metadata = {},
                     const RunTensors& run_tensors = {}) {
  detail::save_checkpoint_of(path, model, detail::state_view(optimizer), rng, step, extra_metadata,
                             run_tensors);
}

/// The same for SGD (see load_checkpoint() for Adam).
template <class Model>
CheckpointInfo load_checkpoint(const std::string& path, Model& model,
                               Sgd<typename Model::Scalar>& optimizer, Rng& rng) {
  const auto [info, step_count] =
      detail::load_checkpoint_of(path, model, detail::state_view(optimizer), rng);
  optimizer.set_step_count(step_count);
  return info;
}

}  // namespace wrnn::io
