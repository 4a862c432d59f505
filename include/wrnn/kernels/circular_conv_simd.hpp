/// \file
/// The direct circular convolution for states laid out sample by sample ((C*n) x B
/// column-major), forward with a fused bias + activation epilogue: what the wave cell's
/// single-sample step runs (WaveCell::step, StreamingWaveCell, a stepper's one-agent chunks). It
/// computes exactly what circular_conv_reference.hpp defines, only faster:
///
///     out[c][i] = act(out[c][i] + b_u[c] + sum_{c', j} u[c][c'][j] * h[c'][(i + j - r) mod n])
///
/// Addressing, a padded ring: each sample's C rings are copied into padded rows
/// [h[n-r..n) | h[0..n) | h[0..r)], so tap j of output unit i reads padded[i + j] without a
/// modulo (C*n moves against C*C*k*n multiply-adds). Pass: vectorised over the units of one
/// sample (one sample runs at a large batch's speed per sample, and its result never depends on
/// the batch), in register tiles of output channels x vectors of units (TileTraits), each input
/// channel and tap one rank-one update (tile.hpp's add_products). Scratch: two samples' padded
/// rows (circular_conv_scratch_size<Scalar>(shape) scalars).
#pragma once

#include <algorithm>

#include "wrnn/core/activation.hpp"
#include "wrnn/kernels/conv_shape.hpp"
#include "wrnn/kernels/scratch_buffer.hpp"
#include "wrnn/kernels/tile.hpp"

WRNN_KERNELS_BEGIN

/// The direct forward for states laid out sample by sample (circular_conv_simd.hpp).
namespace wrnn::simd {

namespace detail {

using tile::Batch;
using tile::lanes;

// Where one sample's rings sit in scratch. Every stride is a multiple of the SIMD width, so
// every row starts on a SIMD-aligned address (the scratch block is 64-byte aligned).
template <class Scalar>
struct RingLayout {
  Index ring_size = 0;      // n
  Index halo = 0;           // r = k/2 wrapped units copied on each side
  Index full_vectors = 0;   // n / W whole SIMD vectors of units
  Index vectors = 0;        // ceil(n / W), the last one possibly partial
  Index lead = 0;           // round_up(r, W): unit 0 sits here, so the ring's copy is aligned
  Index row_start = 0;      // lead - r: where the padded ring [h[n-r..n) | h | h[0..r)] starts
  Index padded_stride = 0;  // >= lead + vectors*W + r: row of the padded ring

