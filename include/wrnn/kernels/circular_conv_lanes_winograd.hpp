/// \file
/// Winograd's F(4, 3) (winograd_f43.hpp) for the circular convolution of states with the
/// samples in SIMD lanes (circular_conv_lanes.hpp): the three passes of k = 3 rings whose length
/// is a multiple of 4, from min_channels channels on, with about half the multiply-adds of the
/// direct tiles. Addressing, whole rows: a tile's inputs are 6 wrapped rows, its transforms plain
/// vector arithmetic. A pass transforms a tile or two of every input channel of one block of
/// samples into scratch (V), mixes them point by point (tile.hpp's add_products: 6 output
/// channels x tiles x vectors, U_x broadcast) and transforms each block of 6 output channels
/// back (y = A^T M): 1.5 C multiply-adds per output row, channel and vector, against 3 C in the
/// direct tiles. The backward to the state is the same with the transposed, tap-reversed
/// weights (WeightView). The weight gradient keeps its 6 C^2 sums dU (W lanes each) in scratch
/// between groups of up to 32 tiles, whose transformed inputs and gradients go to scratch first;
/// register tiles of channel pairs at one point load their sums once a group. Every lane does
/// the same operations, so a sample's result does not depend on its place in the batch.
#pragma once

#include <algorithm>

#include "wrnn/core/activation.hpp"
#include "wrnn/kernels/conv_shape.hpp"
#include "wrnn/kernels/tile.hpp"
#include "wrnn/kernels/winograd_f43.hpp"

WRNN_KERNELS_BEGIN

/// Winograd F(4, 3) passes for states with the samples in SIMD lanes
/// (circular_conv_lanes_winograd.hpp); lanes::forward_activation and lanes::backward choose them
/// for the shapes where applies() holds.
namespace wrnn::lanes::winograd {

using tile::Batch;
using tile::lanes;
using tile::multiply_add;
using winograd_f43::points;
using winograd_f43::tile_units;
using winograd_f43::weight_transform;

using tile::Traits;  // the register tiles (tile.hpp)

/// Fewest channels from which these kernels beat the direct tiles (bench_kernels,
/// BM_LanesCrossover*; docs/kernels.md).
constexpr Index min_channels = 8;

/// Whether these kernels serve `shape`: k = 3, n a multiple of 4, C >= min_channels.
inline bool applies(const ConvShape& shape) {
  return shape.kernel_size == 3 && shape.ring_size % tile_units == 0 &&
         shape.channels >= min_channels;
}

/// Scalars of scratch a pass needs (beside the 6 C^2 transformed weights): the transformed inputs
/// (6 x 2 tiles x C rows of up to 2 vectors) and the mixed points of a block of output channels
/// (6 x 6 x 2 x 2 vectors).
template <class Scalar>
Index pass_scratch_size(const ConvShape& shape) {
  const Index C = shape.channels, W = lanes<Scalar>;
  return points * Traits::mix_tiles * C * 2 * W +
         points * Traits::output_channels * Traits::mix_tiles * 2 * W;
}

/// U_x[c][c'] = (G u[c][c'])_x for the weights as `weight` views them, packed in the order the
/// mixing reads them: for each point x and each block of 6 output channels (from c0, `block`
/// wide), for each input channel c', the block's weights side by side, at
/// packed[x * C * C + c0 * C + c' * block + c].
template <class Scalar, class WeightView>
void transform_weights(const ConvShape& shape, const WeightView& weight, Scalar* packed) {
  const Index C = shape.channels;
  for (Index c0 = 0; c0 < C; c0 += Traits::output_channels) {
    const Index block = std::min<Index>(Traits::output_channels, C - c0);
    for (Index ci = 0; ci < C; ++ci)
      for (Index c = 0; c < block; ++c) {
        const Scalar u[3] = {weight(c0 + c, ci, 0), weight(c0 + c, ci, 1), weight(c0 + c, ci, 2)};
        winograd_f43::transform_taps(u, packed + c0 * C + ci * block + c, C * C);
      }
  }
}

/// V = B^T d for one vector, stored `stride` apart (point x at out + x * stride).
template <class Scalar>
[[gnu::always_inline]] inline void store_input_transform(const Batch<Scalar>* d, Scalar* out,
                                                         Index stride) {
  Batch<Scalar> V[points];
  winograd_f43::input_transform<Scalar>(d, V);
  for (Index x = 0; x < points; ++x) V[x].store_aligned(out + x * stride);
}

/// One mixing tile at point x: Channels output channels x Tiles tiles x Vectors vectors,
///   M[c][q][v] = sum_{c'} U_x[c][c'] V_x[q][c'][v]
/// `weights` at the block's packed U_x (rows of Channels per input channel), `inputs` at V_x of
/// tile 0, input channel 0 (tile q at + q * tile_stride, channel c' at + c' * Vectors * W);
/// stores M to `mixed` at + ((c * Tiles + q) * Vectors + v) * W.
template <class Scalar, int Channels, int Tiles, int Vectors>
void mix_tile(Index C, const Scalar* weights, const Scalar* inputs, Index tile_stride,
              Scalar* mixed) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  B acc[std::size_t{Channels}][std::size_t{Tiles}][std::size_t{Vectors}];
  for (int c = 0; c < Channels; ++c)
    for (int q = 0; q < Tiles; ++q)
      for (int v = 0; v < Vectors; ++v) acc[c][q][v] = B(Scalar(0));
  tile::add_products<1>(acc, C, 1, weights, Channels, 0, 1, [&](Index ci, Index q) {
    return inputs + q * tile_stride + ci * Vectors * W;
  });
  for (int c = 0; c < Channels; ++c)
    for (int q = 0; q < Tiles; ++q)
      for (int v = 0; v < Vectors; ++v)
        acc[c][q][v].store_aligned(mixed + ((c * Tiles + q) * Vectors + v) * W);
}

