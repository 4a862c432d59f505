// Training checkpoints: everything a run needs to continue bit-identically, in one safetensors
// file written atomically (temporary file, fsync, rename: a kill at any moment leaves the
// previous checkpoint whole).
//
// Contents: the model file (wrnn/io/model_file.hpp: parameters and metadata), and
//   tensors  optimizer.exp_avg.<parameter name>     Adam's first moment m, the parameter's shape
//            optimizer.exp_avg_sq.<parameter name>  Adam's second moment v
//   metadata wrnn.checkpoint.format_version = "1"
//            wrnn.checkpoint.step           the training step the checkpoint was taken after
//            wrnn.optimizer                 "adam"
//            wrnn.optimizer.step_count      Adam's t (its bias corrections depend on it)
//            wrnn.optimizer.learning_rate   the learning rate at that moment (informational)
//            wrnn.rng_state                 Rng::state(): the mt19937_64 engine as text
// plus the caller's extra metadata (e.g. the loss curve so far). The moments are stored in the
// model's Scalar type, so a float run resumes exactly. The optimizer must have been built from
// model.parameters() (its moments are in that order).
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/io/model_file.hpp"
#include "wrnn/train/optimizer.hpp"

namespace wrnn::io {

inline constexpr const char* kCheckpointFormatVersion = "1";
inline constexpr const char* kFirstMomentPrefix = "optimizer.exp_avg.";
inline constexpr const char* kSecondMomentPrefix = "optimizer.exp_avg_sq.";

struct CheckpointInfo {
  long long step = 0;                           // wrnn.checkpoint.step
  std::map<std::string, std::string> metadata;  // every metadata entry of the file
};

namespace detail {

inline long long parse_count(const SafetensorsFile& file, const std::string& key) {
  const std::string& text = file.metadata_value(key);
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || value < 0)
    throw FormatError(wrnn::detail::concat("checkpoint '", file.source_name(), "': metadata '", key,
                                           "': expected an integer >= 0, received '", text, "'"));
  return value;
}

template <class Scalar>
void require_moment_count(const ParameterList<Scalar>& parameters, Adam<Scalar>& optimizer) {
  if (optimizer.first_moments().size() != parameters.size() ||
      optimizer.second_moments().size() != parameters.size())
    throw ValueError(
        wrnn::detail::concat("checkpoint: the optimizer holds ", optimizer.first_moments().size(),
                             " moments, the model has ", parameters.size(),
                             " parameters; build the optimizer from model.parameters()"));
}

}  // namespace detail

template <class Model>
void save_checkpoint(const std::string& path, Model& model, Adam<typename Model::Scalar>& optimizer,
                     const Rng& rng, long long step,
                     const std::map<std::string, std::string>& extra_metadata = {}) {
  const auto& parameters = model.parameters();
  detail::require_moment_count(parameters, optimizer);
  std::map<std::string, std::string> metadata = extra_metadata;
  const std::map<std::string, std::string> own{
      {"wrnn.checkpoint.format_version", kCheckpointFormatVersion},
      {"wrnn.checkpoint.step", std::to_string(step)},
      {"wrnn.optimizer", "adam"},
      {"wrnn.optimizer.step_count", std::to_string(optimizer.step_count())},
      {"wrnn.optimizer.learning_rate", wrnn::detail::concat(optimizer.learning_rate())},
      {"wrnn.rng_state", rng.state()}};
  for (const auto& [key, value] : own) {
    if (metadata.count(key))
      throw ValueError(wrnn::detail::concat("save_checkpoint: extra metadata key '", key,
                                            "' is one the checkpoint sets itself"));
    metadata[key] = value;
  }
  SafetensorsWriter writer;
  detail::add_model(writer, model, metadata);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto shape = detail::to_int64_shape(parameters[i].parameter->shape);
    writer.add(kFirstMomentPrefix + parameters[i].name, shape, optimizer.first_moments()[i].data());
    writer.add(kSecondMomentPrefix + parameters[i].name, shape,
               optimizer.second_moments()[i].data());
  }
  writer.write(path);
}

// Restores model, optimizer and RNG from a checkpoint and returns its step and metadata. Every
// name, shape, structural key and number is checked before anything is changed: on an error
// (wrnn::Error naming the tensor or key) model, optimizer and rng are as they were.
template <class Model>
CheckpointInfo load_checkpoint(const std::string& path, Model& model,
                               Adam<typename Model::Scalar>& optimizer, Rng& rng) {
  using Scalar = typename Model::Scalar;
  const SafetensorsFile file = SafetensorsFile::read(path);
  const auto& parameters = model.parameters();
  detail::require_moment_count(parameters, optimizer);
  detail::require_same_structure(file, model);
  const std::string& version = file.metadata_value("wrnn.checkpoint.format_version");
  if (version != kCheckpointFormatVersion)
    throw FormatError(
        wrnn::detail::concat("checkpoint '", path, "': wrnn.checkpoint.format_version is '",
                             version, "', this library reads '", kCheckpointFormatVersion, "'"));
  if (file.metadata_value("wrnn.optimizer") != "adam")
    throw FormatError(
        wrnn::detail::concat("checkpoint '", path, "': metadata 'wrnn.optimizer' is '",
                             file.metadata_value("wrnn.optimizer"), "', expected 'adam'"));
  CheckpointInfo info;
  info.step = detail::parse_count(file, "wrnn.checkpoint.step");
  info.metadata = file.metadata();
  const long long step_count = detail::parse_count(file, "wrnn.optimizer.step_count");

  // Every tensor must be a parameter or one of its two moments.
  std::set<std::string> expected;
  for (const auto& named : parameters) {
    expected.insert(named.name);
    expected.insert(kFirstMomentPrefix + named.name);
    expected.insert(kSecondMomentPrefix + named.name);
  }
  for (const std::string& name : file.names())
    if (!expected.count(name))
      throw FormatError(wrnn::detail::concat("checkpoint '", path, "': unexpected tensor '", name,
                                             "' (neither a parameter of the model nor its "
                                             "optimizer state)"));
  const auto values = detail::read_parameter_values(file, parameters, "");
  const auto first = detail::read_parameter_values(file, parameters, kFirstMomentPrefix);
  const auto second = detail::read_parameter_values(file, parameters, kSecondMomentPrefix);
  Rng restored;
  restored.set_state(file.metadata_value("wrnn.rng_state"));

  // Everything is read and checked: now change the caller's objects.
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    auto assign = [](const std::vector<Scalar>& from, Scalar* to) {
      std::copy(from.begin(), from.end(), to);
    };
    assign(values[i], parameters[i].parameter->value.data());
    assign(first[i], optimizer.first_moments()[i].data());
    assign(second[i], optimizer.second_moments()[i].data());
  }
  optimizer.set_step_count(step_count);
  rng = restored;
  return info;
}

}  // namespace wrnn::io