  explicit RingLayout(const ConvShape& shape)
      : ring_size(shape.ring_size),
        halo(shape.half_width()),
        full_vectors(shape.ring_size / lanes<Scalar>),
        vectors((shape.ring_size + lanes<Scalar> - 1) / lanes<Scalar>),
        lead(tile::round_up(halo, lanes<Scalar>)),
        row_start(lead - halo),
        padded_stride(tile::round_up(lead + vectors * lanes<Scalar> + halo, lanes<Scalar>)) {
    shape.validate();  // r <= n, odd k, positive sizes: what the padding relies on
  }
};

// The lane numbers 0, 1, ..., W-1 as a vector, to mask the first or last lanes of a vector that
// overlaps the end of a ring (a constant table: building it on the stack would be a vector load
// from scalar stores still in flight).
template <class Scalar>
inline Batch<Scalar> lane_numbers() {
  static constexpr Scalar table[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  static_assert(lanes<Scalar> <= 16, "lane_numbers' table covers 16 lanes");
  return Batch<Scalar>::load_unaligned(table);
}

// Copies the C rings of one sample into padded rows and returns where padded ring 0 starts:
// row c from there on = [h[n-r..n) | h[0..n) | h[0..r) | 0 ...] (r <= n by
// ConvShape::validate), rows padded_stride apart. What lies past unit lead + n + r is written
// only where the tiles read it, into the thrown-away lanes of a ring that is not a whole number
// of vectors copied unit by unit: zeros there, since a stale NaN in a lane that tanh sees would
// reach xsimd's exp, whose conversion of NaN to an integer is undefined. Unit 0 sits at the aligned
// offset `lead`, so the n-unit copy is made of aligned stores (an unaligned 64-byte store splits
// two lines). A ring of at least W units (every paper shape) is copied with whole vectors only: its
// last, partial vector as the ring's last W units stored over the previous vector's end, the left
// halo as that same vector stored so it ends at unit 0 (its first W - r lanes land ahead of
// the row start, where nothing reads), the right halo as the ring's first W units with the
// lanes past r set to zero.
template <class Scalar>
Scalar* pad_rings(const RingLayout<Scalar>& layout, Index channels, const Scalar* rings,
                  Scalar* padded) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index n = layout.ring_size, r = layout.halo, lead = layout.lead;
  const bool whole_vectors = n >= W && r <= W;  // then lead == W whenever r > 0
  for (Index c = 0; c < channels; ++c) {
    const Scalar* source = rings + c * n;
    Scalar* row = padded + c * layout.padded_stride;
    Index i = 0;
    for (; i + W <= n; i += W) B::load_unaligned(source + i).store_aligned(row + lead + i);
    if (whole_vectors) {
      const B last = B::load_unaligned(source + n - W);
      if (i < n) last.store_unaligned(row + lead + n - W);
      if (r > 0) {
        last.store_aligned(row + lead - W);
        xsimd::select(lane_numbers<Scalar>() < B(Scalar(r)), B::load_unaligned(source),
                      B(Scalar(0)))
            .store_unaligned(row + lead + n);
      }
      continue;
    }
    for (; i < n; ++i) row[lead + i] = source[i];
    for (Index j = 0; j < r; ++j) {
      row[lead - r + j] = source[n - r + j];
      row[lead + n + j] = source[j];
    }
    std::fill(row + lead + n + r, row + layout.padded_stride, Scalar(0));
  }
  return padded + layout.row_start;
}

// Runs compute(b, padded rows of sample b) for the samples [first, end) of `rings` (samples
// C*n apart), padding sample b + 1 into the other of two buffers (each C * padded_stride)
// before sample b is computed. The tiles' unaligned loads then read rows stored a whole sample
// earlier: a load that spans two stores still in flight cannot be forwarded from them and
// waits until both have reached the cache.
template <class Scalar, class Compute>
void for_each_padded_sample(const RingLayout<Scalar>& layout, Index channels, const Scalar* rings,
                            Index first, Index end, Scalar* buffers, Compute&& compute) {
  if (first >= end) return;
  const Index size = channels * layout.ring_size, buffer = channels * layout.padded_stride;
  const Scalar* rows = pad_rings(layout, channels, rings + first * size, buffers);
  for (Index b = first; b < end; ++b) {
    const Scalar* next = rows;
    if (b + 1 < end)
      next = pad_rings(layout, channels, rings + (b + 1) * size,
                       buffers + ((b + 1 - first) % 2) * buffer);
    compute(b, rows);
    rows = next;
  }
}

// One forward tile: Channels output channels x Vectors SIMD vectors of units,
//   out[c][v] = act(out[c][v] + bias[c] + sum_{c', j} weights[c][c'][j] * padded[c'][v*W + j])
// `padded` points at unit i0 of input channel 0, `weights` at output channel c0 (row length C*k),
// `out` at unit i0 of output channel c0 (rows out_stride apart).
template <class Scalar, int Channels, int Vectors>
inline void forward_tile(const Scalar* padded, Index padded_stride, Index channels,
                         Index kernel_size, const Scalar* weights, const Scalar* bias, Scalar* out,
                         Index out_stride, Activation activation) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index weight_row = channels * kernel_size;
  B acc[std::size_t{Channels}][1][std::size_t{Vectors}];
  for (int c = 0; c < Channels; ++c) {
    const B start = bias ? B(bias[c]) : B(Scalar(0));
    for (int v = 0; v < Vectors; ++v)
      acc[c][0][v] = B::load_unaligned(out + c * out_stride + v * W) + start;
  }
  tile::add_products<0>(acc, channels, kernel_size, weights, kernel_size, 1, weight_row,
                        [&](Index input, Index p) { return padded + input * padded_stride + p; });
  for (int c = 0; c < Channels; ++c)
    tile::store_activated(activation, acc[c][0], out + c * out_stride);
}

// All units of Channels output channels of one sample: whole tiles, plus the ring's partial
// last vector. Where the ring has a whole vector (n >= W) that last vector is the ring's last W
// units, computed first into a small stack tile (from out's old values: the tiles below
// overwrite them) and stored over the end of the ring afterwards; the units it shares with
// the last whole vector get the same value bit for bit (each lane's arithmetic is the same).
// A ring shorter than a vector is computed in a stack copy of the output and written back unit
// by unit.
template <class Scalar, int Channels>
void forward_channel_block(const RingLayout<Scalar>& layout, const Scalar* padded, Index channels,
                           Index kernel_size, const Scalar* weights, const Scalar* bias,
                           Scalar* out, Activation activation) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  constexpr int V = tile::Traits::ring_vectors;
  const Index n = layout.ring_size, stride = layout.padded_stride;
  const Index done = layout.full_vectors * W, rest = n - done;
  auto tiles = [&](auto vectors, Index v, Scalar* target, Index target_stride) {
    forward_tile<Scalar, Channels, decltype(vectors)::value>(padded + v, stride, channels,
                                                             kernel_size, weights, bias, target,
                                                             target_stride, activation);
  };
  alignas(64) Scalar tail[std::size_t{Channels * W}];
  const bool overlapping_tail = rest > 0 && layout.full_vectors > 0;
  if (overlapping_tail) {
    for (int c = 0; c < Channels; ++c)
      B::load_unaligned(out + c * n + n - W).store_aligned(tail + c * W);
    tiles(std::integral_constant<int, 1>{}, n - W, tail, W);
  } else if (rest > 0) {
    std::fill(tail, tail + Channels * W, Scalar(0));
    for (int c = 0; c < Channels; ++c)
      for (Index i = 0; i < rest; ++i) tail[c * W + i] = out[c * n + done + i];
    tiles(std::integral_constant<int, 1>{}, done, tail, W);
  }
  Index v = 0;
  for (; v + V <= layout.full_vectors; v += V)
    tiles(std::integral_constant<int, V>{}, v * W, out + v * W, n);
  if constexpr (V > 2)
    for (; v + 2 <= layout.full_vectors; v += 2)
      tiles(std::integral_constant<int, 2>{}, v * W, out + v * W, n);
  for (; v < layout.full_vectors; ++v)
    tiles(std::integral_constant<int, 1>{}, v * W, out + v * W, n);
  if (overlapping_tail) {
    for (int c = 0; c < Channels; ++c)
      B::load_aligned(tail + c * W).store_unaligned(out + c * n + n - W);
  } else if (rest > 0) {
    for (int c = 0; c < Channels; ++c)
      for (Index i = 0; i < rest; ++i) out[c * n + done + i] = tail[c * W + i];
  }
}

