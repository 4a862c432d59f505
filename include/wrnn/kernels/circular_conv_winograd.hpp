/// \file
/// Winograd's F(4, 3) (winograd_f43.hpp) for the forward of the wave cell's k = 3 circular
/// convolution, states laid out sample by sample: half the multiply-adds of the direct kernel
/// (circular_conv_simd.hpp), for float on AVX-512 and AVX2 + FMA builds, with a different
/// rounding. Addressing: the lanes of a vector (16 on AVX-512, 8 on AVX2) run over as many tiles
/// of one ring, its units split into the tiles' four phases and merged back by the moves of
/// winograd_phases.hpp; the halo inputs d_0 and d_5 are the neighbouring tiles' phases moved by
/// one tile, the ring's wrap-around a broadcast of h[n-1] and h[0]; lanes past the last tile read
/// zeros and are never stored. Passes: each sample's rings are transformed into scratch
/// (V = B^T d), mixed point by point (M = U V, tile.hpp's add_products, U broadcast), transformed
/// back (y = A^T M), added to the addend and activated. From pack_channels (16) channels on, a
/// group of up to 8 samples is packed into one row per point and channel, each sample
/// Tiles::width floats after the one before, so that the mixing (lane-wise) skips the lanes a
/// ring leaves empty (n = 100: 13 vectors for 8 samples instead of 16). The mixing's sums run in
/// the same order in every lane: a sample's result never depends on its batch or group.
#pragma once

#include <algorithm>

#include "wrnn/core/activation.hpp"
#include "wrnn/kernels/conv_shape.hpp"
#include "wrnn/kernels/scratch_buffer.hpp"
#include "wrnn/kernels/tile.hpp"
#include "wrnn/kernels/winograd_f43.hpp"
#include "wrnn/kernels/winograd_phases.hpp"

