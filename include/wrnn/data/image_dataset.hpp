/// \file
/// A labelled set of 8-bit images held in memory, as read from MNIST-style or CIFAR-10 files.
#pragma once

#include <cstdint>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {
/// Datasets (IDX, CIFAR-10), their splits and batches, and the sequential-image tasks: the
/// wrnn::data CMake target, <wrnn/data/data.hpp>.
namespace data {

/// A labelled set of 8-bit images held in memory, as read from MNIST-style or CIFAR-10 files.
///
/// `pixels` is count x channels x rows x cols, row-major (image i, channel c, row r, column x is
/// at ((i * channels + c) * rows + r) * cols + x): the order of the CIFAR-10 binary records and of
/// PyTorch's image tensors after transforms.ToTensor(). MNIST-style images have one channel.
struct ImageDataset {
  /// @{
  /// The images, their rows, columns and channels.
  Index count = 0, rows = 0, cols = 0, channels = 0;
  /// @}
  std::vector<std::uint8_t> pixels;  ///< count x channels x rows x cols bytes, row-major.
  std::vector<std::uint8_t> labels;  ///< One class per image (empty for an image file alone).

  /// Bytes of one image: channels x rows x cols.
  Index image_size() const { return channels * rows * cols; }
  /// The pixel at (image, channel, row, col), unchecked.
  std::uint8_t pixel(Index image, Index channel, Index row, Index col) const {
    return pixels[static_cast<std::size_t>(((image * channels + channel) * rows + row) * cols +
                                           col)];
  }
  /// The image_size() bytes of one image, unchecked.
  const std::uint8_t* image(Index image_index) const {
    return pixels.data() + static_cast<std::size_t>(image_index * image_size());
  }
};

}  // namespace data
}  // namespace wrnn
