/// \file
/// The shape of the wave cell's circular convolution, shared by every kernel implementation.
#pragma once

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

/// The shape of the wave cell's circular convolution, shared by every kernel implementation.
struct ConvShape {
  Index channels = 1;     ///< C: rings, each convolved with every other (full channel mixing)
  Index ring_size = 1;    ///< n: units on each ring
  Index kernel_size = 1;  ///< k: odd number of taps, centred (padding k/2 on each side)

  Index state_size() const { return channels * ring_size; }  ///< C*n values per sample.
  Index half_width() const { return kernel_size / 2; }       ///< r = k/2, the circular padding.
  /// C*C*k weights, [C_out][C_in][k] as PyTorch's Conv1d stores them.
  Index weight_count() const { return channels * channels * kernel_size; }

  /// The same limits as PyTorch's Conv1d(C, C, k, padding=k//2, padding_mode='circular').
  /// \throws ValueError when C or n is not positive, k is not a positive odd number, or k/2
  ///         exceeds n.
  void validate() const {
    require_positive("channels", channels);
    require_positive("ring size n", ring_size);
    if (kernel_size <= 0 || kernel_size % 2 == 0)
      throw ValueError(
          detail::concat("kernel size: expected an odd number >= 1, received ", kernel_size));
    if (half_width() > ring_size)
      throw ValueError(detail::concat("kernel size: circular padding k/2 = ", half_width(),
                                      " must not exceed the ring size n = ", ring_size));
  }
};

/// Index `i` wrapped into [0, n), for i in [-n, 2n): the (i + offset) mod n of a ring with
/// |offset| <= n.
inline Index wrap_index(Index i, Index n) {
  return i < 0 ? i + n : (i >= n ? i - n : i);
}

}  // namespace wrnn