/// One pass: Tiles tiles from tile t0 of one block of Vectors vectors of samples (`in` and `out`
/// at the block's first sample; rows `stride` apart), every output channel:
///   out = act(out? + bias? + A^T [U . (B^T d)])
/// `transformed` is the packed U of transform_weights.
template <class Scalar, int Tiles, int Vectors>
void convolve_pass(const ConvShape& shape, const Scalar* transformed, const Scalar* bias,
                   const Scalar* in, Scalar* out, Index stride, Index t0, bool accumulate,
                   Activation activation, Scalar* scratch) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index C = shape.channels, n = shape.ring_size;
  // Transformed inputs: V_x[q][c'][v] at inputs + ((x * Tiles + q) * C + c') * Vectors * W.
  Scalar* inputs = scratch;
  Scalar* mixed = scratch + points * Traits::mix_tiles * C * 2 * W;
  const Index point_stride = Tiles * C * Vectors * W, tile_stride = C * Vectors * W;
  // The pass reads input rows t0 * 4 - 1 .. (t0 + Tiles) * 4 (wrapped): tile q's d_m is row
  // (t0 + q) * 4 - 1 + m, so neighbouring tiles share two.
  constexpr Index span = Tiles * tile_units + 2;
  Index row_offset[std::size_t{span}];
  for (Index m = 0; m < span; ++m) row_offset[m] = wrap_index(t0 * tile_units - 1 + m, n) * stride;
  for (Index ci = 0; ci < C; ++ci) {
    const Scalar* ring = in + ci * n * stride;
    for (int v = 0; v < Vectors; ++v) {
      B d[std::size_t{span}];
      for (Index m = 0; m < span; ++m) d[m] = B::load_unaligned(ring + row_offset[m] + v * W);
      for (int q = 0; q < Tiles; ++q)
        store_input_transform<Scalar>(
            d + q * tile_units, inputs + q * tile_stride + (ci * Vectors + v) * W, point_stride);
    }
  }
  const B zero(Scalar(0));
  for (Index c0 = 0; c0 < C; c0 += Traits::output_channels) {
    const Index block = std::min<Index>(Traits::output_channels, C - c0);
    for (Index x = 0; x < points; ++x) {
      const Scalar* weights = transformed + x * C * C + c0 * C;
      Scalar* mixed_x = mixed + x * Traits::output_channels * Tiles * Vectors * W;
      const Scalar* inputs_x = inputs + x * point_stride;
      tile::with_constant<Traits::output_channels>(block, [&](auto channels) {
        mix_tile<Scalar, decltype(channels)::value, Tiles, Vectors>(C, weights, inputs_x,
                                                                    tile_stride, mixed_x);
      });
    }
    // y = A^T M (+ bias), added to out where accumulating, activated, stored.
    for (Index c = 0; c < block; ++c) {
      const B b(bias ? bias[c0 + c] : Scalar(0));
      for (int q = 0; q < Tiles; ++q)
        for (int v = 0; v < Vectors; ++v) {
          B M[points], y[tile_units];
          for (Index x = 0; x < points; ++x)
            M[x] = B::load_aligned(mixed + x * Traits::output_channels * Tiles * Vectors * W +
                                   ((c * Tiles + q) * Vectors + v) * W);
          winograd_f43::output_transform<Scalar>(M, b, y);
          Scalar* target = out + ((c0 + c) * n + (t0 + q) * tile_units) * stride + v * W;
          B z[tile_units];
          for (Index i = 0; i < tile_units; ++i)
            z[i] = accumulate ? B::load_unaligned(target + i * stride) + y[i] : y[i];
          if (activation == Activation::relu)
            for (Index i = 0; i < tile_units; ++i) z[i] = xsimd::max(z[i], zero);
          for (Index i = 0; i < tile_units; ++i) z[i].store_unaligned(target + i * stride);
        }
    }
  }
  if (activation == Activation::tanh)
    for (Index c = 0; c < C; ++c)
      for (int q = 0; q < Tiles; ++q)
        for (Index i = 0; i < tile_units; ++i)
          tile::tanh_in_place<Vectors* static_cast<int>(W)>(
              out + (c * n + (t0 + q) * tile_units + i) * stride);
}

