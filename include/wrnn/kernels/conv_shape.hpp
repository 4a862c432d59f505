// The shape of the wave cell's circular convolution, shared by every kernel implementation.
#pragma once

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

struct ConvShape {
  Index channels = 1;     // C: rings, each convolved with every other (full channel mixing)
  Index ring_size = 1;    // n: units on each ring
  Index kernel_size = 1;  // k: odd number of taps, centred (padding k/2 on each side)

  Index state_size() const { return channels * ring_size; }
  Index half_width() const { return kernel_size / 2; }
  Index weight_count() const { return channels * channels * kernel_size; }

  // The same limits as PyTorch's Conv1d(C, C, k, padding=k//2, padding_mode='circular').
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

// Index (i + offset) mod n for i in [0, n) and |offset| <= n.
inline Index wrap_index(Index i, Index n) {
  return i < 0 ? i + n : (i >= n ? i - n : i);
}

}  // namespace wrnn
