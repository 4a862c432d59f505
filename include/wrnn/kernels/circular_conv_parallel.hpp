/// \file
/// The column-layout circular-convolution kernels (circular_conv.hpp) with the batch split across
/// a ThreadPool.
///
/// Results are bit-identical for every thread count:
///   - forward and backward to the state compute each sample on its own (vectorised over its
///     units), so which thread computes a sample cannot change a bit of it;
///   - the weight gradient sums over the batch, so the batch is cut into fixed chunks of
///     weight_gradient_chunk samples whatever the thread count; each chunk is summed into its own
///     partial gradient and the partials are added to grad_weights / grad_bias in chunk order.
///     (The one-call serial kernel sums the whole batch at once, so its rounding can differ from
///     these in the last bits; use one form consistently.)
///
/// Scratch: every task uses the scratch buffer of the thread that runs it (thread_scratch), and
/// the per-chunk partial sums live in the calling thread's second scratch slot; both only grow,
/// so after the first call for the largest shape and batch nothing is allocated.
#pragma once

#include <algorithm>

#include "wrnn/core/thread_pool.hpp"
#include "wrnn/kernels/circular_conv.hpp"

namespace wrnn {

/// Samples per chunk of the weight gradient: fixed, so that the summation order never depends
/// on the thread count (and a multiple of the 8-sample staging group of the SIMD kernel).
inline constexpr Index weight_gradient_chunk = 8;

namespace detail {
// Calls run(first_sample, sample_count) over [0, batch) in contiguous ranges, four per thread:
// a thread that starts late (woken late, or sharing its core) still finds ranges to take.
template <class Run>
void for_sample_ranges(ThreadPool& pool, Index batch, Run&& run) {
  const Index tasks = pool.thread_count() == 1 ? 1 : std::min(batch, 4 * pool.thread_count());
  pool.parallel_for(tasks, [&](Index task) {
    const Index first = batch * task / tasks, last = batch * (task + 1) / tasks;
    run(first, last - first);
  });
}
}  // namespace detail

/// out (C*n x B) += b_u + u (*) state, the samples spread over `pool`.
template <class Scalar>
void circular_conv_forward(ThreadPool& pool, const ConvShape& shape, const Scalar* weights,
                           const Scalar* bias, const Scalar* state, Scalar* out, Index batch) {
  const Index size = shape.state_size();
  detail::for_sample_ranges(pool, batch, [&](Index first, Index count) {
    circular_conv_forward(shape, weights, bias, state + first * size, out + first * size, count);
  });
}

/// inout (C*n x B) <- act(inout + b_u + u (*) state), the samples spread over `pool`.
template <class Scalar>
void circular_conv_forward_activation(ThreadPool& pool, const ConvShape& shape,
                                      const Scalar* weights, const Scalar* bias,
                                      const Scalar* state, Scalar* inout, Index batch,
                                      Activation activation) {
  const Index size = shape.state_size();
  detail::for_sample_ranges(pool, batch, [&](Index first, Index count) {
    circular_conv_forward_activation(shape, weights, bias, state + first * size,
                                     inout + first * size, count, activation);
  });
}

/// grad_state (C*n x B) += u^T (*) grad_out, the samples spread over `pool`.
template <class Scalar>
void circular_conv_backward_state(ThreadPool& pool, const ConvShape& shape, const Scalar* weights,
                                  const Scalar* grad_out, Scalar* grad_state, Index batch) {
  const Index size = shape.state_size();
  detail::for_sample_ranges(pool, batch, [&](Index first, Index count) {
    circular_conv_backward_state(shape, weights, grad_out + first * size, grad_state + first * size,
                                 count);
  });
}

/// grad_u += correlation of grad_out with state, grad_b += sum of grad_out, over the batch in
/// fixed chunks of weight_gradient_chunk samples (see the file's comment). grad_bias may be null.
template <class Scalar>
void circular_conv_backward_weights(ThreadPool& pool, const ConvShape& shape, const Scalar* state,
                                    const Scalar* grad_out, Scalar* grad_weights, Scalar* grad_bias,
                                    Index batch) {
  if (batch <= 0) return;
  const Index size = shape.state_size(), weight_count = shape.weight_count();
  const Index C = shape.channels, partial_size = weight_count + C;
  const Index chunks = (batch + weight_gradient_chunk - 1) / weight_gradient_chunk;
  Scalar* partials = thread_scratch<Scalar, 1>().data(chunks * partial_size);
  pool.parallel_for(chunks, [&](Index chunk) {
    const Index first = chunk * weight_gradient_chunk;
    const Index count = std::min(weight_gradient_chunk, batch - first);
    Scalar* partial = partials + chunk * partial_size;
    std::fill(partial, partial + partial_size, Scalar(0));
    circular_conv_backward_weights(shape, state + first * size, grad_out + first * size, partial,
                                   partial + weight_count, count);
  });
  for (Index chunk = 0; chunk < chunks; ++chunk) {
    const Scalar* partial = partials + chunk * partial_size;
    for (Index i = 0; i < weight_count; ++i) grad_weights[i] += partial[i];
    if (grad_bias)
      for (Index c = 0; c < C; ++c) grad_bias[c] += partial[weight_count + c];
  }
}

}  // namespace wrnn
