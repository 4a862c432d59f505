/// \file
/// A model's named parameters to and from safetensors, under their PyTorch names.
///
/// add_parameters() stores every parameter of a ParameterList as "<prefix><full name>" with its
/// PyTorch shape; load_parameters() fills a ParameterList back, requiring that the tensors under
/// the prefix are exactly the list's parameters: a missing tensor, an extra one or a wrong shape
/// throws, naming the tensor. The prefix lets one file hold several lists (a checkpoint keeps the
/// model under "" and optimizer moments under, say, "optimizer.m.").
#pragma once

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/parameter.hpp"
#include "wrnn/io/safetensors_reader.hpp"
#include "wrnn/io/safetensors_writer.hpp"

namespace wrnn::io {

namespace detail {
inline std::vector<std::int64_t> to_int64_shape(const std::vector<Index>& shape) {
  return std::vector<std::int64_t>(shape.begin(), shape.end());
}

// FormatError unless tensor `name` holds floating-point values: parameters and optimizer state
// are real numbers, and an integer tensor in their place is not what was saved from a model.
template <class Scalar>
void require_float_tensor(const SafetensorsFile& file, const std::string& name) {
  const Dtype dtype = file.info(name).dtype;
  if (!dtype_is_float(dtype))
    throw FormatError(wrnn::detail::concat(
        "safetensors file '", file.source_name(), "': tensor '", name, "' holds ",
        dtype_name(dtype), " values, expected ", dtype_name(dtype_of<Scalar>()),
        " (the model's dtype; F64, F16 and BF16 are converted to it)"));
}

// NumericalError naming the tensor and the first element that is not finite (or, with
// non_negative, below zero): `what` says what the values are ("a parameter", "Adam's second
// moment"). A model or optimizer state loaded with such a value would turn every output or
// update into NaN.
template <class Scalar>
void require_finite_values(const SafetensorsFile& file, const std::string& name,
                           const std::vector<Scalar>& values, const char* what,
                           bool non_negative = false) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const Scalar value = values[i];
    if (std::isfinite(value) && !(non_negative && value < Scalar(0))) continue;
    throw NumericalError(wrnn::detail::concat(
        "safetensors file '", file.source_name(), "': tensor '", name, "': element ", i, " of ",
        values.size(), " is ", value, " (as ", dtype_name(dtype_of<Scalar>()), "), but ", what,
        non_negative ? " must be finite and >= 0" : " must be finite"));
  }
}
}  // namespace detail

/// Adds every parameter of `parameters` to `writer` as "<prefix><full name>" with its PyTorch
/// shape, in Scalar's dtype. \throws ValueError when a name is already in the writer.
template <class Scalar>
void add_parameters(SafetensorsWriter& writer, const ParameterList<Scalar>& parameters,
                    const std::string& prefix = "") {
  for (const auto& named : parameters)
    writer.add(prefix + named.name, detail::to_int64_shape(named.parameter->shape),
               named.parameter->value.data());
}

/// Converts from the file's dtype (F32, F64, F16, BF16) to Scalar. FormatError names a missing or
/// extra tensor or an integer one, ShapeError a tensor whose shape differs, NumericalError the
/// first value that is not finite; the values are only written once every name, shape and value
/// has been checked, so a failed load leaves the parameters as they were.
template <class Scalar>
void load_parameters(const SafetensorsFile& file, const ParameterList<Scalar>& parameters,
                     const std::string& prefix = "") {
  std::set<std::string> expected;
  for (const auto& named : parameters) {
    const std::string name = prefix + named.name;
    expected.insert(name);
    if (!file.contains(name))
      throw FormatError(wrnn::detail::concat(
          "safetensors file '", file.source_name(), "': missing tensor '", name, "' (shape ",
          shape_text(detail::to_int64_shape(named.parameter->shape)), ")"));
    require_shape(name, detail::to_int64_shape(named.parameter->shape), file.shape(name));
    detail::require_float_tensor<Scalar>(file, name);
  }
  for (const std::string& name : file.names())
    if (name.compare(0, prefix.size(), prefix) == 0 && expected.count(name) == 0)
      throw FormatError(wrnn::detail::concat("safetensors file '", file.source_name(),
                                             "': unexpected tensor '", name,
                                             "' (not a parameter of the model)"));
  // Convert everything first, so that a conversion error leaves the parameters untouched.
  std::vector<std::vector<Scalar>> values;
  for (const auto& named : parameters) {
    values.push_back(file.get<Scalar>(prefix + named.name));
    detail::require_finite_values(file, prefix + named.name, values.back(), "a parameter");
  }
  for (std::size_t i = 0; i < parameters.size(); ++i)
    std::copy(values[i].begin(), values[i].end(), parameters[i].parameter->value.data());
}

}  // namespace wrnn::io
