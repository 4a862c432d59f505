// A labelled set of 8-bit images held in memory, as read from MNIST-style or CIFAR-10 files.
#pragma once

#include <cstdint>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {
namespace data {

// `pixels` is count x channels x rows x cols, row-major (image i, channel c, row r, column x is at
// ((i * channels + c) * rows + r) * cols + x): the order of the CIFAR-10 binary records and of
// PyTorch's image tensors after transforms.ToTensor(). MNIST-style images have one channel.
struct ImageDataset {
  Index count = 0, rows = 0, cols = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
  std::vector<std::uint8_t> labels;

  Index image_size() const { return channels * rows * cols; }
  std::uint8_t pixel(Index image, Index channel, Index row, Index col) const {
    return pixels[static_cast<std::size_t>(((image * channels + channel) * rows + row) * cols +
                                           col)];
  }
  const std::uint8_t* image(Index image_index) const {
    return pixels.data() + static_cast<std::size_t>(image_index * image_size());
  }
};

}  // namespace data
}  // namespace wrnn
