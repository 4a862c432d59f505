// clang-format off
/// \file
/// The circular convolution for states laid out with the samples in SIMD lanes: a block of B
/// samples' states is C*n rows of B values, unit i of channel c of sample s at
/// ((c * n + i) * B + s), a (C*n) x B row-major matrix (StateLayout::sample_lanes). The wave
/// cell trains on these kernels; they compute what circular_conv_reference.hpp defines:
///
///     forward:        out[c][i]        = act(out[c][i] + b_u[c] + sum_{c', j} u[c][c'][j] h[c'][(i + j - r) mod n])
///     backward state: grad_h[c'][m]  (+)= sum_{c, j} u[c][c'][j] g[c][(m - j + r) mod n]
///     backward u, b:  grad_u[c][c'][j] += sum_{s, i} g[c][i] h[c'][(i + j - r) mod n]
///                     grad_b[c]        += sum_{s, i} g[c][i]
///
/// Addressing, wrapped rows: output row (c, i) reads input rows (c', (i + j - r) mod n), every
/// load a plain vector of W samples; the wrap-around only picks which row a tile reads. Passes:
/// the forward's tile (tile.hpp's add_products: 6 output channels x rows x vectors of samples),
/// the same tile with transposed, tap-reversed weights u'[c'][c][j'] = u[c][c'][k-1-j'] for the
/// backward to the state (WeightView), and the weight gradient's tile of output channels x taps
/// for one input channel, each lane summing its own samples, the lanes added up once per call.
/// The samples past the last whole vector are copied into W-wide rows of scratch, zeros in the
/// other lanes, and run through the same tiles. Every lane does the same arithmetic in the same
/// order, so a sample's forward and state gradient are the same bits wherever it sits in its
/// batch; the weight gradient's rounding depends on the batch (a sum over it).
// clang-format on
#pragma once

#include <algorithm>

#include "wrnn/core/activation.hpp"
#include "wrnn/kernels/circular_conv_lanes_winograd.hpp"
#include "wrnn/kernels/circular_conv_reference.hpp"
#include "wrnn/kernels/scratch_buffer.hpp"
#include "wrnn/kernels/tile.hpp"

WRNN_KERNELS_BEGIN

