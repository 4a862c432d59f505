// The circular-convolution kernels the wave cell calls. Each forwards to the fastest
// implementation available; the plain scalar reference (circular_conv_reference.hpp) defines
// what every implementation must compute.
#pragma once

#include "wrnn/kernels/circular_conv_reference.hpp"

namespace wrnn {

// out (C*n x B) += b_u + u (*) state
template <class Scalar>
void circular_conv_forward(const ConvShape& shape, const Scalar* weights, const Scalar* bias,
                           const Scalar* state, Scalar* out, Index batch) {
  reference::circular_conv_forward(shape, weights, bias, state, out, batch);
}

// grad_state (C*n x B) += u^T (*) grad_out
template <class Scalar>
void circular_conv_backward_state(const ConvShape& shape, const Scalar* weights,
                                  const Scalar* grad_out, Scalar* grad_state, Index batch) {
  reference::circular_conv_backward_state(shape, weights, grad_out, grad_state, batch);
}

// grad_u += correlation of grad_out with state, grad_b += sum of grad_out (over the batch)
template <class Scalar>
void circular_conv_backward_weights(const ConvShape& shape, const Scalar* state,
                                    const Scalar* grad_out, Scalar* grad_weights, Scalar* grad_bias,
                                    Index batch) {
  reference::circular_conv_backward_weights(shape, state, grad_out, grad_weights, grad_bias, batch);
}

}  // namespace wrnn