/// Winograd F(4, 3) forward for states laid out sample by sample (circular_conv_winograd.hpp);
/// circular_conv.hpp chooses it for float where applies() holds.
namespace wrnn::winograd {

/// True where this file's kernels are compiled in: AVX-512 builds, and AVX2 builds with FMA
/// (winograd_phases.hpp). Elsewhere circular_conv.hpp keeps the direct kernel for every shape.
inline constexpr bool compiled = WRNN_WINOGRAD_COMPILED == 1;

/// Fewest channels from which the forward is faster than the direct kernel's (bench_kernels
/// BM_CrossoverForward; docs/kernels.md): 6 with the 16 tiles of an AVX-512 vector, 8 with the 8
/// of an AVX2 one.
inline constexpr Index min_channels = WRNN_WINOGRAD_LANES >= 16 ? 6 : 8;

/// Whether circular_conv.hpp sends `shape` here (float only): k = 3, n a multiple of the tile.
inline bool applies(const ConvShape& shape) {
  return compiled && shape.kernel_size == 3 && shape.ring_size > 0 && shape.ring_size % 4 == 0 &&
         shape.channels >= min_channels;
}

// The kernels, declared here for every build so that circular_conv.hpp can name them inside
// `if constexpr (compiled)`; defined below only where they are compiled.

/// Scalars of scratch the kernels below need for `shape`.
inline Index scratch_size(const ConvShape& shape);
/// inout (C*n x B) <- act(inout + b_u + u (*) state). bias may be null. state and inout must not
/// overlap.
inline void forward_activation(const ConvShape& shape, const float* weights, const float* bias,
                               const float* state, float* inout, Index batch, Activation activation,
                               ScratchBuffer<float>& scratch);
/// Scalars of the forward's transformed weights U_x[c][c'] = (G u[c][c'])_x: 6 C^2.
inline Index transformed_weights_size(const ConvShape& shape) {
  return winograd_f43::points * shape.channels * shape.channels;
}
/// transformed (transformed_weights_size floats) <- the forward's weights as forward_transformed
/// reads them.
inline void transform_forward_weights(const ConvShape& shape, const float* weights,
                                      float* transformed);
/// out (C*n x B) <- act(addend + b_u + u (*) state), from weights transform_forward_weights has
/// already transformed: for a caller whose weights stay fixed over many calls
/// (StreamingWaveCell), which so skips transforming them at every call. bias and addend may be
/// null. out may be addend itself (out accumulates) or state itself, in place: a sample's rings
/// are all transformed into scratch before any of its outputs is written. No other overlap.
inline void forward_transformed(const ConvShape& shape, const float* transformed, const float* bias,
                                const float* state, const float* addend, float* out, Index batch,
                                Activation activation, ScratchBuffer<float>& scratch);

#if WRNN_WINOGRAD_COMPILED

namespace detail {

using namespace phases;
using tile::round_up;
using tile::Traits;  // the register tiles (tile.hpp)
using winograd_f43::points;
using winograd_f43::tile_units;

// Fewest channels for which the forward packs a group's samples into the lanes a ring leaves
// empty (Tiles::width): below, the cache lines split by samples that start mid-vector cost
// about what the mixing's idle lanes do.
constexpr Index pack_channels = 16;

// Where one ring's tiles sit: T tiles in `vectors` vectors of `lanes`, `row` floats per point.
// From pack_channels channels on, they take only the first `width` (up to the last tile's lane),
// how far apart a group's samples sit in a packed row; otherwise width = row.
struct Tiles {
  Index ring_size, tiles, vectors, row, last_lanes, width;
  explicit Tiles(const ConvShape& shape)
      : ring_size(shape.ring_size),
        tiles(shape.ring_size / tile_units),
        vectors((tiles + lanes - 1) / lanes),
        row(vectors * lanes),
        last_lanes(tiles - (vectors - 1) * lanes),
        width(shape.channels >= pack_channels ? (vectors - 1) * lanes + last_lane_end(last_lanes)
                                              : row) {}
  // One past the highest lane that the first `count` tiles of a vector take.
  static Index last_lane_end(Index count) {
    Index end = 0;
    for (Index t = 0; t < count; ++t) end = std::max(end, tile_lane(t) + 1);
    return end;
  }
  // Floats of a row that packs `samples` samples `width` apart: the last one's full vectors
  // too, rounded up to whole vectors.
  Index packed_row(Index samples) const { return round_up((samples - 1) * width + row, lanes); }
  // Whole vectors that cover `samples` packed samples' tiles.
  Index packed_vectors(Index samples) const { return (samples * width + lanes - 1) / lanes; }
};

// How many lanes of a vector starting at index `first` lie before `end`.
inline Index lanes_before(Index first, Index end) {
  return std::clamp<Index>(end - first, 0, lanes);
}

// Phases of the units [v block_units, (v + 1) block_units) of a ring: phase[p] lane
// tile_lane(t) = ring[v block_units + 4 t + p], zero past the ring's end.
struct Phases {
  Vector phase[tile_units];
};

inline Phases split_ring(const float* ring, Index v, Index n) {
  const Index first = v * block_units;
  Vector units[tile_units];
  for (Index k = 0; k < tile_units; ++k) {
    const Index unit = first + k * lanes;
    units[k] = unit + lanes <= n ? Vector::load_unaligned(ring + unit)
                                 : load_first(ring + unit, lanes_before(unit, n));
  }
  Phases p;
  split_phases(units, p.phase);
  return p;
}

// Scratch layout, in floats (each part aligned to the vector):
//   weights  U[6][C][C], transformed at each call (forward_activation)
//   input    a group's transformed rings V[6][C][row], packed (Tiles::packed_row)
//   mixed    one channel block's mixed points M[6][Traits::output_channels][row]
struct Scratch {
  Index group, row, weights, input, mixed, total;
  Scratch(const ConvShape& shape, const Tiles& tiles) {
    const Index C = shape.channels;
    // A group's transformed rings within about 256 KiB (of a 1 MiB or 512 KiB L2), at most 8
    // samples, and more than one only where they are packed: elsewhere (a ring's tiles fill
    // their vectors, as at n = 256, or fewer than pack_channels channels) one sample at a time,
    // which keeps its rows in L1.
    const Index sample_bytes = points * C * tiles.row * Index(sizeof(float));
    group =
        tiles.width < tiles.row ? std::max<Index>(1, std::min<Index>(8, 262144 / sample_bytes)) : 1;
    row = tiles.packed_row(group);
    weights = 0;
    input = weights + round_up(points * C * C, lanes);
    mixed = input + round_up(points * C * row, lanes);
    total = mixed + round_up(points * Traits::output_channels * row, lanes);
  }
};

// Transforms the C rings of one sample, V_x = (B^T d)_x for every channel c and vector of tiles
// v, into rows: point x of channel c at input + (x * C + c) * row. It writes whole vectors, so
// the samples packed into one row (Tiles::width apart) must be transformed first to last: each
// sample overwrites the empty lanes its predecessor wrote past its width.
inline void transform_rings(const Tiles& tiles, Index channels, const float* rings, float* input,
                            Index row) {
  const Index n = tiles.ring_size, last = tiles.vectors - 1, point_stride = channels * row;
  // In a last vector that is not full, the tile after the last tile must hold h[0] for that
  // tile's d_5.
  const bool partial = tiles.last_lanes < lanes;
  const Index after_last = partial ? tile_lane(tiles.last_lanes) : 0;
  for (Index c = 0; c < channels; ++c) {
    const float* ring = rings + c * n;
    Phases current = split_ring(ring, 0, n);
    const Vector wrap_left(ring[n - 1]), wrap_right(ring[0]);
    Vector previous_phase3 = wrap_left;
    for (Index v = 0; v <= last; ++v) {
      Phases next = current;
      Vector next_phase0 = wrap_right;
      if (v < last) {
        next = split_ring(ring, v + 1, n);
        next_phase0 = next.phase[0];
      }
      Vector phase0 = current.phase[0];
      if (v == last && partial) phase0 = with_lane(phase0, after_last, ring[0]);
      const Vector d[points] = {from_previous_tile(current.phase[3], previous_phase3),
                                current.phase[0],
                                current.phase[1],
                                current.phase[2],
                                current.phase[3],
                                from_next_tile(phase0, next_phase0)};
      Vector V[points];
      winograd_f43::input_transform<float>(d, V);
      for (Index x = 0; x < points; ++x)
        V[x].store_unaligned(input + x * point_stride + c * row + v * lanes);
      previous_phase3 = current.phase[3];
      current = next;
    }
  }
}

// Zeros the floats [used, the next whole vector) of every point's and channel's row: the lanes
// past a group's last packed sample, which the mixing reads. It keeps stale scratch (NaN,
// subnormals) out of lanes the mixing computes and never stores.
inline void zero_packed_tail(float* input, Index channels, Index row, Index used) {
  const Index count = round_up(used, lanes) - used;
  if (count == 0) return;
  for (Index r = 0; r < points * channels; ++r)
    store_first(input + r * row + used, Vector(0.0f), count);
}

#if WRNN_WINOGRAD_LANES == 16

// Tap j of 16 consecutive channel pairs: lane l of the result = taps[3 l + j], from the three
// vectors holding taps[0, 48), by two two-source permutes (stride-3 de-interleave).
inline __m512 pair_taps(__m512 first, __m512 second, __m512 third, int j) {
  alignas(64) int from_first_two[16], from_third[16];
  for (int l = 0; l < 16; ++l) {
    const int index = 3 * l + j;  // into the 48 taps
    from_first_two[l] = index < 32 ? index : 0;
    from_third[l] = index < 32 ? l : 16 + (index - 32);
  }
  const __m512 low = _mm512_permutex2var_ps(first, _mm512_load_si512(from_first_two), second);
  return _mm512_permutex2var_ps(low, _mm512_load_si512(from_third), third);
}

// U[x][c][c'] = sum_j G[x][j] u[c][c'][j]. It runs on every call, batch 1 (the step) too, so 16
// channel pairs at a time, their taps de-interleaved from the [C][C][3] weights; the same
// rounding as winograd_f43::transform_taps.
inline void transform_weights(Index channels, const float* weights, float* out) {
  const Index pairs = channels * channels;
  for (Index first = 0; first < pairs; first += lanes) {
    const __mmask16 mask = first_lanes(lanes_before(first, pairs));
    __m512 block[3], tap[3];
    for (Index k = 0; k < 3; ++k)
      block[k] = _mm512_maskz_loadu_ps(first_lanes(lanes_before(3 * first + k * lanes, 3 * pairs)),
                                       weights + 3 * first + k * lanes);
    for (int j = 0; j < 3; ++j) tap[j] = pair_taps(block[0], block[1], block[2], j);
    for (Index x = 0; x < points; ++x) {
      const auto G = [x](int j) {
        return _mm512_set1_ps(float(winograd_f43::weight_transform[x][j]));
      };
      __m512 sum = _mm512_mul_ps(G(0), tap[0]);
      sum = _mm512_fmadd_ps(G(1), tap[1], sum);
      sum = _mm512_fmadd_ps(G(2), tap[2], sum);
      _mm512_mask_storeu_ps(out + x * pairs + first, mask, sum);
    }
  }
}

#else  // AVX2

// U[x][c][c'] = sum_j G[x][j] u[c][c'][j], one pair at a time: it is O(C^2), next to the
// mixing's O(C^2 n) per sample, so not worth the AVX-512 version's shuffles.
inline void transform_weights(Index channels, const float* weights, float* out) {
  const Index pairs = channels * channels;
  for (Index pair = 0; pair < pairs; ++pair) {
    const float u[3] = {weights[3 * pair], weights[3 * pair + 1], weights[3 * pair + 2]};
    winograd_f43::transform_taps(u, out + pair, pairs);
  }
}

#endif

// One mixing tile at one transform point: Channels output channels x Vectors vectors of tiles,
//   mixed[c][v] = sum_{c'} weights[c][c'] * input[c'][v]
// `weights` at output channel c0 (rows of C), `input` at vector v0 of channel 0, `mixed` at
// vector v0 of c0, rows `row` apart.
template <int Channels, int Vectors>
inline void mix_tile(const float* weights, Index channels, const float* input, float* mixed,
                     Index row) {
  Vector acc[std::size_t{Channels}][1][std::size_t{Vectors}];
  for (int c = 0; c < Channels; ++c)
    for (int v = 0; v < Vectors; ++v) acc[c][0][v] = Vector(0.0f);
  tile::add_products<1>(acc, channels, 1, weights, 1, 0, channels,
                        [&](Index i, Index) { return input + i * row; });
  for (int c = 0; c < Channels; ++c)
    for (int v = 0; v < Vectors; ++v) acc[c][0][v].store_aligned(mixed + c * row + v * lanes);
}

// mixed[c][column] = sum_{c'} weights[c][c'] * input[c'][column] over `vectors` vectors of
// columns, in the widest tiles that fit.
template <int Channels>
inline void mix_columns(const float* weights, Index channels, const float* input, float* mixed,
                        Index row, Index vectors) {
  Index v = 0;
  for (; v + Traits::mix_vectors <= vectors; v += Traits::mix_vectors)
    mix_tile<Channels, Traits::mix_vectors>(weights, channels, input + v * lanes, mixed + v * lanes,
                                            row);
  if constexpr (Traits::mix_vectors > 2)
    for (; v + 2 <= vectors; v += 2)
      mix_tile<Channels, 2>(weights, channels, input + v * lanes, mixed + v * lanes, row);
  for (; v < vectors; ++v)
    mix_tile<Channels, 1>(weights, channels, input + v * lanes, mixed + v * lanes, row);
}

// out[c] = act(addend[c] + A^T M[c] + bias[c]) for the channels [c0, c0 + count) of one sample,
// from their mixed points mixed[x * point_stride + (c - c0) * row + column] (the sample's
// columns of a packed row; any alignment). addend (out's layout) may be out itself or null.
inline void store_outputs(const Tiles& tiles, const float* mixed, Index count, Index point_stride,
                          Index row, const float* bias, const float* addend, float* out,
                          Activation activation) {
  const Index n = tiles.ring_size;
  const Vector zero(0.0f);
  for (Index c = 0; c < count; ++c) {
    const Vector b(bias ? bias[c] : 0.0f);
    float* ring = out + c * n;
    const float* added = addend ? addend + c * n : nullptr;
    for (Index v = 0; v < tiles.vectors; ++v) {
      const float* m = mixed + c * row + v * lanes;
      Vector M[points], phase[tile_units], units[tile_units];
      for (Index x = 0; x < points; ++x) M[x] = Vector::load_unaligned(m + x * point_stride);
      winograd_f43::output_transform<float>(M, b, phase);
      merge_phases(phase, units);
      for (Index k = 0; k < tile_units; ++k) {
        const Index first = v * block_units + k * lanes;
        if (first >= n) break;
        // Whole vectors with plain loads and stores: a later load of a masked store cannot be
        // forwarded from it and waits for it to reach the cache (the streaming step's copy of
        // the new state reads these at once).
        const bool whole = first + lanes <= n;
        const Index inside = lanes_before(first, n);
        Vector value = units[k];
        if (added)
          value =
              (whole ? Vector::load_unaligned(added + first) : load_first(added + first, inside)) +
              value;
        if (activation == Activation::relu) value = xsimd::max(value, zero);
        if (whole)
          value.store_unaligned(ring + first);
        else
          store_first(ring + first, value, inside);
      }
    }
    if (activation == Activation::tanh) tile::tanh_in_place<Eigen::Dynamic>(ring, n);
  }
}

// The forward of `batch` samples of `rings` into `out` with transformed weights U[6][C][C]
// (null: `weights` transformed here into scratch), a group of samples at a time: a group's
// rings are all transformed before any of its outputs is written, so out may be rings itself.
inline void forward_batch(const ConvShape& shape, const float* transformed, const float* weights,
                          const float* rings, const float* bias, const float* addend, float* out,
                          Index batch, Activation activation, ScratchBuffer<float>& scratch) {
  shape.validate();
  const Tiles tiles(shape);
  const Scratch parts(shape, tiles);
  float* base = scratch.data(parts.total);
  const Index C = shape.channels, n = shape.ring_size, size = shape.state_size(), row = parts.row;
  if (!transformed) {
    transform_weights(C, weights, base + parts.weights);
    transformed = base + parts.weights;
  }
  float* input = base + parts.input;
  float* mixed = base + parts.mixed;
  for (Index first = 0; first < batch; first += parts.group) {
    const Index samples = std::min(parts.group, batch - first);
    for (Index s = 0; s < samples; ++s)
      transform_rings(tiles, C, rings + (first + s) * size, input + s * tiles.width, row);
    zero_packed_tail(input, C, row, samples * tiles.width);
    const Index vectors = tiles.packed_vectors(samples);
    for (Index c0 = 0; c0 < C; c0 += Traits::output_channels) {
      const Index count = std::min<Index>(Traits::output_channels, C - c0);
      tile::with_constant<Traits::output_channels>(count, [&](auto block) {
        for (Index x = 0; x < points; ++x)
          mix_columns<decltype(block)::value>(
              transformed + (x * C + c0) * C, C, input + x * C * row,
              mixed + x * Traits::output_channels * row, row, vectors);
      });
      for (Index s = 0; s < samples; ++s) {
        const Index offset = (first + s) * size + c0 * n;
        store_outputs(tiles, mixed + s * tiles.width, count, Traits::output_channels * row, row,
                      bias ? bias + c0 : nullptr, addend ? addend + offset : nullptr, out + offset,
                      activation);
      }
    }
  }
}

}  // namespace detail

inline Index scratch_size(const ConvShape& shape) {
  const detail::Tiles tiles(shape);
  return detail::Scratch(shape, tiles).total;
}

inline void forward_activation(const ConvShape& shape, const float* weights, const float* bias,
                               const float* state, float* inout, Index batch, Activation activation,
                               ScratchBuffer<float>& scratch) {
  detail::forward_batch(shape, nullptr, weights, state, bias, inout, inout, batch, activation,
                        scratch);
}

inline void transform_forward_weights(const ConvShape& shape, const float* weights,
                                      float* transformed) {
  detail::transform_weights(shape.channels, weights, transformed);
}

inline void forward_transformed(const ConvShape& shape, const float* transformed, const float* bias,
                                const float* state, const float* addend, float* out, Index batch,
                                Activation activation, ScratchBuffer<float>& scratch) {
  detail::forward_batch(shape, transformed, nullptr, state, bias, addend, out, batch, activation,
                        scratch);
}

#endif  // WRNN_WINOGRAD_COMPILED

}  // namespace wrnn::winograd