/// Kernels for states with the samples in SIMD lanes (StateLayout::sample_lanes): the wave
/// cell's training convolution (circular_conv_lanes.hpp) and the model's matrix products
/// (lane_products.hpp).
namespace wrnn::lanes {

namespace detail {

using tile::Batch;
using tile::lanes;
using tile::multiply_add;
using tile::Traits;  // the register tiles (tile.hpp)
using tile::with_constant;

// Rows of one block of samples: the value of row `row` for the block's first sample is at
// data[row * stride], the block's other samples follow it.
template <class Scalar>
struct Rows {
  Scalar* data;
  Index stride;
  Scalar* row(Index index) const { return data + index * stride; }
};

// The weights as a tile reads them: weight(o, i, j) for output channel o, input channel i, tap
// j. The forward reads u[o][i][j]; the backward to the state reads u'[o][i][j] =
// u[i][o][k-1-j], the same array at other strides.
template <class Scalar>
struct WeightView {
  const Scalar* first;
  Index output_stride, input_stride, tap_stride;
  Scalar operator()(Index output, Index input, Index tap) const {
    return first[output * output_stride + input * input_stride + tap * tap_stride];
  }
  static WeightView forward(const ConvShape& s, const Scalar* u) {
    return {u, s.channels * s.kernel_size, s.kernel_size, 1};
  }
  static WeightView transposed(const ConvShape& s, const Scalar* u) {
    return {u + s.kernel_size - 1, s.kernel_size, s.channels * s.kernel_size, -1};
  }
};

// The weights of a call, packed in the order the tiles read them: for each block of channels
// (from c0, `block` channels), for each input channel c' and tap j, the block's `block` weights
// weight(c0 .. c0 + block - 1, c', j) side by side, at packed[c0 * C * k + (c' * k + j) * block].
// C * C * k scalars, rewritten every call (the weights change between calls).
template <class Scalar>
void pack_weights(const ConvShape& shape, const WeightView<Scalar>& weight, Scalar* packed) {
  const Index C = shape.channels, k = shape.kernel_size;
  for (Index c0 = 0; c0 < C; c0 += Traits::output_channels) {
    const Index block = std::min<Index>(Traits::output_channels, C - c0);
    Scalar* to = packed + c0 * C * k;
    for (Index ci = 0; ci < C; ++ci)
      for (Index j = 0; j < k; ++j)
        for (Index c = 0; c < block; ++c) *to++ = weight(c0 + c, ci, j);
  }
}

// One tile: Channels output channels from c0 (their packed weights at `weights`), RowsPerTile
// output rows from i0, Vectors vectors of the block's samples:
//   out = act(out + bias + sum_{c', j} weight(c, c', j) * in[c'][(i + j - r) mod n])
// with out's old value only if `accumulate`, bias only if not null. Every output adds its
// products in the order (c', j), one fused multiply-add each, and every tile is whole vectors,
// activation included: the same bits from every tile.
// `input_row(c', p)` points at input row (c', (i0 + p - r) mod n) of the block's first sample:
// plain arithmetic for rows away from the ring's ends, a wrap near them.
template <class Scalar, int Channels, int RowsPerTile, int Vectors, int Taps, class InputRow>
void convolve_tile(const ConvShape& shape, const Scalar* weights, const Scalar* bias,
                   InputRow&& input_row, Rows<Scalar> out, Index c0, Index i0, bool accumulate,
                   Activation activation) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index C = shape.channels, n = shape.ring_size, k = Taps > 0 ? Taps : shape.kernel_size;
  B acc[std::size_t{Channels}][std::size_t{RowsPerTile}][std::size_t{Vectors}];
  // The accumulators' start, one expression each and no branch between them (out's old row or
  // zeros, plus the bias or zero): GCC 12 keeps them in registers only so.
  for (int c = 0; c < Channels; ++c) {
    const B start = bias ? B(bias[c0 + c]) : B(Scalar(0));
    for (int q = 0; q < RowsPerTile; ++q) {
      const Scalar* old_row =
          accumulate ? out.row((c0 + c) * n + i0 + q) : tile::zeros<Scalar, Vectors * W>;
      for (int v = 0; v < Vectors; ++v) acc[c][q][v] = B::load_unaligned(old_row + v * W) + start;
    }
  }
  tile::add_products<Taps>(acc, C, k, weights, k * Channels, Channels, 1, input_row);
  for (int c = 0; c < Channels; ++c)
    for (int q = 0; q < RowsPerTile; ++q)
      tile::store_activated(activation, acc[c][q], out.row((c0 + c) * n + i0 + q));
}

// Every output row and channel of one block of Vectors vectors of samples. Rows away from the
// ring's ends (r <= i < n - r) read their inputs at fixed distances and run in tiles of
// Traits::row_cells / Vectors rows; the r rows at each end wrap around, and they and the interior's
// last rows short of a whole tile run one row a tile. Channels in blocks of 6, then the remainder.
// The rows are the outer loop, so the C x (rows + k - 1) input rows a row of tiles reads stay in
// L1 across its channel blocks.
template <class Scalar, int Vectors>
void convolve_block(const ConvShape& shape, const Scalar* packed_weights, const Scalar* bias,
                    Rows<const Scalar> in, Rows<Scalar> out, bool accumulate,
                    Activation activation) {
  constexpr int R = Traits::row_cells / Vectors;  // rows of a tile: row_cells = rows x vectors
  const Index C = shape.channels, n = shape.ring_size, k = shape.kernel_size,
              r = shape.half_width();
  // k = 3 (every paper shape) with its tap loop unrolled, only for float's whole tiles of
  // interior rows, where nearly all the work is: the other tiles take the generic loop, which
  // halves the instantiations a program compiles.
  auto row_of_tiles = [&](auto rows, auto unrolled, Index i0, const auto& input_row) {
    constexpr int Rs = decltype(rows)::value;
    auto tile = [&](auto channels, Index c0) {
      constexpr int Channels = decltype(channels)::value;
      if constexpr (decltype(unrolled)::value && std::is_same<Scalar, float>::value) {
        if (k == 3) {
          convolve_tile<Scalar, Channels, Rs, Vectors, 3>(shape, packed_weights + c0 * C * k, bias,
                                                          input_row, out, c0, i0, accumulate,
                                                          activation);
          return;
        }
      }
      convolve_tile<Scalar, Channels, Rs, Vectors, 0>(
          shape, packed_weights + c0 * C * k, bias, input_row, out, c0, i0, accumulate, activation);
    };
    for (Index c0 = 0; c0 < C; c0 += Traits::output_channels)
      with_constant<Traits::output_channels>(std::min<Index>(Traits::output_channels, C - c0),
                                             [&](auto channels) { tile(channels, c0); });
  };
  auto whole_tile = [&](Index i0) {
    const Scalar* first = in.row(i0 - r);
    const Index ring = n * in.stride;
    row_of_tiles(
        std::integral_constant<int, R>{}, std::true_type{}, i0,
        [first, ring, &in](Index ci, Index p) { return first + ci * ring + p * in.stride; });
  };
  auto single_row = [&](Index i0) {
    row_of_tiles(std::integral_constant<int, 1>{}, std::false_type{}, i0, [&](Index ci, Index p) {
      return in.row(ci * n + wrap_index(i0 + p - r, n));  // |i0 + p - r| within one turn
    });
  };
  const Index interior_end = std::max(n - r, Index(0));
  Index i = 0;
  for (; i < std::min(r, n); ++i) single_row(i);
  for (; i + R <= interior_end; i += R) whole_tile(i);
  for (; i < n; ++i) single_row(i);
}

// Copies samples [first, first + count) (count < W) of `rows` rows of a block of `batch`
// samples into W-wide rows, zeros in the lanes past count; and back, the first count lanes.
template <class Scalar>
void pack_samples(const Scalar* source, Index rows, Index batch, Index first, Index count,
                  Scalar* packed) {
  RowMatrixMap<Scalar> to(packed, rows, lanes<Scalar>);
  to.leftCols(count) = ConstRowMatrixMap<Scalar>(source, rows, batch).middleCols(first, count);
  to.rightCols(lanes<Scalar> - count).setZero();
}

template <class Scalar>
void unpack_samples(const Scalar* packed, Index rows, Index batch, Index first, Index count,
                    Scalar* target) {
  RowMatrixMap<Scalar>(target, rows, batch).middleCols(first, count) =
      ConstRowMatrixMap<Scalar>(packed, rows, lanes<Scalar>).leftCols(count);
}

// Calls block(vectors, in, out, stride) over a whole batch: pairs of vectors of samples, a last
// single vector, then the samples past the last vector packed into W-wide rows of scratch
// (`packed`, 2 x rows x W scalars). `in` is packed; `out` is packed too if `pack_out` (a
// kernel's old values it accumulates into, or a second input), and unpacked after unless it is
// read-only (Out const). vectors is a std::integral_constant.
template <class Scalar, class Out, class Block>
void for_each_sample_block(Index rows, Index batch, const Scalar* in, Out* out, bool pack_out,
                           Scalar* packed, Block&& block) {
  constexpr Index W = lanes<Scalar>;
  const Index whole = tile::for_sample_vectors<Scalar>(
      batch, [&](auto vectors, Index s) { block(vectors, in + s, out + s, batch); });
  if (whole < batch) {
    Scalar* packed_in = packed;
    Scalar* packed_out = packed + rows * W;
    pack_samples(in, rows, batch, whole, batch - whole, packed_in);
    if (pack_out) pack_samples(out, rows, batch, whole, batch - whole, packed_out);
    block(std::integral_constant<int, 1>{}, static_cast<const Scalar*>(packed_in), packed_out, W);
    if constexpr (!std::is_const<Out>::value)
      unpack_samples(packed_out, rows, batch, whole, batch - whole, out);
  }
}

// Where a call's scratch goes: the weights as the tiles read them (packed, Winograd-transformed,
// or the weight gradient's lane sums), a Winograd pass's transformed inputs and mixed points,
// and the packed samples past the last vector.
template <class Scalar>
struct ScratchLayout {
  Index weights, pass, packed;
  explicit ScratchLayout(const ConvShape& shape) {
    constexpr Index W = lanes<Scalar>;
    const Index C = shape.channels;
    weights = std::max((shape.weight_count() + C) * W, winograd_f43::points * C * C);
    pass = winograd::applies(shape) ? std::max(winograd::pass_scratch_size<Scalar>(shape),
                                               winograd::weight_scratch_size<Scalar>(shape))
                                    : 0;
    packed = 2 * shape.state_size() * W;
  }
  Index size() const { return weights + pass + packed; }
};

// out = act(out? + bias? + weight (*) in) over the whole batch: on the Winograd passes for the
// shapes they serve, else on the direct tiles.
template <class Scalar>
void convolve(const ConvShape& shape, const WeightView<Scalar>& weight, const Scalar* bias,
              const Scalar* in, Scalar* out, Index batch, bool accumulate, Activation activation,
              ScratchBuffer<Scalar>& scratch) {
  const ScratchLayout<Scalar> layout(shape);
  Scalar* weights = scratch.data(layout.size());
  Scalar* pass = weights + layout.weights;
  Scalar* packed = pass + layout.pass;
  const Index rows = shape.state_size();
  if (winograd::applies(shape)) {
    winograd::transform_weights(shape, weight, weights);
    for_each_sample_block(
        rows, batch, in, out, accumulate, packed,
        [&](auto vectors, const Scalar* block_in, Scalar* block_out, Index stride) {
          winograd::convolve_block<Scalar, decltype(vectors)::value>(
              shape, weights, bias, block_in, block_out, stride, accumulate, activation, pass);
        });
    return;
  }
  pack_weights(shape, weight, weights);
  for_each_sample_block(rows, batch, in, out, accumulate, packed,
                        [&](auto vectors, const Scalar* block_in, Scalar* block_out, Index stride) {
                          convolve_block<Scalar, decltype(vectors)::value>(
                              shape, weights, bias, {block_in, stride}, {block_out, stride},
                              accumulate, activation);
                        });
}

// The weight gradient's tile: for Channels output channels from c0, one input channel ci and
// Taps taps from j0, adds g[c][i] * h[ci][(i + j - r) mod n] over every row and `vectors`
// vectors of samples into the lane sums of grad_u[c][ci][j] (W lanes each, at
// lane_sums[((c * C + ci) * k + j) * W]); with WithBias also g[c][i] into those of grad_b[c]
// (at bias_sums[c * W]). The sums stay in registers over the whole ring (storing and reloading
// them between blocks of rows costs more than the blocks save in L1). Rows away from the ring's
// ends read their taps at fixed distances, the r rows at each end wrap.
template <class Scalar, int Channels, int Taps, bool WithBias>
void weight_tile(const ConvShape& shape, Rows<const Scalar> state, Rows<const Scalar> grad,
                 Index vectors, Index c0, Index ci, Index j0, Scalar* lane_sums,
                 Scalar* bias_sums) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index C = shape.channels, n = shape.ring_size, k = shape.kernel_size,
              r = shape.half_width();
  auto sums_of = [&](int c, int t) { return lane_sums + (((c0 + c) * C + ci) * k + j0 + t) * W; };
  B acc[std::size_t{Channels}][std::size_t{Taps}], bias_acc[WithBias ? std::size_t{Channels} : 1];
  for (int c = 0; c < Channels; ++c) {
    for (int t = 0; t < Taps; ++t) acc[c][t] = B::load_aligned(sums_of(c, t));
    if constexpr (WithBias) bias_acc[c] = B::load_aligned(bias_sums + (c0 + c) * W);
  }
  const Scalar* ring = state.row(ci * n);
  // Do-whiles (n >= 1, vectors >= 1) for the reason winograd::mix_tile gives.
  Index i = 0;
  do {
    const bool wraps = i < r || i >= n - r;
    const Scalar* first_tap = ring + (i + j0 - r) * state.stride;
    Index v = 0;
    do {
      B g[std::size_t{Channels}];
      for (int c = 0; c < Channels; ++c) {
        g[c] = B::load_unaligned(grad.row((c0 + c) * n + i) + v * W);
        if constexpr (WithBias) bias_acc[c] += g[c];
      }
      for (int t = 0; t < Taps; ++t) {
        const Scalar* row = wraps ? ring + wrap_index(i + j0 + t - r, n) * state.stride
                                  : first_tap + t * state.stride;
        const B x = B::load_unaligned(row + v * W);
        for (int c = 0; c < Channels; ++c) acc[c][t] = multiply_add(g[c], x, acc[c][t]);
      }
    } while (++v < vectors);
  } while (++i < n);
  for (int c = 0; c < Channels; ++c) {
    for (int t = 0; t < Taps; ++t) acc[c][t].store_aligned(sums_of(c, t));
    if constexpr (WithBias) bias_acc[c].store_aligned(bias_sums + (c0 + c) * W);
  }
}

