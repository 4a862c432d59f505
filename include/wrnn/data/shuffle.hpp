/// \file
/// The one shuffle wrnn's data code uses, so that every random order is reproducible from a seed
/// on every platform (std::shuffle's algorithm is implementation-defined).
#pragma once

#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "wrnn/core/rng.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {
namespace data {

/// Fisher-Yates (Durstenfeld's in-place form): for i = n-1 down to 1, draw j uniformly from
/// {0, ..., i} with Rng::uniform_int(0, i + 1) and swap elements i and j. Every one of the n!
/// orders is equally likely, and the result depends only on the Rng's state.
template <class T>
void fisher_yates_shuffle(std::vector<T>& values, Rng& rng) {
  for (std::size_t i = values.size(); i > 1; --i) {
    const std::size_t j =
        static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(i)));
    std::swap(values[i - 1], values[j]);
  }
}

/// 0, 1, ..., n-1 in the order given by fisher_yates_shuffle with Rng(seed).
inline std::vector<Index> random_permutation(Index n, std::uint64_t seed) {
  std::vector<Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Index{0});
  Rng rng(seed);
  fisher_yates_shuffle(order, rng);
  return order;
}

/// Whether `order` holds each of 0..n-1 exactly once.
inline bool is_permutation_of_range(const std::vector<Index>& order, Index n) {
  if (static_cast<Index>(order.size()) != n) return false;
  std::vector<bool> seen(static_cast<std::size_t>(n), false);
  for (Index value : order) {
    if (value < 0 || value >= n || seen[static_cast<std::size_t>(value)]) return false;
    seen[static_cast<std::size_t>(value)] = true;
  }
  return true;
}

}  // namespace data
}  // namespace wrnn
