/// \file
/// Reading safetensors files, validating every field before any byte of tensor data is touched.
///
/// Layout of a file (all integers little-endian):
///
///     bytes [0, 8)          N, the header length, an unsigned 64-bit integer
///     bytes [8, 8 + N)      the header: a JSON object, possibly padded with trailing spaces
///                             { "__metadata__": {"key": "string value", ...},          (optional)
///                               "<tensor name>": {"dtype": "F32", "shape": [2, 3],
///                                                 "data_offsets": [begin, end]}, ... }
///     bytes [8 + N, end)    the data buffer; a tensor's bytes are buffer[begin, end), row-major
///                           (C order), little-endian.
///
/// Rules checked by parse() (the same as the reference implementation, huggingface/safetensors):
///
/// - the file has at least 8 bytes; N <= 100,000,000 and 8 + N <= file size;
/// - the header is valid UTF-8 JSON, an object, nested no deeper than the schema allows (3), and no
///   object in it repeats a key;
/// - "__metadata__", when present, is an object whose values are all strings;
/// - every other key is a tensor: an object with exactly "dtype" (a known dtype name), "shape" (an
///   array of integers in [0, 2^63)) and "data_offsets" (two integers, begin <= end);
/// - product(shape) * dtype size does not overflow and equals end - begin;
/// - the tensors' byte ranges, sorted, tile the data buffer exactly: the first begins at 0, each
///   begins where the previous one ends (no overlap, no gap) and the last ends at the end of the
///   file. Unused bytes could only be junk or hidden data, so they are rejected, as the reference
///   does.
///
/// Anything else throws wrnn::FormatError naming the file, the tensor and the expected and the
/// received values. parse() never reads outside [data, data + size).
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/io/dtype.hpp"
#include "wrnn/io/half.hpp"
#include "wrnn/io/safetensors_limits.hpp"