// Adds the weight (and, with bias_sums, the bias) gradients of one block of `vectors` vectors
// of samples into their lane sums.
template <class Scalar>
void weight_gradient_block(const ConvShape& shape, Rows<const Scalar> state,
                           Rows<const Scalar> grad, Index vectors, Scalar* lane_sums,
                           Scalar* bias_sums) {
  const Index C = shape.channels, k = shape.kernel_size;
  auto tile = [&](auto channels, auto taps, Index c0, Index ci, Index j0) {
    constexpr int Cs = decltype(channels)::value, Ts = decltype(taps)::value;
    if (bias_sums && ci == 0 && j0 == 0)
      weight_tile<Scalar, Cs, Ts, true>(shape, state, grad, vectors, c0, ci, j0, lane_sums,
                                        bias_sums);
    else
      weight_tile<Scalar, Cs, Ts, false>(shape, state, grad, vectors, c0, ci, j0, lane_sums,
                                         bias_sums);
  };
  for (Index ci = 0; ci < C; ++ci)
    for (Index c0 = 0; c0 < C; c0 += Traits::row_weight_channels)
      for (Index j0 = 0; j0 < k; j0 += Traits::weight_taps)
        with_constant<Traits::row_weight_channels>(
            std::min<Index>(Traits::row_weight_channels, C - c0), [&](auto channels) {
              with_constant<Traits::weight_taps>(
                  std::min<Index>(Traits::weight_taps, k - j0),
                  [&](auto taps) { tile(channels, taps, c0, ci, j0); });
            });
}

