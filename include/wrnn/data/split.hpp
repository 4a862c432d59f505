/// \file
/// A reproducible train/validation split of a training set.
#pragma once

#include <cstdint>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/data/shuffle.hpp"

namespace wrnn {
namespace data {

/// The authors hold out 3000 training images for validation on every image task:
/// 57k/3k for MNIST-style (60k) and 47k/3k for CIFAR-10 (50k).
constexpr Index kImageValidationCount = 3000;

/// The example indices of a training set's two parts.
struct TrainValidationSplit {
  std::vector<Index> train;       ///< example indices, in shuffled order
  std::vector<Index> validation;  ///< example indices, in shuffled order
};

/// Shuffles 0..count-1 with random_permutation(count, seed) and keeps the first
/// count - validation_count for training and the last validation_count for validation. This is
/// the order of torch.utils.data.random_split(dataset, [count - v, v]) (a random permutation
/// sliced in order), with wrnn's own platform-independent shuffle in place of torch.randperm.
/// \throws ValueError unless 0 <= validation_count < count.
inline TrainValidationSplit split_train_validation(Index count, Index validation_count,
                                                   std::uint64_t seed) {
  if (count <= 0 || validation_count < 0 || validation_count >= count)
    throw ValueError(wrnn::detail::concat(
        "split_train_validation: expected 0 <= validation count < example count, received ",
        validation_count, " of ", count, " examples"));
  const std::vector<Index> order = random_permutation(count, seed);
  const auto boundary = order.begin() + static_cast<std::ptrdiff_t>(count - validation_count);
  return {std::vector<Index>(order.begin(), boundary), std::vector<Index>(boundary, order.end())};
}

}  // namespace data
}  // namespace wrnn