namespace wrnn::io {

/// Where a tensor lives in the data buffer and how to read it (validated by parse()).
struct TensorInfo {
  Dtype dtype = Dtype::F32;         ///< the element type
  std::vector<std::int64_t> shape;  ///< the shape, row-major
  std::uint64_t element_count = 0;  ///< product of shape (1 for a scalar, shape [])
  /// @{
  /// Byte offsets [begin, end) relative to the start of the data buffer.
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  /// @}
};

/// A tensor's raw contents: dtype, shape and its little-endian bytes, unconverted.
struct TensorData {
  Dtype dtype = Dtype::F32;          ///< the element type
  std::vector<std::int64_t> shape;   ///< the shape, row-major
  std::vector<unsigned char> bytes;  ///< the tensor's bytes, little-endian
};

namespace detail {

inline std::uint64_t load_little_endian(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

inline double load_f64(const unsigned char* bytes) {
  const std::uint64_t bits = load_little_endian(bytes, 8);
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

inline float load_f32(const unsigned char* bytes) {
  return float_from_bits(static_cast<std::uint32_t>(load_little_endian(bytes, 4)));
}

// Two's complement bits -> signed value, without relying on implementation-defined casts.
inline std::int64_t sign_extend(std::uint64_t bits, int byte_count) {
  if (byte_count == 8) {
    if (bits <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return static_cast<std::int64_t>(bits);
    return -static_cast<std::int64_t>(~bits) - 1;
  }
  const std::uint64_t sign_bit = std::uint64_t{1} << (8 * byte_count - 1);
  if (bits & sign_bit)
    return static_cast<std::int64_t>(bits) - static_cast<std::int64_t>(sign_bit << 1);
  return static_cast<std::int64_t>(bits);
}

// double -> float the way IEEE round-to-nearest does it, without the undefined behaviour C++
// gives an out-of-range conversion: magnitudes from FLT_MAX up to the halfway point to 2^128
// round to FLT_MAX, larger ones to infinity.
inline float narrow_to_float(double value) {
  const double largest = static_cast<double>(std::numeric_limits<float>::max());
  if (std::isfinite(value) && std::fabs(value) > largest) {
    const double halfway = 0x1.0p128 - 0x1.0p103;
    const float magnitude =
        std::fabs(value) < halfway ? std::numeric_limits<float>::max() : HUGE_VALF;
    return value < 0 ? -magnitude : magnitude;
  }
  return static_cast<float>(value);
}

template <class Scalar>
Scalar float_value_to(double value) {
  if constexpr (std::is_same_v<Scalar, float>)
    return narrow_to_float(value);
  else
    return static_cast<Scalar>(value);
}

// Counts "[" and "{" outside strings. A safetensors header nests three deep at most (header
// object, tensor entry, shape array); refusing deeper input before parsing keeps a hostile
// header of 100 MB of "[" from costing gigabytes of parser stack.
inline std::size_t json_nesting_depth(const unsigned char* text, std::size_t size) {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < size; ++i) {
    const unsigned char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // skip the escaped character
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// A JSON value as text for an error message, cut short so that a huge header cannot make a huge
// message.
inline std::string json_excerpt(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 60) + "...";
  return text;
}

}  // namespace detail

/// A safetensors file read into memory and validated (the rules of the file's comment): its
/// metadata, its tensors' descriptions, and their values converted on request.
class SafetensorsFile {
 public:
  /// Reads and validates the whole file. \throws FormatError if it cannot be read or is not valid,
  /// or is a device or a folder (a device such as /dev/zero would never end).
  static SafetensorsFile read(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr)
      throw FormatError(wrnn::detail::concat("safetensors file '", path,
                                             "': cannot open it for reading (",
                                             std::strerror(errno), ")"));
    struct stat status {};
    if (::fstat(::fileno(file), &status) == 0 && !S_ISREG(status.st_mode) &&
        !S_ISFIFO(status.st_mode) && !S_ISSOCK(status.st_mode)) {
      std::fclose(file);
      throw FormatError(wrnn::detail::concat("safetensors file '", path,
                                             "': expected a file, received ",
                                             S_ISDIR(status.st_mode) ? "a folder" : "a device"));
    }
    std::vector<unsigned char> contents;
    unsigned char chunk[1 << 16];
    std::size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0)
      contents.insert(contents.end(), chunk, chunk + got);
    const bool failed = std::ferror(file) != 0;
    const int error = errno;
    std::fclose(file);
    if (failed)
      throw FormatError(wrnn::detail::concat("safetensors file '", path, "': read error (",
                                             std::strerror(error), ")"));
    SafetensorsFile parsed;
    parsed.source_name_ = path;
    // Keep the file's bytes as they are (no second copy of a large model): the data buffer
    // starts after the length field and the header.
    parsed.data_start_ = parsed.parse_contents(contents.data(), contents.size());
    parsed.storage_ = std::move(contents);
    return parsed;
  }

  /// Validates the `size` bytes at `data` (a whole file's contents) and keeps a copy of the data
  /// buffer. `source_name` is used in error messages (a path, or "<memory>").
  static SafetensorsFile parse(const unsigned char* data, std::size_t size,
                               const std::string& source_name) {
    SafetensorsFile file;
    file.source_name_ = source_name;
    const std::size_t data_start = file.parse_contents(data, size);
    file.storage_.assign(data + data_start, data + size);
    return file;
  }

  /// The path it was read from, or the name given to parse(); errors name it.
  const std::string& source_name() const { return source_name_; }

  /// Every "__metadata__" entry.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// The "__metadata__" value under `key`; FormatError naming the key if there is none.
  const std::string& metadata_value(const std::string& key) const {
    const auto found = metadata_.find(key);
    if (found == metadata_.end()) fail("no metadata entry '", key, "'");
    return found->second;
  }

  /// Tensor names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const auto& entry : tensors_) result.push_back(entry.first);
    return result;
  }

  std::size_t size() const { return tensors_.size(); }  ///< The number of tensors.
  /// Whether the file has a tensor of that name.
  bool contains(const std::string& name) const { return tensors_.count(name) > 0; }