// The weight and bias gradients over the whole batch: lane sums over the whole vectors, then
// over the samples past them packed into scratch (zeros in the other lanes add nothing), then
// each sum's lanes added up into grad_u and grad_b.
template <class Scalar>
void weight_gradients(const ConvShape& shape, const Scalar* state, const Scalar* grad_out,
                      Scalar* grad_weights, Scalar* grad_bias, Index batch,
                      ScratchBuffer<Scalar>& scratch) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index rows = shape.state_size(), weights = shape.weight_count(), C = shape.channels;
  const ScratchLayout<Scalar> layout(shape);
  const bool winograd_sums = winograd::applies(shape);
  // The lane sums of grad_u (direct) or of dU (Winograd, in the pass area, a group's transforms
  // after them), then those of grad_b.
  Scalar* base = scratch.data(layout.size());
  Scalar* sums = base + (winograd_sums ? layout.weights : 0);
  Scalar* bias_sums = sums + (winograd_sums ? winograd_f43::points * C * C : weights) * W;
  std::fill(sums, bias_sums + C * W, Scalar(0));
  Scalar* bias = grad_bias ? bias_sums : nullptr;
  Scalar* packed = base + layout.weights + layout.pass;
  if (winograd_sums) {
    for_each_sample_block(
        rows, batch, state, grad_out, true, packed,
        [&](auto vectors, const Scalar* block_state, const Scalar* block_grad, Index stride) {
          winograd::weight_sums_block<Scalar, decltype(vectors)::value>(
              shape, block_state, block_grad, stride, sums, bias, bias_sums + C * W);
        });
  } else {
    // All whole vectors of samples at once: the tiles' sums stay in registers over the whole
    // ring, so they are loaded and stored once for the batch. Then the samples past them, packed.
    const Index whole = batch / W * W;
    if (whole > 0)
      weight_gradient_block<Scalar>(shape, {state, batch}, {grad_out, batch}, batch / W, sums,
                                    bias);
    if (whole < batch) {
      pack_samples(state, rows, batch, whole, batch - whole, packed);
      pack_samples(grad_out, rows, batch, whole, batch - whole, packed + rows * W);
      weight_gradient_block<Scalar>(shape, {packed, W}, {packed + rows * W, W}, 1, sums, bias);
    }
  }
  if (winograd_sums)
    winograd::add_weight_sums(shape, sums, grad_weights);
  else
    for (Index w = 0; w < weights; ++w)
      grad_weights[w] += xsimd::hadd(B::load_aligned(sums + w * W));
  if (grad_bias)
    for (Index c = 0; c < C; ++c) grad_bias[c] += xsimd::hadd(B::load_aligned(bias_sums + c * W));
}

