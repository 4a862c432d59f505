/// \file
/// The circular-convolution forward for states laid out sample by sample ((C*n) x B
/// column-major): what the wave cell's single-sample step runs (WaveCell::step,
/// StreamingWaveCell::step); training runs the lanes kernels (circular_conv_lanes.hpp). It
/// forwards to the fastest implementation for Scalar and the shape under the build's
/// target flags: Winograd F(4, 3) (circular_conv_winograd.hpp) for float on AVX-512 and AVX2 +
/// FMA builds where k = 3, n is a multiple of 4 and C >= winograd::min_channels; else the
/// direct kernel (circular_conv_simd.hpp) wherever xsimd has a register for Scalar; else the
/// scalar reference (circular_conv_reference.hpp), which defines what all of them compute. It
/// takes the caller's ScratchBuffer, for paths that must never allocate (reserve
/// circular_conv_scratch_size(shape) scalars once), or by default this thread's grow-only one.
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
