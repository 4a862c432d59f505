/// \file
/// The element types of the safetensors format and the shape helpers the readers and writers share.
///
/// The names and byte sizes are those of the safetensors specification (the "dtype" field of a
/// header entry). Every one of them is accepted when a file is read, so a file holding, say, a U8
/// mask next to F32 weights still opens; converting to C++ numbers is supported for every type but
/// the two 8-bit floats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"

/// Files: safetensors reading and writing, whole-model files and training checkpoints. The
/// wrnn::io CMake target (needs nlohmann-json), <wrnn/io/io.hpp>.
namespace wrnn::io {

/// The element types of the safetensors format, spelled as in its headers.
enum class Dtype {
  BOOL,     ///< one byte, 0 or 1
  U8,       ///< unsigned 8-bit integer
  I8,       ///< signed 8-bit integer
  F8_E5M2,  ///< 8-bit float, 5 exponent bits (not converted to numbers)
  F8_E4M3,  ///< 8-bit float, 4 exponent bits (not converted to numbers)
  I16,      ///< signed 16-bit integer
  U16,      ///< unsigned 16-bit integer
  F16,      ///< IEEE 754 binary16
  BF16,     ///< bfloat16
  I32,      ///< signed 32-bit integer
  U32,      ///< unsigned 32-bit integer
  F32,      ///< IEEE 754 binary32 (float)
  F64,      ///< IEEE 754 binary64 (double)
  I64,      ///< signed 64-bit integer
  U64,      ///< unsigned 64-bit integer
};

namespace detail {
struct DtypeDescription {
  Dtype dtype;
  const char* name;
  std::size_t size;
  bool is_float;
};

inline const std::vector<DtypeDescription>& dtype_table() {
  static const std::vector<DtypeDescription> table = {
      {Dtype::BOOL, "BOOL", 1, false},      {Dtype::U8, "U8", 1, false},
      {Dtype::I8, "I8", 1, false},          {Dtype::F8_E5M2, "F8_E5M2", 1, true},
      {Dtype::F8_E4M3, "F8_E4M3", 1, true}, {Dtype::I16, "I16", 2, false},
      {Dtype::U16, "U16", 2, false},        {Dtype::F16, "F16", 2, true},
      {Dtype::BF16, "BF16", 2, true},       {Dtype::I32, "I32", 4, false},
      {Dtype::U32, "U32", 4, false},        {Dtype::F32, "F32", 4, true},
      {Dtype::F64, "F64", 8, true},         {Dtype::I64, "I64", 8, false},
      {Dtype::U64, "U64", 8, false},
  };
  return table;
}

inline const DtypeDescription& describe(Dtype dtype) {
  for (const DtypeDescription& d : dtype_table())
    if (d.dtype == dtype) return d;
  throw ValueError("unknown wrnn::io::Dtype value");
}
}  // namespace detail

/// The name a header spells the type with: "F32", "BF16", ...
inline const char* dtype_name(Dtype dtype) {
  return detail::describe(dtype).name;
}

/// Bytes per element.
inline std::size_t dtype_size(Dtype dtype) {
  return detail::describe(dtype).size;
}

/// Whether the type is a floating-point one (F8_*, F16, BF16, F32, F64).
inline bool dtype_is_float(Dtype dtype) {
  return detail::describe(dtype).is_float;
}

/// The Dtype spelled `name` in a header ("F32"); false when the name is not a safetensors dtype.
inline bool parse_dtype(const std::string& name, Dtype* dtype) {
  for (const detail::DtypeDescription& d : detail::dtype_table())
    if (name == d.name) {
      *dtype = d.dtype;
      return true;
    }
  return false;
}

/// "[2, 3]"; "[]" for a scalar.
inline std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

/// Throws ShapeError("tensor '<name>': expected shape [..], received [..]") when the shapes differ.
inline void require_shape(const std::string& tensor_name, const std::vector<std::int64_t>& expected,
                          const std::vector<std::int64_t>& received) {
  if (expected != received)
    throw ShapeError(wrnn::detail::concat("tensor '", tensor_name, "': expected shape ",
                                          shape_text(expected), ", received ",
                                          shape_text(received)));
}

}  // namespace wrnn::io