// Where xsimd has no register for Scalar the reference runs, on copies in its layout: a
// column-major copy of the (C*n) x B row-major states has each sample's values together.
template <class Scalar>
Matrix<Scalar> to_columns(const ConvShape& shape, Index batch, const Scalar* data) {
  return ConstRowMatrixMap<Scalar>(data, shape.state_size(), batch);
}

}  // namespace detail

/// Scalars of scratch the kernels need for `shape`. Each kernel takes the caller's ScratchBuffer,
/// for paths that must never allocate (reserve scratch_size(shape) scalars once, up front), or
/// by default this thread's grow-only buffer (thread_scratch), which allocates only on the first
/// call for the largest shape the thread has seen.
template <class Scalar>
Index scratch_size(const ConvShape& shape) {
  if constexpr (simd::available<Scalar>)
    return detail::ScratchLayout<Scalar>(shape).size();
  else
    return 0;
}

/// inout (C*n x B, samples in lanes) <- act(inout + b_u + u (*) state). bias may be null; state
/// and inout must not overlap. \throws ValueError when `shape` is not valid (ConvShape::validate).
template <class Scalar>
void forward_activation(const ConvShape& shape, const Scalar* weights, const Scalar* bias,
                        const Scalar* state, Scalar* inout, Index batch, Activation activation,
                        ScratchBuffer<Scalar>& scratch = thread_scratch<Scalar>()) {
  shape.validate();
  if constexpr (simd::available<Scalar>) {
    detail::convolve(shape, detail::WeightView<Scalar>::forward(shape, weights), bias, state, inout,
                     batch, true, activation, scratch);
  } else {
    Matrix<Scalar> values = detail::to_columns(shape, batch, inout);
    reference::circular_conv_forward(
        shape, weights, bias, detail::to_columns(shape, batch, state).data(), values.data(), batch);
    apply_activation(activation, values);
    RowMatrixMap<Scalar>(inout, shape.state_size(), batch) = values;
  }
}

