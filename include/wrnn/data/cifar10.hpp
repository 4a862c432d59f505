/// \file
/// Reader for the CIFAR-10 binary version (https://www.cs.toronto.edu/~kriz/cifar.html,
/// cifar-10-binary.tar.gz, folder cifar-10-batches-bin).
///
/// Each file is a run of 3073-byte records: 1 label byte (0..9), then 3072 pixel bytes: the 1024
/// red values of the 32x32 image in row-major order, then the 1024 green, then the 1024 blue.
/// That is exactly channels x rows x cols, so records are copied into ImageDataset unchanged.
/// Training files are data_batch_1.bin .. data_batch_5.bin (10000 records each), the test file is
/// test_batch.bin. A gzip-compressed copy of a file is read as well (same gzip detection as IDX).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/data/file_bytes.hpp"
#include "wrnn/data/image_dataset.hpp"

namespace wrnn {
namespace data {

/// @{
/// A CIFAR-10 image's rows, columns and channels, and the number of classes.
constexpr Index kCifarRows = 32, kCifarCols = 32, kCifarChannels = 3, kCifarClasses = 10;
/// @}
/// Bytes of one record: a label and the pixels, 3073.
constexpr Index kCifarRecordBytes = 1 + kCifarChannels * kCifarRows * kCifarCols;  // 3073

/// Appends the records of one CIFAR-10 binary file to `dataset` (which must be empty or hold
/// 32x32x3 images).
/// \throws FormatError naming the file when it cannot be read, its size is not a positive
///         multiple of 3073 bytes or a label is not in [0, 10).
/// \throws ShapeError when `dataset` holds images of another shape.
inline void append_cifar10_file(const std::string& path, ImageDataset& dataset) {
  const FileBytes file = read_file_bytes(path);
  const std::string label = wrnn::detail::concat(
      "CIFAR-10 file '", path, "'", file.was_gzip ? " (gzip, sizes after inflating)" : "");
  const std::size_t size = file.bytes.size();
  const std::size_t record = static_cast<std::size_t>(kCifarRecordBytes);
  if (size == 0 || size % record != 0)
    throw FormatError(wrnn::detail::concat(label, ": expected a positive multiple of ", record,
                                           " bytes (1 label + 3072 pixels per image), received ",
                                           size, " bytes (", size / record, " whole records and ",
                                           size % record, " bytes left over)"));
  const Index records = static_cast<Index>(size / record);
  if (dataset.count > 0 && (dataset.rows != kCifarRows || dataset.cols != kCifarCols ||
                            dataset.channels != kCifarChannels))
    throw ShapeError(
        wrnn::detail::concat("append_cifar10_file: expected a dataset of 3 x 32 x 32 "
                             "images, received one of ",
                             dataset.channels, " x ", dataset.rows, " x ", dataset.cols));
  dataset.rows = kCifarRows;
  dataset.cols = kCifarCols;
  dataset.channels = kCifarChannels;
  dataset.pixels.reserve(dataset.pixels.size() + size);
  dataset.labels.reserve(dataset.labels.size() + size / record);
  for (Index i = 0; i < records; ++i) {
    const std::uint8_t* start = file.bytes.data() + static_cast<std::size_t>(i) * record;
    if (start[0] >= kCifarClasses)
      throw FormatError(wrnn::detail::concat(label, ": label out of range in record ", i,
                                             " (byte offset ", static_cast<std::size_t>(i) * record,
                                             "): expected a class in [0, ", kCifarClasses,
                                             "), received ", int{start[0]}));
    dataset.labels.push_back(start[0]);
    dataset.pixels.insert(dataset.pixels.end(), start + 1, start + record);
  }
  dataset.count += records;
}

/// Reads the CIFAR-10 binary files in `paths`, in order, into one dataset.
/// \throws FormatError as append_cifar10_file() does.
inline ImageDataset load_cifar10_files(const std::vector<std::string>& paths) {
  ImageDataset dataset;
  for (const std::string& path : paths) append_cifar10_file(path, dataset);
  return dataset;
}

/// The training half (data_batch_1.bin .. data_batch_5.bin, 50000 images) or the test half
/// (test_batch.bin, 10000 images) of a CIFAR-10 binary directory. `directory` may be the
/// cifar-10-batches-bin folder itself or the folder the archive was unpacked in.
/// \throws FormatError naming the directory and the file when one is missing, else as
///         append_cifar10_file() does.
inline ImageDataset load_cifar10_directory(const std::string& directory, bool train) {
  std::filesystem::path root(directory);
  std::error_code error;
  if (!std::filesystem::exists(root / (train ? "data_batch_1.bin" : "test_batch.bin"), error) &&
      std::filesystem::is_directory(root / "cifar-10-batches-bin", error))
    root /= "cifar-10-batches-bin";
  std::vector<std::string> paths;
  if (train)
    for (int i = 1; i <= 5; ++i)
      paths.push_back((root / ("data_batch_" + std::to_string(i) + ".bin")).string());
  else
    paths.push_back((root / "test_batch.bin").string());
  for (const std::string& path : paths)
    if (!std::filesystem::is_regular_file(path, error))
      throw FormatError(wrnn::detail::concat("CIFAR-10 directory '", directory,
                                             "': expected the file '", path,
                                             "' (binary version), found no such file"));
  return load_cifar10_files(paths);
}

}  // namespace data
}  // namespace wrnn
