/// \file
/// Reader for the IDX format of MNIST, Fashion-MNIST, KMNIST, EMNIST (gzip-compressed or raw).
///
/// An IDX file is a 4-byte magic number, one big-endian uint32 per dimension, then the elements
/// in row-major order (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE MNIST
/// DATABASE"):
///
///     byte 0, 1   always 0
///     byte 2      element type: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32,
///                 0x0D float32, 0x0E float64
///     byte 3      number of dimensions
///     then        the sizes of the dimensions, big-endian uint32 each
///     then        the data, big-endian if wider than one byte
///
/// Image files are magic 0x00000803 (unsigned bytes, count x rows x cols) and label files are
/// magic 0x00000801 (unsigned bytes, count). Only unsigned bytes are accepted: every MNIST-style
/// image or label file uses them. The file must hold exactly the bytes its header promises; a
/// shorter file is truncated and a longer one carries trailing garbage, both errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/data/file_bytes.hpp"
#include "wrnn/data/image_dataset.hpp"

namespace wrnn {
namespace data {

/// Debian's dataset-fashion-mnist package installs its four gzip files here.
inline const char* const kDebianFashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

constexpr std::uint8_t kIdxUnsignedByte = 0x08;        ///< the IDX element type code of bytes
constexpr std::uint32_t kIdxImagesMagic = 0x00000803;  ///< unsigned bytes, 3 dimensions
constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;  ///< unsigned bytes, 1 dimension

/// An IDX file's header.
struct IdxHeader {
  std::uint8_t element_type = 0;          ///< byte 2: 0x08 for unsigned bytes
  std::vector<std::uint32_t> dimensions;  ///< the size of each dimension
  std::size_t header_bytes = 0;           ///< 4 + 4 * dimensions
};

namespace detail {

inline std::string idx_type_name(std::uint8_t code) {
  switch (code) {
    case 0x08:
      return "unsigned byte";
    case 0x09:
      return "signed byte";
    case 0x0B:
      return "int16";
    case 0x0C:
      return "int32";
    case 0x0D:
      return "float32";
    case 0x0E:
      return "float64";
    default:
      return "not an IDX element type";
  }
}

inline std::string hex32(std::uint32_t value) {
  static const char digits[] = "0123456789ABCDEF";
  std::string text = "0x00000000";
  for (int i = 0; i < 8; ++i)
    text[static_cast<std::size_t>(9 - i)] = digits[(value >> (4 * i)) & 0xF];
  return text;
}

inline std::string hex8(std::uint8_t value) {
  return hex32(value).replace(2, 6, "");
}

inline std::uint32_t read_big_endian_u32(const std::uint8_t* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

// "IDX file 'path'" or "IDX file 'path' (gzip)": the start of every message about that file.
inline std::string idx_file_label(const std::string& path, bool was_gzip) {
  return wrnn::detail::concat("IDX file '", path, "'",
                              was_gzip ? " (gzip, sizes after inflating)" : "");
}

// Parses and checks the header: magic 0x000008<dimensions>, then the dimension sizes. Throws
// FormatError naming `label`, what was expected and what was found.
inline IdxHeader parse_idx_header(const std::vector<std::uint8_t>& bytes, const std::string& label,
                                  int expected_dimensions) {
  const std::uint32_t expected_magic =
      (std::uint32_t{kIdxUnsignedByte} << 8) | static_cast<std::uint32_t>(expected_dimensions);
  const std::string expected_text = wrnn::detail::concat(
      "magic ", hex32(expected_magic), " (unsigned bytes, ", expected_dimensions,
      expected_dimensions == 1 ? " dimension)" : " dimensions)");
  if (bytes.size() < 4)
    throw FormatError(wrnn::detail::concat(label, ": expected a 4-byte header starting with ",
                                           expected_text, ", received a file of ", bytes.size(),
                                           " bytes"));
  IdxHeader header;
  const std::uint32_t magic = read_big_endian_u32(bytes.data());
  header.element_type = bytes[2];
  const int dimensions = bytes[3];
  if (bytes[0] != 0 || bytes[1] != 0)
    throw FormatError(wrnn::detail::concat(label, ": bad magic number: expected ", expected_text,
                                           ", received ", hex32(magic),
                                           " (an IDX magic starts with two zero bytes)"));
  if (header.element_type != kIdxUnsignedByte)
    throw FormatError(wrnn::detail::concat(
        label, ": unsupported element type: expected ", hex8(kIdxUnsignedByte), " (unsigned byte, ",
        expected_text, "), received ", hex8(header.element_type), " (",
        idx_type_name(header.element_type), ", magic ", hex32(magic), ")"));
  if (dimensions != expected_dimensions)
    throw FormatError(wrnn::detail::concat(label, ": expected ", expected_text, ", received magic ",
                                           hex32(magic), " (", dimensions,
                                           dimensions == 1 ? " dimension)" : " dimensions)"));
  header.header_bytes = 4 + 4 * static_cast<std::size_t>(dimensions);
  if (bytes.size() < header.header_bytes)
    throw FormatError(wrnn::detail::concat(label, ": truncated header: expected ",
                                           header.header_bytes, " bytes of header for ", dimensions,
                                           " dimensions, received ", bytes.size(), " bytes"));
  for (int i = 0; i < dimensions; ++i)
    header.dimensions.push_back(read_big_endian_u32(bytes.data() + 4 + 4 * i));
  return header;
}

// Checks that the file holds exactly header + product(dimensions) bytes.
inline void require_idx_payload(const std::vector<std::uint8_t>& bytes, const IdxHeader& header,
                                const std::string& label, const std::string& shape_text) {
  std::uint64_t elements = 1;
  bool overflow = false;
  for (std::uint32_t size : header.dimensions) {
    if (size != 0 && elements > std::numeric_limits<std::uint64_t>::max() / size) overflow = true;
    elements *= size;
  }
  const std::uint64_t expected = header.header_bytes + elements;
  if (overflow || expected > bytes.size())
    throw FormatError(
        wrnn::detail::concat(label, ": truncated: expected ",
                             overflow ? std::string("more than 2^64") : std::to_string(expected),
                             " bytes (", header.header_bytes, "-byte header + ",
                             overflow ? std::string("too many") : std::to_string(elements),
                             " bytes for ", shape_text, "), received ", bytes.size(), " bytes"));
  if (expected < bytes.size())
    throw FormatError(wrnn::detail::concat(label, ": trailing bytes after the data: expected ",
                                           expected, " bytes (", header.header_bytes,
                                           "-byte header + ", elements, " bytes for ", shape_text,
                                           "), received ", bytes.size(), " bytes"));
}

inline void require_labels_below(const std::vector<std::uint8_t>& labels, int num_classes,
                                 const std::string& label) {
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] >= num_classes)
      throw FormatError(wrnn::detail::concat(label, ": label out of range at example ", i,
                                             ": expected a class in [0, ", num_classes,
                                             "), received ", int{labels[i]}));
}

inline void require_positive_classes(int num_classes) {
  if (num_classes <= 0 || num_classes > 256)
    throw ValueError(wrnn::detail::concat(
        "class count: expected 1..256 (labels are bytes), received ", num_classes));
}

}  // namespace detail

/// Reads an IDX image file (magic 0x00000803): count x rows x cols unsigned bytes.
/// The result has channels = 1 and no labels.
/// \throws FormatError naming the file and what was expected and found: unreadable, another
///         magic or element type, images of size zero, truncated or with trailing bytes.
inline ImageDataset load_idx_images(const std::string& path) {
  FileBytes file = read_file_bytes(path);
  const std::string label = detail::idx_file_label(path, file.was_gzip);
  const IdxHeader header = detail::parse_idx_header(file.bytes, label, 3);
  const std::uint32_t count = header.dimensions[0], rows = header.dimensions[1],
                      cols = header.dimensions[2];
  if (rows == 0 || cols == 0)
    throw FormatError(wrnn::detail::concat(label, ": expected images of positive size, received ",
                                           rows, " x ", cols));
  detail::require_idx_payload(
      file.bytes, header, label,
      wrnn::detail::concat(count, " images x ", rows, " x ", cols, " pixels"));
  ImageDataset dataset;
  dataset.count = count;
  dataset.rows = rows;
  dataset.cols = cols;
  dataset.channels = 1;
  dataset.pixels.assign(file.bytes.begin() + static_cast<std::ptrdiff_t>(header.header_bytes),
                        file.bytes.end());
  return dataset;
}

/// Reads an IDX label file (magic 0x00000801) and checks every label is in [0, num_classes).
/// \throws ValueError when num_classes is not in 1..256.
/// \throws FormatError naming the file: unreadable, another magic, wrong size, a label out of
///         range (with its index).
inline std::vector<std::uint8_t> load_idx_labels(const std::string& path, int num_classes = 10) {
  detail::require_positive_classes(num_classes);
  FileBytes file = read_file_bytes(path);
  const std::string label = detail::idx_file_label(path, file.was_gzip);
  const IdxHeader header = detail::parse_idx_header(file.bytes, label, 1);
  detail::require_idx_payload(file.bytes, header, label,
                              wrnn::detail::concat(header.dimensions[0], " labels"));
  std::vector<std::uint8_t> labels(
      file.bytes.begin() + static_cast<std::ptrdiff_t>(header.header_bytes), file.bytes.end());
  detail::require_labels_below(labels, num_classes, label);
  return labels;
}

/// Reads an image file and its label file and checks they describe the same number of examples.
/// \throws FormatError as load_idx_images() and load_idx_labels() do, and when the counts differ.
inline ImageDataset load_idx_pair(const std::string& images_path, const std::string& labels_path,
                                  int num_classes = 10) {
  ImageDataset dataset = load_idx_images(images_path);
  dataset.labels = load_idx_labels(labels_path, num_classes);
  if (static_cast<Index>(dataset.labels.size()) != dataset.count)
    throw FormatError(wrnn::detail::concat("IDX pair: the label file '", labels_path, "' has ",
                                           dataset.labels.size(),
                                           " labels, expected one per image of '", images_path,
                                           "', which has ", dataset.count, " images"));
  return dataset;
}

namespace detail {

// The first of `names` (each tried as is and with ".gz") that exists in `directory`.
inline std::string find_in_directory(const std::string& directory,
                                     const std::vector<std::string>& names) {
  std::string tried;
  for (const std::string& name : names)
    for (const char* suffix : {"", ".gz"}) {
      const std::filesystem::path candidate = std::filesystem::path(directory) / (name + suffix);
      std::error_code error;
      if (std::filesystem::is_regular_file(candidate, error)) return candidate.string();
      tried += (tried.empty() ? "" : ", ") + name + suffix;
    }
  throw FormatError(wrnn::detail::concat("MNIST-style directory '", directory,
                                         "': expected one of the files ", tried,
                                         ", found none of them"));
}

}  // namespace detail

/// Loads the training (60k for MNIST) or test (10k) half of an MNIST-style directory:
/// {train,t10k}-images-idx3-ubyte and {train,t10k}-labels-idx1-ubyte, each raw or with ".gz"
/// (the dotted spelling "train-images.idx3-ubyte" found in some copies is accepted too).
/// \throws FormatError naming the directory and the files tried when one is missing, else as
///         load_idx_pair() does.
inline ImageDataset load_mnist_directory(const std::string& directory, bool train,
                                         int num_classes = 10) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images = detail::find_in_directory(
      directory, {prefix + "-images-idx3-ubyte", prefix + "-images.idx3-ubyte"});
  const std::string labels = detail::find_in_directory(
      directory, {prefix + "-labels-idx1-ubyte", prefix + "-labels.idx1-ubyte"});
  return load_idx_pair(images, labels, num_classes);
}

}  // namespace data
}  // namespace wrnn
