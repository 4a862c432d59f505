/// \file
/// Hand-written xsimd circular convolution for states laid out sample by sample ((C*n) x B
/// column-major): forward (with a fused bias + activation epilogue), backward to the state, and
/// backward to the weights and bias. They compute exactly what circular_conv_reference.hpp
/// defines (same layout, same equations), only faster:
///
///     forward:        out[c][i]   (+)= b_u[c] + sum_{c', j} u[c][c'][j] * h[c'][(i + j - r) mod n]
///     backward state: grad_h[c'][m] += sum_{c, j} u[c][c'][j] * g[c][(m - j + r) mod n]
///     backward u, b:  grad_u[c][c'][j] += sum_{b, i} g[c][i] * h[c'][(i + j - r) mod n]
///                     grad_b[c]        += sum_{b, i} g[c][i]
///
/// How (see docs/kernels.md for the measurements):
///   - Vectorised over the ring units i of one sample, so one sample (the streaming case) runs
///     at the same speed per sample as a large batch, and the result for a sample never depends
///     on the batch it came in.
///   - Wrap-around without a modulo: each sample's C input rings are first copied into padded
///     rows [h[n-r..n) | h[0..n) | h[0..r) | zeros], so tap j of output unit i reads
///     padded[i + j] for every i, and the last, partial SIMD vector reads zeros instead of
///     running off the ring. The copy costs C*n moves against C*C*k*n multiply-adds.
///   - Register blocking: the forward keeps a tile of (output channels x SIMD vectors of units)
///     accumulators in registers; every input vector loaded feeds one FMA per output channel of
///     the tile and every broadcast weight feeds one FMA per vector, so loads per FMA are
///     1/4 + 1/V.
///   - The backward to the state is a forward convolution with transposed, tap-reversed weights,
///     u'[c'][c][k-1-j] = u[c][c'][j], applied to the padded output gradient (substitute
///     j' = k-1-j: (m - j + r) = m + j' - r since k - 1 = 2r), so it reuses the forward tile.
///   - The backward to the weights is a reduction over units and samples: a tile of
///     (output channels x (input channel, tap) rows) keeps one SIMD accumulator each, and the
///     lanes are summed only once per call, at the end.
///
/// Scratch: the padded rows and small work arrays live in a ScratchBuffer (scratch_buffer.hpp)
/// of circular_conv_scratch_size<Scalar>(shape) scalars. The overloads without a scratch
/// argument use this thread's buffer, which allocates on the first call for the largest shape
/// seen and never again; a caller that must not allocate at all reserves its own buffer up front.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "wrnn/core/activation.hpp"
#include "wrnn/kernels/conv_shape.hpp"
#include "wrnn/kernels/scratch_buffer.hpp"
#include "wrnn/kernels/simd_target.hpp"

// GCC 12 reports the deliberately undefined registers of its own AVX-512 intrinsics
// (_mm512_undefined_ps, used by xsimd's max, hadd and exp) as "maybe uninitialized" wherever
// they are inlined; the warning is a false positive, silenced for the kernels only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace wrnn::simd {

