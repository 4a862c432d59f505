// One step of the wave cell written as directly as the formula of docs/model.md reads, in double,
// with a modulo for the wrap-around: the oracle for the batch forward (test_wave_cell.cpp) and for
// StreamingWaveCell (test_streaming.cpp).
//   h_t[c][i] = act(b_u[c] + (V x_t + b_V)[c*n + i]
//                   + sum_{c', j} u[c][c'][j] * h_{t-1}[c'][(i + j - k/2) mod n])
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "wrnn/cells/wave.hpp"

namespace wrnn_test {

template <class Scalar>
std::vector<double> naive_wave_step(const wrnn::WaveCell<Scalar>& cell,
                                    const std::vector<double>& h, const std::vector<double>& x) {
  using wrnn::Index;
  const Index C = cell.options().channels, n = cell.options().ring_size,
              k = cell.options().kernel_size, d = cell.options().input_size;
  const auto& u = cell.recurrent_weight().value;
  const auto& bu = cell.recurrent_bias().value;
  const auto& V = cell.input_weight().value;
  const auto& bV = cell.input_bias().value;
  std::vector<double> out(static_cast<std::size_t>(C * n));
  for (Index c = 0; c < C; ++c)
    for (Index i = 0; i < n; ++i) {
      double z = double(bu[c]) + double(bV[c * n + i]);
      for (Index e = 0; e < d; ++e)
        z += double(V[(c * n + i) * d + e]) * x[static_cast<std::size_t>(e)];
      for (Index ci = 0; ci < C; ++ci)
        for (Index j = 0; j < k; ++j) {
          const Index source = (((i + j - k / 2) % n) + n) % n;
          z += double(u[(c * C + ci) * k + j]) * h[static_cast<std::size_t>(ci * n + source)];
        }
      switch (cell.options().activation) {
        case wrnn::Activation::relu:
          z = std::max(z, 0.0);
          break;
        case wrnn::Activation::tanh:
          z = std::tanh(z);
          break;
        case wrnn::Activation::identity:
          break;
      }
      out[static_cast<std::size_t>(c * n + i)] = z;
    }
  return out;
}

}  // namespace wrnn_test