/// grad_state (C*n x B, samples in lanes) += u^T (*) grad_out.
/// \throws ValueError when `shape` is not valid (ConvShape::validate).
template <class Scalar>
void backward_state(const ConvShape& shape, const Scalar* weights, const Scalar* grad_out,
                    Scalar* grad_state, Index batch,
                    ScratchBuffer<Scalar>& scratch = thread_scratch<Scalar>()) {
  shape.validate();
  if constexpr (simd::available<Scalar>) {
    detail::convolve(shape, detail::WeightView<Scalar>::transposed(shape, weights),
                     static_cast<const Scalar*>(nullptr), grad_out, grad_state, batch, true,
                     Activation::identity, scratch);
  } else {
    Matrix<Scalar> values = detail::to_columns(shape, batch, grad_state);
    reference::circular_conv_backward_state(
        shape, weights, detail::to_columns(shape, batch, grad_out).data(), values.data(), batch);
    RowMatrixMap<Scalar>(grad_state, shape.state_size(), batch) = values;
  }
}

/// grad_u += correlation of grad_out with state, grad_b += sum of grad_out over units and samples
/// (grad_bias may be null). Summation order fixed for a given batch size.
/// \throws ValueError when `shape` is not valid (ConvShape::validate).
template <class Scalar>
void backward_weights(const ConvShape& shape, const Scalar* state, const Scalar* grad_out,
                      Scalar* grad_weights, Scalar* grad_bias, Index batch,
                      ScratchBuffer<Scalar>& scratch = thread_scratch<Scalar>()) {
  shape.validate();
  if constexpr (simd::available<Scalar>) {
    detail::weight_gradients(shape, state, grad_out, grad_weights, grad_bias, batch, scratch);
  } else {
    reference::circular_conv_backward_weights(shape, detail::to_columns(shape, batch, state).data(),
                                              detail::to_columns(shape, batch, grad_out).data(),
                                              grad_weights, grad_bias, batch);
  }
}

/// The wave cell's backward step: the weight and bias gradients added as backward_weights adds
/// them, and grad_state = u^T (*) grad_out (overwritten, not added to).
/// \throws ValueError when `shape` is not valid (ConvShape::validate).
template <class Scalar>
void backward(const ConvShape& shape, const Scalar* weights, const Scalar* state,
              const Scalar* grad_out, Scalar* grad_weights, Scalar* grad_bias, Scalar* grad_state,
              Index batch, ScratchBuffer<Scalar>& scratch = thread_scratch<Scalar>()) {
  backward_weights(shape, state, grad_out, grad_weights, grad_bias, batch, scratch);
  if constexpr (simd::available<Scalar>) {
    detail::convolve(shape, detail::WeightView<Scalar>::transposed(shape, weights),
                     static_cast<const Scalar*>(nullptr), grad_out, grad_state, batch, false,
                     Activation::identity, scratch);
  } else {
    RowMatrixMap<Scalar>(grad_state, shape.state_size(), batch).setZero();
    backward_state(shape, weights, grad_out, grad_state, batch, scratch);
  }
}

}  // namespace wrnn::lanes

WRNN_KERNELS_END