// One sample, every output channel: blocks of TileTraits::output_channels, then the remainder.
template <class Scalar>
void forward_sample(const RingLayout<Scalar>& layout, const Scalar* padded, Index channels,
                    Index kernel_size, const Scalar* weights, const Scalar* bias, Scalar* out,
                    Activation activation) {
  constexpr int block = tile::Traits::output_channels;
  const Index n = layout.ring_size, weight_row = channels * kernel_size;
  for (Index c0 = 0; c0 < channels; c0 += block)
    tile::with_constant<block>(std::min<Index>(block, channels - c0), [&](auto count) {
      forward_channel_block<Scalar, decltype(count)::value>(
          layout, padded, channels, kernel_size, weights + c0 * weight_row,
          bias ? bias + c0 : nullptr, out + c0 * n, activation);
    });
}

}  // namespace detail

/// Scalars of scratch the forward needs for `shape`: two samples' padded rows.
template <class Scalar>
Index circular_conv_scratch_size(const ConvShape& shape) {
  return 2 * shape.channels * detail::RingLayout<Scalar>(shape).padded_stride;
}

/// inout (C*n x B) <- act(inout + b_u + u (*) state). bias may be null (no bias).
/// `state` and `inout` must not overlap.
template <class Scalar>
void circular_conv_forward_activation(const ConvShape& shape, const Scalar* weights,
                                      const Scalar* bias, const Scalar* state, Scalar* inout,
                                      Index batch, Activation activation,
                                      ScratchBuffer<Scalar>& scratch) {
  const detail::RingLayout<Scalar> layout(shape);
  const Index C = shape.channels, size = shape.state_size();
  Scalar* padded = scratch.data(simd::circular_conv_scratch_size<Scalar>(shape));
  detail::for_each_padded_sample(
      layout, C, state, 0, batch, padded, [&](Index b, const Scalar* rows) {
        detail::forward_sample(layout, rows, C, shape.kernel_size, weights, bias, inout + b * size,
                               activation);
      });
}

}  // namespace wrnn::simd

WRNN_KERNELS_END
