/// \file
/// Mini-batches of example indices for one epoch: shuffled for training, in order for evaluation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/core/types.hpp"
#include "wrnn/data/shuffle.hpp"

namespace wrnn {
namespace data {

/// The seed of epoch `epoch`'s shuffle: the SplitMix64 finaliser (Steele, Lea, Flood 2014) of
/// seed + (epoch + 1) * 0x9E3779B97F4A7C15. Each epoch's order is a pure function of (seed,
/// epoch), so a run resumed from a checkpoint at epoch e sees the same batches as an
/// uninterrupted one without saving any generator state.
inline std::uint64_t epoch_seed(std::uint64_t seed, std::int64_t epoch) {
  std::uint64_t z = seed + (static_cast<std::uint64_t>(epoch) + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Mini-batches of example indices for one epoch: shuffled for training, in order for
/// evaluation.
class EpochBatches {
 public:
  /// Training batches: `examples` shuffled with Rng(epoch_seed(seed, epoch)), cut into batches of
  /// `batch_size`. With drop_last the final partial batch is left out (as the authors' psMNIST
  /// and nsCIFAR-10 loaders do, DataLoader(drop_last=True)), so every batch has exactly
  /// batch_size examples; without it the final batch holds the remainder.
  /// \throws ValueError unless batch_size > 0.
  static EpochBatches shuffled(std::vector<Index> examples, Index batch_size, bool drop_last,
                               std::uint64_t seed, std::int64_t epoch) {
    Rng rng(epoch_seed(seed, epoch));
    fisher_yates_shuffle(examples, rng);
    return EpochBatches(std::move(examples), batch_size, drop_last);
  }

  /// Evaluation batches: `examples` in the given order, the final partial batch kept, so every
  /// example is scored exactly once. \throws ValueError unless batch_size > 0.
  static EpochBatches in_order(std::vector<Index> examples, Index batch_size) {
    return EpochBatches(std::move(examples), batch_size, false);
  }

  /// Number of batches.
  Index size() const { return batch_count_; }
  /// Examples per batch (the last may hold fewer when the remainder is kept).
  Index batch_size() const { return batch_size_; }
  /// Every example of the epoch in visiting order (including a dropped remainder at the end).
  const std::vector<Index>& order() const { return order_; }

  /// The example indices of batch i. \throws ValueError unless 0 <= i < size().
  std::vector<Index> operator[](Index i) const {
    if (i < 0 || i >= batch_count_)
      throw ValueError(wrnn::detail::concat("EpochBatches: expected a batch index in [0, ",
                                            batch_count_, "), received ", i));
    const Index begin = i * batch_size_;
    const Index end = std::min<Index>(begin + batch_size_, static_cast<Index>(order_.size()));
    return std::vector<Index>(order_.begin() + static_cast<std::ptrdiff_t>(begin),
                              order_.begin() + static_cast<std::ptrdiff_t>(end));
  }

 private:
  EpochBatches(std::vector<Index> order, Index batch_size, bool drop_last)
      : order_(std::move(order)), batch_size_(batch_size) {
    if (batch_size <= 0)
      throw ValueError(wrnn::detail::concat(
          "EpochBatches: expected a positive batch size, received ", batch_size));
    const Index count = static_cast<Index>(order_.size());
    batch_count_ = drop_last ? count / batch_size : (count + batch_size - 1) / batch_size;
  }

  std::vector<Index> order_;
  Index batch_size_ = 0;
  Index batch_count_ = 0;
};

}  // namespace data
}  // namespace wrnn