/// Every tile of one block of Vectors vectors of samples: pairs of tiles, then a last single one.
template <class Scalar, int Vectors>
void convolve_block(const ConvShape& shape, const Scalar* transformed, const Scalar* bias,
                    const Scalar* in, Scalar* out, Index stride, bool accumulate,
                    Activation activation, Scalar* scratch) {
  const Index tiles = shape.ring_size / tile_units;
  Index t = 0;
  for (; t + Traits::mix_tiles <= tiles; t += Traits::mix_tiles)
    convolve_pass<Scalar, Traits::mix_tiles, Vectors>(shape, transformed, bias, in, out, stride, t,
                                                      accumulate, activation, scratch);
  for (; t < tiles; ++t)
    convolve_pass<Scalar, 1, Vectors>(shape, transformed, bias, in, out, stride, t, accumulate,
                                      activation, scratch);
}

/// Tiles a weight-gradient group transforms at once.
constexpr Index group_tiles = 32;

/// Scalars of scratch the weight gradient needs: the sums dU (6 C^2 x W) and grad_b (C x W), and a
/// group's transformed inputs and gradients (2 x 6 x C x 4 tiles x 2 vectors x W).
template <class Scalar>
Index weight_scratch_size(const ConvShape& shape) {
  const Index C = shape.channels, W = lanes<Scalar>;
  return (points * C * C + C) * W + 2 * points * C * group_tiles * 2 * W;
}

/// sums[((x * C + c) * C + ci) * W ...] += sum over the group's K = tiles x vectors columns of
/// gradients[x][c][k] * inputs[x][ci][k], for Outputs output channels from c0 and Inputs input
/// channels from i0 (columns of K vectors: channel c at + c * K * W).
template <class Scalar, int Outputs, int Inputs>
void weight_tile(Index C, Index K, const Scalar* gradients, const Scalar* inputs, Scalar* sums,
                 Index c0, Index i0) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  B acc[std::size_t{Outputs}][std::size_t{Inputs}];
  for (int c = 0; c < Outputs; ++c)
    for (int i = 0; i < Inputs; ++i)
      acc[c][i] = B::load_aligned(sums + ((c0 + c) * C + i0 + i) * W);
  Index k = 0;
  do {  // K >= 1; a do-while for the reason mix_tile gives
    B g[std::size_t{Outputs}];
    for (int c = 0; c < Outputs; ++c) g[c] = B::load_aligned(gradients + ((c0 + c) * K + k) * W);
    for (int i = 0; i < Inputs; ++i) {
      const B x = B::load_aligned(inputs + ((i0 + i) * K + k) * W);
      for (int c = 0; c < Outputs; ++c) acc[c][i] = multiply_add(g[c], x, acc[c][i]);
    }
  } while (++k < K);
  for (int c = 0; c < Outputs; ++c)
    for (int i = 0; i < Inputs; ++i) acc[c][i].store_aligned(sums + ((c0 + c) * C + i0 + i) * W);
}

