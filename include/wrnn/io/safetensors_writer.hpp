/// \file
/// Writing safetensors files (layout in safetensors_reader.hpp).
///
/// Tensors are laid out the way the reference implementation lays them out: sorted by dtype from
/// the widest (F64, I64) to the narrowest, then by name, so every tensor starts at a multiple of
/// its element size; the header lists "__metadata__" first and then the tensors in buffer order,
/// and is padded with spaces to a multiple of 8 bytes, so the data buffer starts 8-byte aligned.
/// The output therefore does not depend on the order of add() calls.
///
/// write() replaces the target atomically (atomic_file.hpp): a crash while saving leaves the
/// previous file intact. A header larger than readers accept (safetensors_limits.hpp) is refused
/// before anything is written.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/io/atomic_file.hpp"
#include "wrnn/io/dtype.hpp"
#include "wrnn/io/safetensors_limits.hpp"

namespace wrnn::io {

namespace detail {
template <class Scalar>
constexpr Dtype dtype_of() {
  if constexpr (std::is_same_v<Scalar, float>)
    return Dtype::F32;
  else if constexpr (std::is_same_v<Scalar, double>)
    return Dtype::F64;
  else if constexpr (std::is_same_v<Scalar, std::int32_t>)
    return Dtype::I32;
  else if constexpr (std::is_same_v<Scalar, std::int64_t>)
    return Dtype::I64;
  else
    static_assert(sizeof(Scalar) == 0, "SafetensorsWriter writes float, double, int32_t, int64_t");
}

// Appends the value's bytes little-endian, whatever the host's byte order.
template <class Scalar>
void append_little_endian(std::vector<unsigned char>& out, Scalar value) {
  using Bits = std::conditional_t<sizeof(Scalar) == 8, std::uint64_t, std::uint32_t>;
  static_assert(sizeof(Scalar) == sizeof(Bits), "4- or 8-byte scalars only");
  Bits bits;
  std::memcpy(&bits, &value, sizeof bits);
  for (std::size_t i = 0; i < sizeof bits; ++i)
    out.push_back(static_cast<unsigned char>((bits >> (8 * i)) & 0xFFu));
}

// FormatError unless a header of `bytes` bytes (padding included) is one readers accept.
inline void require_header_size(std::uint64_t bytes) {
  if (bytes > kMaxSafetensorsHeaderBytes)
    throw FormatError(wrnn::detail::concat(
        "safetensors header: ", bytes, " bytes, more than the ", kMaxSafetensorsHeaderBytes,
        " that readers accept (this library's and the reference implementation's); keep large "
        "data in tensors, not in metadata"));
}
}  // namespace detail

/// Builds a safetensors file in memory and writes it (the layout of the file's comment): add()
/// tensors, set_metadata(), then write() or serialize().
class SafetensorsWriter {
 public:
  /// Copies product(shape) values from `data` (row-major) as the tensor `name`: float -> F32,
  /// double -> F64, int32_t -> I32, int64_t -> I64.
  /// \throws ValueError for a repeated or reserved name or a negative extent.
  template <class Scalar>
  void add(const std::string& name, const std::vector<std::int64_t>& shape, const Scalar* data) {
    const std::size_t count = checked_element_count(name, shape);
    std::vector<unsigned char> bytes;
    bytes.reserve(count * sizeof(Scalar));
    for (std::size_t i = 0; i < count; ++i) detail::append_little_endian(bytes, data[i]);
    insert(name, detail::dtype_of<Scalar>(), shape, std::move(bytes));
  }

  /// The same from a vector, which must hold exactly product(shape) values.
  /// \throws ShapeError when it holds another number; else as the pointer form.
  template <class Scalar>
  void add(const std::string& name, const std::vector<std::int64_t>& shape,
           const std::vector<Scalar>& values) {
    require_size_for(name, shape, values.size());
    add(name, shape, values.data());
  }

  /// A tensor given as little-endian bytes of any dtype (product(shape) * dtype_size(dtype)
  /// bytes). \throws ValueError for another byte count, a repeated or reserved name or a negative
  /// extent.
  void add_raw(const std::string& name, Dtype dtype, const std::vector<std::int64_t>& shape,
               std::vector<unsigned char> bytes) {
    const std::size_t count = checked_element_count(name, shape);
    if (bytes.size() != count * dtype_size(dtype))
      throw ValueError(wrnn::detail::concat(
          "tensor '", name, "': shape ", shape_text(shape), " of ", dtype_name(dtype), " needs ",
          count * dtype_size(dtype), " bytes, received ", bytes.size()));
    insert(name, dtype, shape, std::move(bytes));
  }