  /// Dtype, shape and offsets of a tensor; FormatError naming the tensor if there is none.
  const TensorInfo& info(const std::string& name) const {
    const auto found = tensors_.find(name);
    if (found == tensors_.end()) {
      std::string listing;
      std::size_t listed = 0;
      for (const auto& entry : tensors_) {
        if (listed == 8) {
          listing += ", ...";
          break;
        }
        listing += (listed++ ? ", '" : "'") + entry.first + "'";
      }
      fail("no tensor '", name, "' (the file holds ", tensors_.size(), " tensors",
           listing.empty() ? "" : ": ", listing, ")");
    }
    return found->second;
  }

  /// A tensor's shape. \throws FormatError naming the tensor if there is none.
  const std::vector<std::int64_t>& shape(const std::string& name) const { return info(name).shape; }

  /// A tensor's values converted to Scalar (float, double or an integer type), in row-major order;
  /// its shape is stored in *shape when given. Floats convert to floats (F16/BF16 exactly, F64 to
  /// float rounding to nearest), integers and BOOL to any arithmetic type as long as every value
  /// fits; floats to integers are refused (FormatError), as are the 8-bit float types.
  template <class Scalar>
  std::vector<Scalar> get(const std::string& name,
                          std::vector<std::int64_t>* shape = nullptr) const {
    const TensorInfo& tensor = info(name);
    std::vector<Scalar> values(static_cast<std::size_t>(tensor.element_count));
    convert(name, tensor, values.data());
    if (shape != nullptr) *shape = tensor.shape;
    return values;
  }

  /// Converts a tensor into `destination` (room for product(expected_shape) values) after checking
  /// its shape: ShapeError naming the tensor when the file's shape differs. Loading parameters in
  /// place: file.copy_to("cell.Wx.weight", {C * n, d}, parameter.value.data()).
  template <class Scalar>
  void copy_to(const std::string& name, const std::vector<std::int64_t>& expected_shape,
               Scalar* destination) const {
    const TensorInfo& tensor = info(name);
    require_shape(name, expected_shape, tensor.shape);
    convert(name, tensor, destination);
  }

  /// The tensor's bytes as stored (little-endian), for dtypes get() does not convert.
  TensorData raw(const std::string& name) const {
    const TensorInfo& tensor = info(name);
    const unsigned char* buffer = data_buffer();
    return {tensor.dtype, tensor.shape,
            std::vector<unsigned char>(buffer + tensor.begin, buffer + tensor.end)};
  }

 private:
  SafetensorsFile() = default;

  template <class... Parts>
  [[noreturn]] void fail(Parts&&... parts) const {
    throw FormatError(wrnn::detail::concat("safetensors file '", source_name_,
                                           "': ", std::forward<Parts>(parts)...));
  }

  template <class... Parts>
  [[noreturn]] void fail_tensor(const std::string& tensor, Parts&&... parts) const {
    fail("tensor '", tensor, "': ", std::forward<Parts>(parts)...);
  }

  /// The data buffer: storage_ holds either the whole file (read) or only the buffer (parse).
  const unsigned char* data_buffer() const { return storage_.data() + data_start_; }

