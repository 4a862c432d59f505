// clang-format off
/// \file
/// Plain scalar circular convolution over a batch of ring states ((C*n) x B column-major; sample
/// b, channel c, unit i at b*C*n + c*n + i; u [C_out][C_in][k] as PyTorch's Conv1d, b_u [C]):
/// the reference every optimised kernel is tested against, and the fallback where none applies.
///
///     forward:        out[c][i]        += b_u[c] + sum_{c', j} u[c][c'][j] * h[c'][(i + j - r) mod n]
///     backward state: grad_h[c'][m]    += sum_{c, j} u[c][c'][j] * g[c][(m - j + r) mod n]
///     backward u, b:  grad_u[c][c'][j] += sum_{b, i} g[c][i] * h[c'][(i + j - r) mod n]
///                     grad_b[c]        += sum_{b, i} g[c][i]
///
/// The modulo is taken once per tap: a shift by s splits a ring into two contiguous runs.
// clang-format on
#pragma once

#include "wrnn/kernels/conv_shape.hpp"

/// The plain scalar circular convolution (circular_conv_reference.hpp): the oracle of the tests.
namespace wrnn::reference {

namespace detail {
// For tap j, the shift s in [0, n) such that output unit i reads input unit (i + s) mod n.
inline Index tap_shift(const ConvShape& shape, Index tap) {
  const Index n = shape.ring_size;
  return ((tap - shape.half_width()) % n + n) % n;
}
}  // namespace detail

/// out += u (*) state + b_u for `batch` samples ((C*n) x batch column-major); `bias` may be null.
template <class Scalar>
void circular_conv_forward(const ConvShape& shape, const Scalar* weights, const Scalar* bias,
                           const Scalar* state, Scalar* out, Index batch) {
  const Index n = shape.ring_size, C = shape.channels, k = shape.kernel_size;
  for (Index b = 0; b < batch; ++b) {
    const Scalar* h = state + b * C * n;
    Scalar* o = out + b * C * n;
    for (Index c = 0; c < C; ++c) {
      Scalar* oc = o + c * n;
      if (bias)
        for (Index i = 0; i < n; ++i) oc[i] += bias[c];
      for (Index ci = 0; ci < C; ++ci) {
        const Scalar* hc = h + ci * n;
        for (Index j = 0; j < k; ++j) {
          const Scalar w = weights[(c * C + ci) * k + j];
          const Index s = detail::tap_shift(shape, j);
          for (Index i = 0; i < n - s; ++i) oc[i] += w * hc[i + s];
          for (Index i = n - s; i < n; ++i) oc[i] += w * hc[i + s - n];
        }
      }
    }
  }
}

/// grad_state += u^T (*) grad_out, the transposed convolution, for `batch` samples.
template <class Scalar>
void circular_conv_backward_state(const ConvShape& shape, const Scalar* weights,
                                  const Scalar* grad_out, Scalar* grad_state, Index batch) {
  const Index n = shape.ring_size, C = shape.channels, k = shape.kernel_size;
  for (Index b = 0; b < batch; ++b) {
    const Scalar* g = grad_out + b * C * n;
    Scalar* gh = grad_state + b * C * n;
    for (Index c = 0; c < C; ++c) {
      const Scalar* gc = g + c * n;
      for (Index ci = 0; ci < C; ++ci) {
        Scalar* ghc = gh + ci * n;
        for (Index j = 0; j < k; ++j) {
          const Scalar w = weights[(c * C + ci) * k + j];
          const Index s = detail::tap_shift(shape, j);
          // output i read input m = (i + s) mod n, so input m receives from output (m - s) mod n
          for (Index m = s; m < n; ++m) ghc[m] += w * gc[m - s];
          for (Index m = 0; m < s; ++m) ghc[m] += w * gc[m - s + n];
        }
      }
    }
  }
}

/// grad_weights += the correlation of grad_out with state, grad_bias += grad_out summed over
/// units, both summed over `batch` samples; `grad_bias` may be null.
template <class Scalar>
void circular_conv_backward_weights(const ConvShape& shape, const Scalar* state,
                                    const Scalar* grad_out, Scalar* grad_weights, Scalar* grad_bias,
                                    Index batch) {
  const Index n = shape.ring_size, C = shape.channels, k = shape.kernel_size;
  for (Index b = 0; b < batch; ++b) {
    const Scalar* h = state + b * C * n;
    const Scalar* g = grad_out + b * C * n;
    for (Index c = 0; c < C; ++c) {
      const Scalar* gc = g + c * n;
      if (grad_bias) {
        Scalar sum = 0;
        for (Index i = 0; i < n; ++i) sum += gc[i];
        grad_bias[c] += sum;
      }
      for (Index ci = 0; ci < C; ++ci) {
        const Scalar* hc = h + ci * n;
        for (Index j = 0; j < k; ++j) {
          const Index s = detail::tap_shift(shape, j);
          Scalar sum = 0;
          for (Index i = 0; i < n - s; ++i) sum += gc[i] * hc[i + s];
          for (Index i = n - s; i < n; ++i) sum += gc[i] * hc[i + s - n];
          grad_weights[(c * C + ci) * k + j] += sum;
        }
      }
    }
  }
}

}  // namespace wrnn::reference