  /// A "__metadata__" entry (string to string); setting a key again replaces its value.
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  /// Whether a tensor of that name was added.
  bool contains(const std::string& name) const { return tensors_.count(name) > 0; }
  /// The number of tensors added.
  std::size_t size() const { return tensors_.size(); }

  /// The whole file as bytes.
  /// \throws FormatError when the header would be larger than readers accept.
  std::vector<unsigned char> serialize() const {
    const Layout layout = lay_out();
    std::vector<unsigned char> out(layout.prefix);
    for (const auto* entry : layout.order)
      out.insert(out.end(), entry->second.bytes.begin(), entry->second.bytes.end());
    return out;
  }

  /// Writes the file atomically: a temporary file next to `path`, fsync, rename over `path`.
  /// \throws FormatError when the header would be larger than readers accept or the file cannot
  ///         be written (the target is then left as it was).
  void write(const std::string& path) const {
    const Layout layout = lay_out();
    AtomicFileWriter file(path);
    file.write(layout.prefix.data(), layout.prefix.size());
    for (const auto* entry : layout.order)
      file.write(entry->second.bytes.data(), entry->second.bytes.size());
    file.commit();
  }

 private:
  struct Tensor {
    Dtype dtype;
    std::vector<std::int64_t> shape;
    std::vector<unsigned char> bytes;
  };
  using Entry = std::pair<const std::string, Tensor>;

  struct Layout {
    std::vector<unsigned char> prefix;  // length field and padded header
    std::vector<const Entry*> order;    // tensors in buffer order
  };

  static std::size_t checked_element_count(const std::string& name,
                                           const std::vector<std::int64_t>& shape) {
    std::size_t count = 1;
    for (const std::int64_t extent : shape) {
      if (extent < 0)
        throw ValueError(wrnn::detail::concat("tensor '", name, "': expected a shape of ",
                                              "non-negative extents, received ",
                                              shape_text(shape)));
      count *= static_cast<std::size_t>(extent);
    }
    return count;
  }

  static void require_size_for(const std::string& name, const std::vector<std::int64_t>& shape,
                               std::size_t received) {
    const std::size_t expected = checked_element_count(name, shape);
    if (expected != received)
      throw ShapeError(wrnn::detail::concat("tensor '", name, "': shape ", shape_text(shape),
                                            " needs ", expected, " values, received ", received));
  }

  void insert(const std::string& name, Dtype dtype, const std::vector<std::int64_t>& shape,
              std::vector<unsigned char> bytes) {
    if (name == "__metadata__")
      throw ValueError("tensor name '__metadata__' is reserved for the metadata entry");
    if (tensors_.count(name) > 0)
      throw ValueError(wrnn::detail::concat("tensor '", name, "' was added twice"));
    tensors_.emplace(name, Tensor{dtype, shape, std::move(bytes)});
  }

  Layout lay_out() const {
    Layout layout;
    for (const Entry& entry : tensors_) layout.order.push_back(&entry);
    // Widest dtype first (the Dtype enumerators run from narrow to wide), then by name.
    std::stable_sort(layout.order.begin(), layout.order.end(), [](const Entry* a, const Entry* b) {
      return static_cast<int>(a->second.dtype) > static_cast<int>(b->second.dtype);
    });

    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata_.empty()) {
      nlohmann::ordered_json metadata = nlohmann::ordered_json::object();
      for (const auto& [key, value] : metadata_) metadata[key] = value;
      header["__metadata__"] = std::move(metadata);
    }
    std::uint64_t offset = 0;
    for (const Entry* entry : layout.order) {
      const Tensor& tensor = entry->second;
      nlohmann::ordered_json info = nlohmann::ordered_json::object();
      info["dtype"] = dtype_name(tensor.dtype);
      info["shape"] = tensor.shape;
      info["data_offsets"] = {offset, offset + tensor.bytes.size()};
      offset += tensor.bytes.size();
      header[entry->first] = std::move(info);
    }

    std::string text;
    try {
      text = header.dump();
    } catch (const nlohmann::json::exception& error) {
      throw ValueError(wrnn::detail::concat(
          "safetensors header: a tensor name or metadata string is not valid UTF-8 (", error.what(),
          ")"));
    }
    text.append((8 - text.size() % 8) % 8, ' ');
    detail::require_header_size(text.size());
    detail::append_little_endian(layout.prefix, static_cast<std::uint64_t>(text.size()));
    layout.prefix.insert(layout.prefix.end(), text.begin(), text.end());
    return layout;
  }

  std::map<std::string, Tensor> tensors_;  ///< sorted by name
  std::map<std::string, std::string> metadata_;
};

}  // namespace wrnn::io