  /// Validates a whole file's bytes and fills tensors_ and metadata_; returns where the data
  /// buffer starts (8 + header length).
  std::size_t parse_contents(const unsigned char* data, std::size_t size) {
    if (size < 8)
      fail("expected at least 8 bytes (the header length), received a file of ", size, " bytes");
    const std::uint64_t header_length = detail::load_little_endian(data, 8);
    if (header_length > kMaxSafetensorsHeaderBytes)
      fail("header length is ", header_length, " bytes, more than the limit of ",
           kMaxSafetensorsHeaderBytes);
    if (header_length > size - 8)
      fail("header length is ", header_length, " bytes but only ", size - 8,
           " bytes follow the length field");
    const unsigned char* header = data + 8;
    const std::size_t header_size = static_cast<std::size_t>(header_length);
    const unsigned char* buffer = header + header_size;
    const std::uint64_t buffer_size = size - 8 - header_size;

    // nlohmann::json stops at a NUL byte as if the input ended there, which would let anything
    // after it pass unchecked; JSON allows no NUL byte anywhere (not even inside strings).
    if (const void* nul = std::memchr(header, 0, header_size))
      fail("header is not valid JSON: NUL byte at header offset ",
           static_cast<const unsigned char*>(nul) - header);
    const std::size_t depth = detail::json_nesting_depth(header, header_size);
    if (depth > 3) fail("header nests ", depth, " levels deep; a safetensors header has at most 3");

    const nlohmann::json root = parse_header_json(header, header_size);
    if (!root.is_object())
      fail("expected the header to be a JSON object, received a JSON ", root.type_name());

    for (const auto& item : root.items()) {
      if (item.key() == "__metadata__")
        parse_metadata(item.value());
      else
        tensors_.emplace(item.key(), parse_tensor_entry(item.key(), item.value(), buffer_size));
    }
    check_tiling(buffer_size);
    return static_cast<std::size_t>(buffer - data);
  }