/// Adds one block of Vectors vectors of samples (`state` and `grad` at its first sample, rows
/// `stride` apart) into the sums dU (sums) and grad_b (bias_sums, or null). `group` is scratch for
/// a group's transforms.
template <class Scalar, int Vectors>
void weight_sums_block(const ConvShape& shape, const Scalar* state, const Scalar* grad,
                       Index stride, Scalar* sums, Scalar* bias_sums, Scalar* group) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index C = shape.channels, n = shape.ring_size, tiles = n / tile_units;
  for (Index t0 = 0; t0 < tiles; t0 += group_tiles) {
    const Index count = std::min(group_tiles, tiles - t0), K = count * Vectors;
    // inputs[x][c][k], gradients[x][c][k], k = q * Vectors + v: point x at + x * C * K * W
    Scalar* inputs = group;
    Scalar* gradients = group + points * C * K * W;
    const Index point_stride = C * K * W;
    for (Index c = 0; c < C; ++c) {
      const Scalar* ring = state + c * n * stride;
      const Scalar* g_ring = grad + c * n * stride;
      B bias_sum = bias_sums ? B::load_aligned(bias_sums + c * W) : B(Scalar(0));
      for (Index q = 0; q < count; ++q)
        for (int v = 0; v < Vectors; ++v) {
          const Index first_row = (t0 + q) * tile_units, k = q * Vectors + v;
          B d[points], g[tile_units];
          for (Index m = 0; m < points; ++m)
            d[m] = B::load_unaligned(ring + wrap_index(first_row - 1 + m, n) * stride + v * W);
          store_input_transform<Scalar>(d, inputs + (c * K + k) * W, point_stride);
          for (Index i = 0; i < tile_units; ++i)
            g[i] = B::load_unaligned(g_ring + (first_row + i) * stride + v * W);
          B dM[points];
          winograd_f43::gradient_transform<Scalar>(g, dM);
          for (Index x = 0; x < points; ++x)
            dM[x].store_aligned(gradients + (c * K + k) * W + x * point_stride);
          bias_sum += dM[1];
        }
      if (bias_sums) bias_sum.store_aligned(bias_sums + c * W);
    }
    for (Index x = 0; x < points; ++x)
      for (Index c0 = 0; c0 < C; c0 += Traits::winograd_weight_outputs)
        for (Index i0 = 0; i0 < C; i0 += Traits::winograd_weight_inputs)
          tile::with_constant<Traits::winograd_weight_outputs>(
              std::min<Index>(Traits::winograd_weight_outputs, C - c0), [&](auto outputs) {
                tile::with_constant<Traits::winograd_weight_inputs>(
                    std::min<Index>(Traits::winograd_weight_inputs, C - i0),
                    [&](auto inputs_count) {
                      weight_tile<Scalar, decltype(outputs)::value, decltype(inputs_count)::value>(
                          C, K, gradients + x * point_stride, inputs + x * point_stride,
                          sums + x * C * C * W, c0, i0);
                    });
              });
  }
}

/// grad_u[c][c'][j] += sum_x G[x][j] dU_x[c][c'], each dU's lanes added up first.
template <class Scalar>
void add_weight_sums(const ConvShape& shape, const Scalar* sums, Scalar* grad_weights) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  const Index C = shape.channels;
  for (Index pair = 0; pair < C * C; ++pair) {
    Scalar dU[points];
    for (Index x = 0; x < points; ++x)
      dU[x] = xsimd::hadd(B::load_aligned(sums + (x * C * C + pair) * W));
    for (Index j = 0; j < 3; ++j) {
      Scalar sum(0);
      for (Index x = 0; x < points; ++x) sum += static_cast<Scalar>(weight_transform[x][j]) * dU[x];
      grad_weights[pair * 3 + j] += sum;
    }
  }
}

}  // namespace wrnn::lanes::winograd

WRNN_KERNELS_END