namespace detail {

// Forward tile: forward_channels x forward_vectors accumulators, plus forward_vectors input
// vectors and one broadcast weight live at once (6x4 + 4 + 1 = 29 of 32; 6x2 + 2 + 1 = 15 of
// 16). Six channels cover the copy task's C = 6 in one block and leave small remainders.
inline constexpr int forward_channels = 6;
inline constexpr int forward_vectors = vector_registers >= 32 ? 4 : 2;

inline Index round_up(Index value, Index multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

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
        lead(round_up(halo, lanes<Scalar>)),
        row_start(lead - halo),
        padded_stride(round_up(lead + vectors * lanes<Scalar> + halo, lanes<Scalar>)) {
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
// ConvShape::validate), rows padded_stride apart. The zeros from unit lead + n + r on are the
// caller's to write (zero_padded_ends; pad_rings writes nothing but zeros there): the weight
// gradient's tiles read them, times zero gradients, up to the row's last whole vector; the
// forward tiles never read them except into the lanes of a ring shorter than one vector that
// are thrown away. Unit 0 sits at the aligned offset `lead`, so the n-unit copy is made of
// aligned stores (an unaligned 64-byte store splits two lines).
// A ring of at least W units (every paper shape) is copied with whole vectors only: its last,
// partial vector as the ring's last W units stored over the previous vector's end, the left
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
  }
  return padded + layout.row_start;
}

// Runs compute(b, padded rows of sample b) for the samples [first, end) of `rings` (samples
// C*n apart), padding sample b + 1 into the other of two buffers (each C * padded_stride)
// before sample b is computed. The tiles' unaligned loads then read rows stored a whole sample
// earlier: a load that spans two stores still in flight cannot be forwarded from them and
// waits until both have reached the cache. For forward tiles only: the rows' ends are not
// zeroed (see pad_rings).
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

template <class Scalar>
Batch<Scalar> activate(Activation activation, const Batch<Scalar>& z) {
  switch (activation) {
    case Activation::relu:
      return xsimd::max(z, Batch<Scalar>(Scalar(0)));
    case Activation::tanh:
      return xsimd::tanh(z);
    case Activation::identity:
      break;
  }
  return z;
}

// values[0, Count) <- tanh(values), Count a multiple of W. For float Eigen's vectorised tanh (a
// rational approximation), about twice as fast as xsimd's (exp and a blend of two branches);
// the tiles call it on rows they have just stored, still in L1. For double, xsimd's.
template <class Scalar, int Count>
void tanh_in_place(Scalar* values) {
  if constexpr (std::is_same<Scalar, float>::value) {
    Eigen::Map<Eigen::Array<Scalar, Count, 1>> row(values);
    row = row.tanh();
  } else {
    constexpr int W = static_cast<int>(lanes<Scalar>);
    for (int i = 0; i < Count; i += W)
      activate(Activation::tanh, Batch<Scalar>::load_unaligned(values + i))
          .store_unaligned(values + i);
  }
}

// row[0, Vectors * W) <- act(values): ReLU and identity in registers, tanh on the stored row
// (tanh_in_place, the row still in L1). What every direct forward tile's epilogue does. Always
// inlined, the activation's branch outside the loop over vectors: a call of activate() per
// vector, which GCC keeps out of line (xsimd's tanh is in it), made the tile keep its
// accumulators on the stack and call the function 24 times a tile.
// Vectors is deduced from the array's type (see add_outer_product for the pragma).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
template <class Scalar, int Vectors>
[[gnu::always_inline]] inline void store_activated(Activation activation,
                                                   const Batch<Scalar> (&values)[Vectors],
                                                   Scalar* row) {
  constexpr Index W = lanes<Scalar>;
  if (activation == Activation::relu) {
    const Batch<Scalar> zero(Scalar(0));
    for (int v = 0; v < Vectors; ++v) xsimd::max(values[v], zero).store_unaligned(row + v * W);
    return;
  }
  for (int v = 0; v < Vectors; ++v) values[v].store_unaligned(row + v * W);
  if (activation == Activation::tanh) tanh_in_place<Scalar, Vectors * W>(row);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// One forward tile: Channels output channels x Vectors SIMD vectors of units.
//   out[c][v] = act(out[c][v] + bias[c] + sum_{c', j} weights[c][c'][j] * padded[c'][v*W + j])
// or, with accumulate false, the same without out's old value (out is only written).
// `padded` points at unit i0 of input channel 0, `weights` at output channel c0 (row length C*k),
// `out` at unit i0 of output channel c0 (rows out_stride apart).
template <class Scalar, int Channels, int Vectors>
inline void forward_tile(const Scalar* padded, Index padded_stride, Index channels,
                         Index kernel_size, const Scalar* weights, const Scalar* bias, Scalar* out,
                         Index out_stride, Activation activation, bool accumulate) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index weight_row = channels * kernel_size;
  B acc[std::size_t{Channels}][std::size_t{Vectors}];
  for (int c = 0; c < Channels; ++c) {
    // One expression per accumulator, as in the lanes tile (circular_conv_lanes.hpp, where it
    // pays; here the streaming step measured the same either way).
    const B start = bias ? B(bias[c]) : B(Scalar(0));
    for (int v = 0; v < Vectors; ++v)
      acc[c][v] = accumulate ? B::load_unaligned(out + c * out_stride + v * W) + start : start;
  }
  for (Index input = 0; input < channels; ++input) {
    const Scalar* row = padded + input * padded_stride;
    const Scalar* w = weights + input * kernel_size;
    for (Index j = 0; j < kernel_size; ++j) {
      B x[std::size_t{Vectors}];
      for (int v = 0; v < Vectors; ++v) x[v] = B::load_unaligned(row + j + v * W);
      for (int c = 0; c < Channels; ++c) {
        const B weight(w[c * weight_row + j]);
        for (int v = 0; v < Vectors; ++v) acc[c][v] = xsimd::fma(weight, x[v], acc[c][v]);
      }
    }
  }
  for (int c = 0; c < Channels; ++c) store_activated(activation, acc[c], out + c * out_stride);
}

// All units of Channels output channels of one sample: whole tiles, plus the ring's partial
// last vector. Where the ring has a whole vector (n >= W) that last vector is the ring's last W
// units, computed first into a small stack tile (from out's old values: the tiles below
// overwrite them) and stored over the end of the ring afterwards; the units it shares with
// the last whole vector get the same value bit for bit (each lane's arithmetic is the same).
// A ring shorter than a vector is computed in a stack copy of the output, with the padded
// input reading zeros past the ring, and written back unit by unit.
template <class Scalar, int Channels>
void forward_channel_block(const RingLayout<Scalar>& layout, const Scalar* padded, Index channels,
                           Index kernel_size, const Scalar* weights, const Scalar* bias,
                           Scalar* out, Activation activation, bool accumulate) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  constexpr int V = forward_vectors;
  const Index n = layout.ring_size, stride = layout.padded_stride;
  const Index done = layout.full_vectors * W, rest = n - done;
  alignas(64) Scalar tail[std::size_t{Channels * W}];
  const bool overlapping_tail = rest > 0 && layout.full_vectors > 0;
  if (overlapping_tail) {
    const Index last = n - W;
    if (accumulate)
      for (int c = 0; c < Channels; ++c)
        B::load_unaligned(out + c * n + last).store_aligned(tail + c * W);
    forward_tile<Scalar, Channels, 1>(padded + last, stride, channels, kernel_size, weights, bias,
                                      tail, W, activation, accumulate);
  }
  Index v = 0;
  for (; v + V <= layout.full_vectors; v += V)
    forward_tile<Scalar, Channels, V>(padded + v * W, stride, channels, kernel_size, weights, bias,
                                      out + v * W, n, activation, accumulate);
  if constexpr (V > 2)
    for (; v + 2 <= layout.full_vectors; v += 2)
      forward_tile<Scalar, Channels, 2>(padded + v * W, stride, channels, kernel_size, weights,
                                        bias, out + v * W, n, activation, accumulate);
  for (; v < layout.full_vectors; ++v)
    forward_tile<Scalar, Channels, 1>(padded + v * W, stride, channels, kernel_size, weights, bias,
                                      out + v * W, n, activation, accumulate);
  if (overlapping_tail) {
    for (int c = 0; c < Channels; ++c)
      B::load_aligned(tail + c * W).store_unaligned(out + c * n + n - W);
  } else if (rest > 0) {
    std::fill(tail, tail + Channels * W, Scalar(0));
    if (accumulate)
      for (int c = 0; c < Channels; ++c)
        for (Index i = 0; i < rest; ++i) tail[c * W + i] = out[c * n + done + i];
    forward_tile<Scalar, Channels, 1>(padded + done, stride, channels, kernel_size, weights, bias,
                                      tail, W, activation, accumulate);
    for (int c = 0; c < Channels; ++c)
      for (Index i = 0; i < rest; ++i) out[c * n + done + i] = tail[c * W + i];
  }
}