  nlohmann::json parse_header_json(const unsigned char* header, std::size_t size) const {
    // nlohmann::json keeps the last of repeated keys silently; the callback sees every key of
    // every object and records the first repeat, so that no tensor can hide behind another.
    std::vector<std::set<std::string>> open_objects;
    std::string repeated_key;
    const auto watch_keys = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
      using Event = nlohmann::json::parse_event_t;
      if (event == Event::object_start) {
        open_objects.emplace_back();
      } else if (event == Event::object_end) {
        if (!open_objects.empty()) open_objects.pop_back();
      } else if (event == Event::key && !open_objects.empty() && parsed.is_string()) {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!open_objects.back().insert(key).second && repeated_key.empty()) repeated_key = key;
      }
      return true;
    };
    nlohmann::json root;
    try {
      root = nlohmann::json::parse(header, header + size, watch_keys);
    } catch (const nlohmann::json::exception& error) {
      fail("header is not valid JSON (", error.what(), ")");
    }
    if (!repeated_key.empty()) fail("header repeats the key '", repeated_key, "'");
    return root;
  }

  void parse_metadata(const nlohmann::json& value) {
    if (!value.is_object())
      fail("expected \"__metadata__\" to be an object of strings, received a JSON ",
           value.type_name());
    for (const auto& item : value.items()) {
      if (!item.value().is_string())
        fail("metadata entry '", item.key(), "': expected a string value, received a JSON ",
             item.value().type_name(), " (", detail::json_excerpt(item.value()), ")");
      metadata_[item.key()] = item.value().get<std::string>();
    }
  }

  /// Reads a JSON integer that must lie in [0, limit]; anything else fails naming `what`.
  std::uint64_t non_negative_integer(const std::string& tensor, const std::string& what,
                                     const nlohmann::json& value, std::uint64_t limit) const {
    if (value.is_number_unsigned()) {
      const std::uint64_t number = value.get<std::uint64_t>();
      if (number > limit)
        fail_tensor(tensor, what, " is ", number, ", more than the largest accepted value ", limit);
      return number;
    }
    if (value.is_number_integer())
      fail_tensor(tensor, "expected ", what, " to be a non-negative integer, received ",
                  value.get<std::int64_t>());
    fail_tensor(tensor, "expected ", what, " to be a non-negative integer, received a JSON ",
                value.type_name(), " (", detail::json_excerpt(value), ")");
  }

  TensorInfo parse_tensor_entry(const std::string& name, const nlohmann::json& entry,
                                std::uint64_t buffer_size) const {
    if (!entry.is_object())
      fail_tensor(name, "expected an object with dtype, shape and data_offsets, received a JSON ",
                  entry.type_name());
    for (const auto& item : entry.items())
      if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets")
        fail_tensor(name, "unexpected field '", item.key(),
                    "' (expected only dtype, shape and data_offsets)");
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!entry.contains(field)) fail_tensor(name, "missing field '", field, "'");

    TensorInfo tensor;
    const nlohmann::json& dtype = entry["dtype"];
    if (!dtype.is_string())
      fail_tensor(name, "expected dtype to be a string, received a JSON ", dtype.type_name());
    if (!parse_dtype(dtype.get<std::string>(), &tensor.dtype)) {
      std::string known;
      for (const auto& d : detail::dtype_table())
        known += std::string(known.empty() ? "" : ", ") + d.name;
      fail_tensor(name, "unknown dtype '", dtype.get<std::string>(), "' (expected one of ", known,
                  ")");
    }

    const nlohmann::json& shape = entry["shape"];
    if (!shape.is_array())
      fail_tensor(name, "expected shape to be an array, received a JSON ", shape.type_name());
    // Element and byte counts in 64 bits with overflow checks; shape entries must fit int64.
    const std::uint64_t max_dimension = std::numeric_limits<std::int64_t>::max();
    const std::uint64_t max_count = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t count = 1;
    for (std::size_t axis = 0; axis < shape.size(); ++axis) {
      const std::uint64_t extent = non_negative_integer(name, "shape[" + std::to_string(axis) + "]",
                                                        shape[axis], max_dimension);
      if (extent != 0 && count > max_count / extent)
        fail_tensor(name, "shape ", detail::json_excerpt(shape),
                    " has more elements than 64 bits can count");
      count *= extent;
      tensor.shape.push_back(static_cast<std::int64_t>(extent));
    }
    const std::uint64_t element_size = dtype_size(tensor.dtype);
    if (count > max_count / element_size)
      fail_tensor(name, "shape ", shape_text(tensor.shape), " of ", dtype_name(tensor.dtype),
                  " needs more bytes than 64 bits can count");
    tensor.element_count = count;
    const std::uint64_t byte_count = count * element_size;

    const nlohmann::json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
      fail_tensor(name,
                  "expected data_offsets to be an array of two integers [begin, end], "
                  "received ",
                  detail::json_excerpt(offsets));
    tensor.begin = non_negative_integer(name, "data_offsets[0]", offsets[0], max_count);
    tensor.end = non_negative_integer(name, "data_offsets[1]", offsets[1], max_count);
    if (tensor.begin > tensor.end)
      fail_tensor(name, "data_offsets [", tensor.begin, ", ", tensor.end,
                  "]: expected begin <= end");
    if (tensor.end - tensor.begin != byte_count)
      fail_tensor(name, "shape ", shape_text(tensor.shape), " of ", dtype_name(tensor.dtype), " (",
                  element_size, " bytes each) needs ", byte_count, " bytes, but data_offsets [",
                  tensor.begin, ", ", tensor.end, "] hold ", tensor.end - tensor.begin);
    if (tensor.end > buffer_size)
      fail_tensor(name, "data_offsets [", tensor.begin, ", ", tensor.end,
                  "] run past the end of the data buffer (", buffer_size, " bytes)");
    return tensor;
  }

  /// The byte ranges, sorted by offsets, must tile [0, buffer_size) exactly.
  void check_tiling(std::uint64_t buffer_size) const {
    std::vector<std::pair<const std::string*, const TensorInfo*>> ordered;
    for (const auto& entry : tensors_) ordered.emplace_back(&entry.first, &entry.second);
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
      return std::make_pair(a.second->begin, a.second->end) <
             std::make_pair(b.second->begin, b.second->end);
    });
    std::uint64_t covered = 0;
    const std::string* previous = nullptr;
    for (const auto& [name, tensor] : ordered) {
      if (tensor->begin < covered)
        fail_tensor(*name, "data_offsets [", tensor->begin, ", ", tensor->end,
                    "] overlap those of tensor '", *previous, "', which end at ", covered);
      if (tensor->begin > covered)
        fail_tensor(*name, "data_offsets [", tensor->begin, ", ", tensor->end, "] leave bytes [",
                    covered, ", ", tensor->begin,
                    ") of the data buffer unused (expected begin = ", covered, ")");
      covered = tensor->end;
      previous = name;
    }
    if (covered != buffer_size)
      fail("the data buffer has ", buffer_size, " bytes but the tensors cover only [0, ", covered,
           ")", previous ? " (the last is '" + *previous + "')" : std::string());
  }

  /// Integer (or BOOL) element -> Scalar, refusing values that Scalar cannot hold.
  template <class Scalar, class Integer>
  Scalar integer_value_to(const std::string& name, std::size_t index, Integer value) const {
    if constexpr (std::is_integral_v<Scalar>) {
      using Limits = std::numeric_limits<Scalar>;
      bool fits;
      if constexpr (std::is_signed_v<Integer>)
        fits = value >= 0
                   ? static_cast<std::uint64_t>(value) <= static_cast<std::uint64_t>(Limits::max())
                   : std::is_signed_v<Scalar> && static_cast<std::int64_t>(value) >=
                                                     static_cast<std::int64_t>(Limits::min());
      else
        fits = static_cast<std::uint64_t>(value) <= static_cast<std::uint64_t>(Limits::max());
      if (!fits)
        fail_tensor(name, "element ", index, " is ", value, ", outside the range of the ",
                    sizeof(Scalar) * 8, "-bit integer type it is read into");
    }
    return static_cast<Scalar>(value);
  }

  template <class Scalar>
  void convert(const std::string& name, const TensorInfo& tensor, Scalar* out) const {
    static_assert(std::is_arithmetic_v<Scalar> && !std::is_same_v<Scalar, bool>,
                  "SafetensorsFile converts to float, double or integer types");
    const unsigned char* bytes = data_buffer() + tensor.begin;
    const std::size_t count = static_cast<std::size_t>(tensor.element_count);
    if (count == 0) return;
    if (dtype_is_float(tensor.dtype)) {
      if constexpr (std::is_integral_v<Scalar>) {
        fail_tensor(name, "holds ", dtype_name(tensor.dtype),
                    " values, which are not read as integers");
      } else {
        switch (tensor.dtype) {
          case Dtype::F64:
            for (std::size_t i = 0; i < count; ++i)
              out[i] = detail::float_value_to<Scalar>(detail::load_f64(bytes + 8 * i));
            return;
          case Dtype::F32:
            for (std::size_t i = 0; i < count; ++i)
              out[i] = static_cast<Scalar>(detail::load_f32(bytes + 4 * i));
            return;
          case Dtype::F16:
            for (std::size_t i = 0; i < count; ++i)
              out[i] = static_cast<Scalar>(half_to_float(
                  static_cast<std::uint16_t>(detail::load_little_endian(bytes + 2 * i, 2))));
            return;
          case Dtype::BF16:
            for (std::size_t i = 0; i < count; ++i)
              out[i] = static_cast<Scalar>(bfloat16_to_float(
                  static_cast<std::uint16_t>(detail::load_little_endian(bytes + 2 * i, 2))));
            return;
          default:
            fail_tensor(name, "converting ", dtype_name(tensor.dtype),
                        " values is not supported (F64, F32, F16, BF16 and integers are)");
        }
      }
    }
    const int element_size = static_cast<int>(dtype_size(tensor.dtype));
    const bool is_signed = tensor.dtype == Dtype::I8 || tensor.dtype == Dtype::I16 ||
                           tensor.dtype == Dtype::I32 || tensor.dtype == Dtype::I64;
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t bits = detail::load_little_endian(
          bytes + i * static_cast<std::size_t>(element_size), element_size);
      if (tensor.dtype == Dtype::BOOL && bits > 1)
        fail_tensor(name, "BOOL element ", i, " is ", bits, ", expected 0 or 1");
      out[i] = is_signed
                   ? integer_value_to<Scalar>(name, i, detail::sign_extend(bits, element_size))
                   : integer_value_to<Scalar>(name, i, bits);
    }
  }

  std::string source_name_;
  std::map<std::string, TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
  std::vector<unsigned char> storage_;
  std::size_t data_start_ = 0;
};

}  // namespace wrnn::io
