/// \file
/// The circular-convolution forward for states laid out sample by sample: a batch is (C*n) x B
/// column-major, each sample's C*n values together. The wave cell's single-sample step
/// (WaveCell::step, StreamingWaveCell::step) runs circular_conv_forward_activation on one such
/// column; training runs the lanes kernels instead (circular_conv_lanes.hpp, samples in SIMD
/// lanes). Each function forwards to the fastest implementation available for Scalar and the
/// shape under the compiler's target flags:
///   - Winograd F(4, 3) (circular_conv_winograd.hpp) for float on AVX-512 and AVX2 + FMA builds,
///     where k = 3, n is a multiple of 4 and C >= winograd::min_channels (6 on AVX-512: all three
///     paper shapes; 8 on AVX2: the adding and sMNIST shapes, the copy task's 6 stay direct);
///   - otherwise the direct kernel of the tile engine (circular_conv_simd.hpp) for float and
///     double wherever xsimd has a register for them;
///   - otherwise the plain scalar reference (circular_conv_reference.hpp), which defines what
///     every implementation must compute.
///
/// Every function takes the caller's ScratchBuffer, for paths that must never allocate (reserve
/// circular_conv_scratch_size(shape) scalars once, up front), or by default this thread's
/// grow-only buffer (allocates only on the first call for the largest shape the thread has seen).
#pragma once

#include "wrnn/core/activation.hpp"
#include "wrnn/kernels/circular_conv_reference.hpp"
#include "wrnn/kernels/circular_conv_simd.hpp"
#include "wrnn/kernels/circular_conv_winograd.hpp"
#include "wrnn/kernels/scratch_buffer.hpp"

namespace wrnn {

/// Whether this build has Winograd kernels for Scalar (float on AVX2 + FMA and AVX-512 builds).
template <class Scalar>
inline constexpr bool winograd_available = (winograd::compiled &&
                                            std::is_same<Scalar, float>::value);

/// Whether `shape` runs on the Winograd kernels in this build.
template <class Scalar>
bool uses_winograd(const ConvShape& shape) {
  return winograd_available<Scalar> && winograd::applies(shape);
}

/// Scalars of scratch the kernels need for `shape` (0 where the reference runs).
template <class Scalar>
Index circular_conv_scratch_size(const ConvShape& shape) {
  if constexpr (winograd_available<Scalar>)
    if (winograd::applies(shape)) return winograd::scratch_size(shape);
  if constexpr (simd::available<Scalar>)
    return simd::circular_conv_scratch_size<Scalar>(shape);
  else
    return 0;
}

/// out (C*n x B) += b_u + u (*) state. bias may be null.
template <class Scalar>
void circular_conv_forward(const ConvShape& shape, const Scalar* weights, const Scalar* bias,
                           const Scalar* state, Scalar* out, Index batch,
                           ScratchBuffer<Scalar>& scratch = thread_scratch<Scalar>()) {
  if constexpr (winograd_available<Scalar>)
    if (winograd::applies(shape))
      return winograd::forward_activation(shape, weights, bias, state, out, batch,
                                          Activation::identity, scratch);
  if constexpr (simd::available<Scalar>)
    simd::circular_conv_forward_activation(shape, weights, bias, state, out, batch,
                                           Activation::identity, scratch);
  else
    reference::circular_conv_forward(shape, weights, bias, state, out, batch);
}

/// inout (C*n x B) <- act(inout + b_u + u (*) state), in one pass. bias may be null;
/// state and inout must not overlap.
template <class Scalar>
void circular_conv_forward_activation(const ConvShape& shape, const Scalar* weights,
                                      const Scalar* bias, const Scalar* state, Scalar* inout,
                                      Index batch, Activation activation,
                                      ScratchBuffer<Scalar>& scratch = thread_scratch<Scalar>()) {
  if constexpr (winograd_available<Scalar>)
    if (winograd::applies(shape))
      return winograd::forward_activation(shape, weights, bias, state, inout, batch, activation,
                                          scratch);
  if constexpr (simd::available<Scalar>) {
    simd::circular_conv_forward_activation(shape, weights, bias, state, inout, batch, activation,
                                           scratch);
  } else {
    reference::circular_conv_forward(shape, weights, bias, state, inout, batch);
    MatrixMap<Scalar> values(inout, shape.state_size(), batch);
    apply_activation(activation, values);
  }
}

}  // namespace wrnn