// One sample, every output channel: blocks of forward_channels, then the remainder.
// accumulate: out = act(out + ...) if true, out = act(...) if false (see forward_tile).
template <class Scalar>
void forward_sample(const RingLayout<Scalar>& layout, const Scalar* padded, Index channels,
                    Index kernel_size, const Scalar* weights, const Scalar* bias, Scalar* out,
                    Activation activation, bool accumulate) {
  static_assert(forward_channels == 6, "the remainder switch below handles 1..5 channels");
  const Index n = layout.ring_size, weight_row = channels * kernel_size;
  Index c = 0;
  auto block_at = [&](auto block, Index first) {
    forward_channel_block<Scalar, decltype(block)::value>(
        layout, padded, channels, kernel_size, weights + first * weight_row,
        bias ? bias + first : nullptr, out + first * n, activation, accumulate);
  };
  for (; c + forward_channels <= channels; c += forward_channels)
    block_at(std::integral_constant<int, forward_channels>{}, c);
  switch (channels - c) {
    case 5:
      block_at(std::integral_constant<int, 5>{}, c);
      break;
    case 4:
      block_at(std::integral_constant<int, 4>{}, c);
      break;
    case 3:
      block_at(std::integral_constant<int, 3>{}, c);
      break;
    case 2:
      block_at(std::integral_constant<int, 2>{}, c);
      break;
    case 1:
      block_at(std::integral_constant<int, 1>{}, c);
      break;
    default:
      break;
  }
}

}  // namespace detail

/// Scalars of scratch any of the kernels below needs for `shape`.
template <class Scalar>
Index circular_conv_scratch_size(const ConvShape& shape) {
  const detail::RingLayout<Scalar> layout(shape);
  const Index C = shape.channels;
  return 2 * C * layout.padded_stride;  // two samples' rows (for_each_padded_sample)
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
                               activation, true);
      });
}

/// out (C*n x B) += b_u + u (*) state. bias may be null.
template <class Scalar>
void circular_conv_forward(const ConvShape& shape, const Scalar* weights, const Scalar* bias,
                           const Scalar* state, Scalar* out, Index batch,
                           ScratchBuffer<Scalar>& scratch) {
  simd::circular_conv_forward_activation(shape, weights, bias, state, out, batch,
                                         Activation::identity, scratch);
}

/// circular_conv_forward_activation on this thread's scratch buffer.
template <class Scalar>
void circular_conv_forward_activation(const ConvShape& shape, const Scalar* weights,
                                      const Scalar* bias, const Scalar* state, Scalar* inout,
                                      Index batch, Activation activation) {
  simd::circular_conv_forward_activation(shape, weights, bias, state, inout, batch, activation,
                                         thread_scratch<Scalar>());
}
/// circular_conv_forward on this thread's scratch buffer.
template <class Scalar>
void circular_conv_forward(const ConvShape& shape, const Scalar* weights, const Scalar* bias,
                           const Scalar* state, Scalar* out, Index batch) {
  simd::circular_conv_forward(shape, weights, bias, state, out, batch, thread_scratch<Scalar>());
}

}  // namespace wrnn::simd

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
