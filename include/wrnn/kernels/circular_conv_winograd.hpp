// clang-format off
/// \file
/// Winograd's minimal filtering F(4, 3) for the wave cell's k = 3 circular convolution, states
/// laid out sample by sample: half the multiply-adds of the direct kernels
/// (circular_conv_simd.hpp), for float on AVX-512 and AVX2 + FMA builds. It computes what
/// circular_conv_reference.hpp defines, with a different rounding:
///
///     forward:        out[c][i]     (+)= b_u[c] + sum_{c', j} u[c][c'][j] * h[c'][(i + j - 1) mod n]
///     backward state: grad_h[c'][m]  += sum_{c, j} u[c][c'][j] * g[c][(m - j + 1) mod n]
///     backward u, b:  grad_u[c][c'][j] += sum_{b, i} g[c][i] * h[c'][(i + j - 1) mod n]
///                     grad_b[c]        += sum_{b, i} g[c][i]
///
/// The algorithm (Lavin & Gray 2016, "Fast algorithms for convolutional neural networks", in
/// 1-D). Cut each ring into T = n/4 tiles of 4 output units. Tile t reads the 6 inputs
/// d_m = h[4t - 1 + m], m = 0..5 (its 4 units and one halo unit on each side, wrapped), and
///
///     y_i = sum_j u_j d_{i+j}  (i = 0..3)   =   A^T [ (G u) . (B^T d) ]
///
/// with the interpolation points 0, 1, -1, 2, -2 and infinity:
///
///     B^T = | 4  0 -5  0  1  0 |     G = |  1/4     0     0  |    A^T = | 1  1  1  1  1  0 |
///           | 0 -4 -4  1  1  0 |         | -1/6  -1/6  -1/6  |          | 0  1 -1  2 -2  0 |
///           | 0  4 -4 -1  1  0 |         | -1/6   1/6  -1/6  |          | 0  1  1  4  4  0 |
///           | 0 -2 -1  2  1  0 |         |  1/24  1/12  1/6  |          | 0  1 -1  8 -8  1 |
///           | 0  2 -1 -2  1  0 |         |  1/24 -1/12  1/6  |
///           | 0  4  0 -5  0  1 |         |   0     0     1   |
///
/// The channel mixing happens between the transforms, point by point: with the transformed
/// input V_x[c'][t] = (B^T d[c'][t])_x and the transformed weights U_x[c][c'] = (G u[c][c'])_x,
///
///     M_x[c][t] = sum_{c'} U_x[c][c'] V_x[c'][t]     (x = 0..5: six C x C by C x T products)
///     y[c][tile t] = A^T M[c][t] + b_u[c]
///
/// so each output tile costs 6 C multiply-adds per channel instead of 12 C (direct: 4 units x 3
/// taps x C), plus the transforms, whose cost does not grow with C. That is why it pays only
/// from about six channels on (min_channels; measured in bench_kernels and docs/kernels.md).
///
/// The backward to the state is the same forward with u'[c'][c][j] = u[c][c'][2 - j] on the
/// output gradient (circular_conv_simd.hpp says why). The backward to the weights is the
/// transpose of the forward's chain:
///
///     dM_x[c][t] = (A g[c][tile t])_x,  dU_x[c][c'] = sum_{b,t} dM_x[c][t] V_x[c'][t],
///     grad_u[c][c'][j] += sum_x G[x][j] dU_x[c][c'],   grad_b[c] += sum_t dM_1[c][t]
///
/// (row 1 of A is all ones: dM_1 is the tile's sum of g).
///
/// How it is vectorised: the lanes of a vector (16 on AVX-512, 8 on AVX2) run over as many
/// tiles of one sample; the arithmetic is lane-wise xsimd, the moves between lanes and the fused
/// multiply-adds are in winograd_lanes.hpp. Splitting 4 x lanes consecutive units into the four
/// phases h[4t], h[4t+1], h[4t+2], h[4t+3] takes eight two-source permutes on AVX-512 and an
/// in-half 4 x 4 transpose on AVX2, which leaves the tiles in the lane order 0 2 4 6 1 3 5 7
/// (tile_lane; merging the four output phases back is the inverse); the halo inputs
/// d_0 = h[4t - 1] and d_5 = h[4t + 4] are the neighbouring tiles' phases moved by one tile
/// (from_previous_tile, from_next_tile), with the ring's wrap-around as a broadcast of h[n-1]
/// and h[0]. Lanes past the last tile (n = 100 has 25 tiles in two vectors of 16, or four of 8)
/// read zeros and are never stored. From pack_channels (16) channels on, where a ring leaves
/// such lanes, a group of up to 8 samples is packed into one row per point and channel, each
/// sample Tiles::width floats after the one before (25 at n = 100), so that the mixing and the
/// weight tiles, which are lane-wise and do not care which sample a lane holds, run over 13
/// vectors for 8 samples instead of 16. The forward and the backward to the state still compute
/// each sample on its own, as in the direct kernels: the mixing's sums over channels run in the
/// same order in every lane, so a sample's result never depends on its batch, its place in a
/// group or its thread.
// clang-format on
#pragma once

#include <algorithm>
#include <type_traits>

#include "wrnn/core/activation.hpp"
#include "wrnn/kernels/conv_shape.hpp"
#include "wrnn/kernels/scratch_buffer.hpp"
#include "wrnn/kernels/simd_target.hpp"
#include "wrnn/kernels/winograd_f43.hpp"
#include "wrnn/kernels/winograd_lanes.hpp"

#if WRNN_WINOGRAD_COMPILED
#include <Eigen/Core>
#include <cmath>
#endif

/// Winograd F(4, 3) kernels for states laid out sample by sample (circular_conv_winograd.hpp);
/// circular_conv.hpp chooses them for float where applies() holds.
namespace wrnn::winograd {

/// True where this file's kernels are compiled in: AVX-512 builds, and AVX2 builds with FMA
/// (winograd_lanes.hpp). Elsewhere circular_conv.hpp keeps the direct kernels for every shape.
inline constexpr bool compiled = WRNN_WINOGRAD_COMPILED == 1;

/// Fewest channels for which the Winograd kernels beat the direct ones in a training step (one
/// forward and one fused backward per step), one thread, batch 128 (bench_kernels'
/// BM_Crossover*; docs/kernels.md has the table). AVX-512: the pair is 10-13% ahead at C = 6
/// (n = 100 and 256) and 20-43% from C = 8 on; at C = 2 and 4 it is 5-7% behind at n = 256
/// (ahead at n = 100). AVX2 + FMA (n = 100 and 256, two different processors): C = 6 is even to
/// 7% behind; C = 8 between 4% behind and 22% ahead; C = 10 to 16 5-33% ahead; at C = 16 and 27
/// (the sMNIST and adding shapes) the pair takes 31-35% less time.
inline constexpr Index min_channels = WRNN_WINOGRAD_LANES >= 16 ? 6 : 8;

/// Whether circular_conv.hpp sends `shape` here (float only): k = 3, n a multiple of the tile.
inline bool applies(const ConvShape& shape) {
  return compiled && shape.kernel_size == 3 && shape.ring_size > 0 && shape.ring_size % 4 == 0 &&
         shape.channels >= min_channels;
}

// The kernels, declared here for every build so that circular_conv.hpp can name them inside
// `if constexpr (compiled)`; defined below only where they are compiled. Each
// does what the kernel of the same role in circular_conv.hpp documents, for float.

/// Scalars of scratch the kernels below need for `shape`.
inline Index scratch_size(const ConvShape& shape);
/// inout (C*n x B) <- act(inout + b_u + u (*) state). bias may be null. state and inout must not
/// overlap.
inline void forward_activation(const ConvShape& shape, const float* weights, const float* bias,
                               const float* state, float* inout, Index batch, Activation activation,
                               ScratchBuffer<float>& scratch);
/// Scalars of the forward's transformed weights U_x[c][c'] = (G u[c][c'])_x: 6 C^2.
inline Index transformed_weights_size(const ConvShape& shape) {
  return 6 * shape.channels * shape.channels;
}
/// transformed (transformed_weights_size floats) <- the forward's weights as forward_transformed
/// reads them.
inline void transform_forward_weights(const ConvShape& shape, const float* weights,
                                      float* transformed);
/// out (C*n x B) <- act(addend + b_u + u (*) state), from weights transform_forward_weights has
/// already transformed: for a caller whose weights stay fixed over many calls
/// (StreamingWaveCell), which so skips transforming them at every call. bias may be null. out may
/// be addend itself (out accumulates) or state itself, in place: a sample's rings are all
/// transformed into scratch before any of its outputs is written. No other overlap.
inline void forward_transformed(const ConvShape& shape, const float* transformed, const float* bias,
                                const float* state, const float* addend, float* out, Index batch,
                                Activation activation, ScratchBuffer<float>& scratch);
#if WRNN_WINOGRAD_COMPILED

namespace detail {

using winograd_f43::points;            // transform points per tile
using winograd_f43::weight_transform;  // G (taps to points)

// The register tiles, sized for the target's vector registers (simd_target.hpp); the last block
// of a C that is not a multiple of a tile's channels takes a narrower tile.
constexpr bool many_registers = simd::detail::vector_registers >= 32;
// Mixing tile: output channels x vectors of tiles accumulators, 6 x 4 = 24 of 32 registers or
// 6 x 2 = 12 of 16, beside the input vectors and the broadcast weight.
constexpr Index mix_channels = 6;
constexpr int mix_vectors = many_registers ? 4 : 2;
// Weight-gradient tile: output channels x input channels accumulators, 4 x 6 = 24 of 32
// registers or 2 x 6 = 12 of 16, beside the gradient and input vectors.
constexpr Index weight_channels = many_registers ? 4 : 2;
constexpr Index weight_inputs = 6;

using simd::detail::with_constant;

inline Index round_up(Index value, Index multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

// Fewest channels for which the kernels pack a group's samples into the lanes a ring leaves
// empty (Tiles::width). Packing spares the mixing and the weight tiles their idle lanes, but
// most samples then start mid-vector, so their transforms' stores and the output transform's
// loads split cache lines, which costs about what it saves below 16 channels. Measured with
// bench_kernels, n = 100, batch 128 (docs/kernels.md): from C = 6 to 12 within the noise either
// way (BM_Crossover*; a threshold of 8 makes the AVX-512 forward 7-13% slower at C = 8 to 12);
// at C = 27, the adding shape, the forward is 4% faster, the weight gradient 9%
// and the fused backward 9% (AVX-512), and 13%, 18% and 12% in the AVX2 build.
constexpr Index pack_channels = 16;

// Where one ring's tiles sit: T tiles in `vectors` vectors of `lanes`, so a transformed ring
// fills `row` floats per transform point. From pack_channels channels on, its tiles take only
// the first `width` of them (up to the last tile's lane in the last vector), and that is how
// far apart the samples of a group sit in a packed row (packed_row), so that the mixing and the
// weight tiles do not spend lanes on empty ones (n = 100: 25 tiles in 32 lanes; 8 samples
// packed: 200 tiles in 13 vectors, not 16). Otherwise width = row: every sample starts on a
// vector.
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

// How many lanes of a vector starting at index `first` lie before `end` (a ring's units, or the
// weights' channel pairs and taps).
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

// V = B^T d for a vector of tiles, written to rows point_stride apart.
inline void store_input_transform(const Vector d[points], float* out, Index point_stride) {
  const Vector two(2.0f), four(4.0f), five(5.0f);
  const Vector d4_minus_d2 = d[4] - d[2], d3_minus_d1 = d[3] - d[1];
  negative_multiply_add(five, d[2], multiply_add(four, d[0], d[4])).store_unaligned(out);
  negative_multiply_add(four, d[1] + d[2], d[3] + d[4]).store_unaligned(out + point_stride);
  multiply_add(four, d[1] - d[2], d[4] - d[3]).store_unaligned(out + 2 * point_stride);
  multiply_add(two, d3_minus_d1, d4_minus_d2).store_unaligned(out + 3 * point_stride);
  negative_multiply_add(two, d3_minus_d1, d4_minus_d2).store_unaligned(out + 4 * point_stride);
  negative_multiply_add(five, d[3], multiply_add(four, d[1], d[5]))
      .store_unaligned(out + 5 * point_stride);
}

// dM = A g for a vector of tiles (g the four phases), written to rows point_stride apart;
// returns dM_1 = g_0 + g_1 + g_2 + g_3, the tiles' sums (for the bias gradient).
inline Vector store_gradient_transform(const Vector g[tile_units], float* out, Index point_stride) {
  const Vector two(2.0f), four(4.0f);
  const Vector even = g[0] + g[2], even_4 = multiply_add(four, g[2], g[0]);
  const Vector odd = g[1] + g[3], odd_4 = multiply_add(four, g[3], g[1]);
  const Vector sum = even + odd;
  g[0].store_unaligned(out);
  sum.store_unaligned(out + point_stride);
  (even - odd).store_unaligned(out + 2 * point_stride);
  multiply_add(two, odd_4, even_4).store_unaligned(out + 3 * point_stride);
  negative_multiply_add(two, odd_4, even_4).store_unaligned(out + 4 * point_stride);
  g[3].store_unaligned(out + 5 * point_stride);
  return sum;
}

// Where transform_rings writes a transformed ring: point x of channel c at
// data + x * point_stride + c * channel_stride (a ring's Tiles::row floats, in a row of at least
// that many). data may be null.
struct Rows {
  float* data = nullptr;
  Index point_stride = 0, channel_stride = 0;
};

// Zeros the floats [used, the next whole vector) of the rows of `channels` channels: the lanes
// past a group's last packed sample, which the mixing and the weight tiles read. The weight
// tiles need them zero; in the mixing it keeps stale scratch (NaN, subnormals) out of lanes it
// computes and never stores.
inline void zero_packed_tail(Rows rows, Index channels, Index used) {
  const Index count = round_up(used, lanes) - used;
  if (count == 0) return;
  for (Index x = 0; x < points; ++x)
    for (Index c = 0; c < channels; ++c)
      store_first(rows.data + x * rows.point_stride + c * rows.channel_stride + used, Vector(0.0f),
                  count);
}

// Transforms the C rings of one sample. For every channel c and vector of tiles v:
//   input:    V_x = (B^T d)_x, d the tiles' 6 wrapped inputs (for the forward's mixing)
//   gradient: dM_x = (A g)_x, g the tiles' 4 units (zero past the ring), and
//             bias_lanes[c] += the tiles' sums (for the weight gradient)
// One ring can give both (the fused backward needs both of the output gradient). `what` says
// which at compile time, so that each copy does only its own work: GCC 12 does not inline a
// single copy that tests it at run time into forward_batch, and the forward is then 5-12% slower
// at n = 100, C = 6 (bench_kernels BM_Forward).
// It writes whole vectors, Tiles::row floats of a row, so the samples packed into one row
// (Tiles::width apart) must be transformed first to last: each sample overwrites the empty
// lanes its predecessor wrote past its width.
enum class Transform { input, gradient, both };

template <Transform what>
inline void transform_rings(const Tiles& tiles, Index channels, const float* rings, Rows input,
                            Rows gradient, float* bias_lanes) {
  constexpr bool with_input = what != Transform::gradient, with_gradient = what != Transform::input;
  const Index n = tiles.ring_size, last = tiles.vectors - 1;
  // In a last vector that is not full, the tile after the last tile must hold h[0] for that
  // tile's d_5.
  const bool partial = tiles.last_lanes < lanes;
  const Index after_last = partial ? tile_lane(tiles.last_lanes) : 0;
  for (Index c = 0; c < channels; ++c) {
    const float* ring = rings + c * n;
    Phases current = split_ring(ring, 0, n);
    const Vector wrap_left(ring[n - 1]), wrap_right(ring[0]);
    Vector previous_phase3 = wrap_left;
    Vector bias_sum = with_gradient ? Vector::load_aligned(bias_lanes + c * lanes) : Vector(0.0f);
    for (Index v = 0; v <= last; ++v) {
      Phases next = current;
      Vector next_phase0 = wrap_right;
      if (v < last) {
        next = split_ring(ring, v + 1, n);
        next_phase0 = next.phase[0];
      }
      if constexpr (with_gradient) {
        float* out = gradient.data + c * gradient.channel_stride + v * lanes;
        bias_sum += store_gradient_transform(current.phase, out, gradient.point_stride);
      }
      if constexpr (with_input) {
        Vector phase0 = current.phase[0];
        if (v == last && partial) phase0 = with_lane(phase0, after_last, ring[0]);
        const Vector d[points] = {from_previous_tile(current.phase[3], previous_phase3),
                                  current.phase[0],
                                  current.phase[1],
                                  current.phase[2],
                                  current.phase[3],
                                  from_next_tile(phase0, next_phase0)};
        store_input_transform(d, input.data + c * input.channel_stride + v * lanes,
                              input.point_stride);
      }
      previous_phase3 = current.phase[3];
      current = next;
    }
    if constexpr (with_gradient) bias_sum.store_aligned(bias_lanes + c * lanes);
  }
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

// U[x][c][c'] = sum_j G[x][j] u[c][c'][j], the forward's weights, or with `transposed` the
// backward-to-state's transposed, tap-reversed ones, sum_j G[x][j] u[c'][c][2 - j]. It runs on
// every call, batch 1 (the streaming step) too, so 16 channel pairs at a time: the forward's
// taps de-interleaved from the [C][C][3] weights, the transposed ones gathered (pair q = c C + c'
// reads pair c' C + c; only the backward needs them).
inline void transform_weights(Index channels, const float* weights, bool transposed, float* out) {
  const Index pairs = channels * channels;
  const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512 channel_count = _mm512_set1_ps(static_cast<float>(channels));
  for (Index first = 0; first < pairs; first += lanes) {
    const __mmask16 mask = first_lanes(lanes_before(first, pairs));
    __m512 tap[3];
    if (!transposed) {
      __m512 block[3];
      for (Index k = 0; k < 3; ++k)
        block[k] =
            _mm512_maskz_loadu_ps(first_lanes(lanes_before(3 * first + k * lanes, 3 * pairs)),
                                  weights + 3 * first + k * lanes);
      for (int j = 0; j < 3; ++j) tap[j] = pair_taps(block[0], block[1], block[2], j);
    } else {  // exact in float: q < 2^24
      const __m512 q =
          _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first)), lane));
// Without optimisation GCC's <immintrin.h> defines these two intrinsics as macros whose own casts
// of the mask raise -Wsign-conversion here, in the caller's code.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__OPTIMIZE__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
      const __m512 row = _mm512_roundscale_ps(_mm512_div_ps(q, channel_count), _MM_FROUND_TO_ZERO);
      const __m512 column = _mm512_fnmadd_ps(row, channel_count, q);
      const __m512i source = _mm512_mullo_epi32(
          _mm512_cvtps_epi32(_mm512_fmadd_ps(column, channel_count, row)), _mm512_set1_epi32(3));
      for (int j = 0; j < 3; ++j)
        tap[j] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), mask,
                                          _mm512_add_epi32(source, _mm512_set1_epi32(2 - j)),
                                          weights, 4);
#if defined(__GNUC__) && !defined(__clang__) && !defined(__OPTIMIZE__)
#pragma GCC diagnostic pop
#endif
    }
    for (Index x = 0; x < points; ++x) {
      __m512 sum = _mm512_mul_ps(_mm512_set1_ps(float(weight_transform[x][0])), tap[0]);
      sum = _mm512_fmadd_ps(_mm512_set1_ps(float(weight_transform[x][1])), tap[1], sum);
      sum = _mm512_fmadd_ps(_mm512_set1_ps(float(weight_transform[x][2])), tap[2], sum);
      _mm512_mask_storeu_ps(out + x * pairs + first, mask, sum);
    }
  }
}

#else  // AVX2

// U[x][c][c'] = sum_j G[x][j] u[c][c'][j], the forward's weights, or with `transposed` the
// backward-to-state's transposed, tap-reversed ones, sum_j G[x][j] u[c'][c][2 - j]. One pair at a
// time: it is O(C^2), next to the mixing's O(C^2 n) per sample, so not worth the AVX-512
// version's shuffles and gathers. The same rounding as that version.
inline void transform_weights(Index channels, const float* weights, bool transposed, float* out) {
  const Index pairs = channels * channels;
  for (Index c = 0; c < channels; ++c)
    for (Index i = 0; i < channels; ++i) {
      const Index pair = c * channels + i;
      const float* u = weights + 3 * (transposed ? i * channels + c : pair);
      const float tap[3] = {transposed ? u[2] : u[0], u[1], transposed ? u[0] : u[2]};
      for (Index x = 0; x < points; ++x) {
        float sum = float(weight_transform[x][0]) * tap[0];
        sum = std::fma(float(weight_transform[x][1]), tap[1], sum);
        sum = std::fma(float(weight_transform[x][2]), tap[2], sum);
        out[x * pairs + pair] = sum;
      }
    }
}

#endif

// One mixing tile at one transform point: Channels output channels x Vectors vectors of tiles,
//   mixed[c][v] = sum_{c'} weights[c][c'] * input[c'][v]
// `weights` at output channel c0 (rows of C), `input` at vector v0 of channel 0 (rows input_row
// apart), `mixed` at vector v0 of c0 (rows mixed_row apart).
template <int Channels, int Vectors>
inline void mix_tile(const float* weights, Index channels, const float* input, Index input_row,
                     float* mixed, Index mixed_row) {
  Vector acc[std::size_t{Channels}][std::size_t{Vectors}];
  for (int c = 0; c < Channels; ++c)
    for (int v = 0; v < Vectors; ++v) acc[c][v] = Vector(0.0f);
  for (Index i = 0; i < channels; ++i) {
    Vector x[std::size_t{Vectors}];
    for (int v = 0; v < Vectors; ++v)
      x[v] = Vector::load_aligned(input + i * input_row + v * lanes);
    for (int c = 0; c < Channels; ++c) {
      const Vector w(weights[c * channels + i]);
      for (int v = 0; v < Vectors; ++v) acc[c][v] = multiply_add(w, x[v], acc[c][v]);
    }
  }
  for (int c = 0; c < Channels; ++c)
    for (int v = 0; v < Vectors; ++v) acc[c][v].store_aligned(mixed + c * mixed_row + v * lanes);
}

// How the output transform combines with what `out` holds.
enum class Combine { activate, add, overwrite };  // act(addend + y), addend + y, y

// out[c] for the channels [c0, c0 + count) of one sample from their mixed points
// mixed[x * point_stride + (c - c0) * channel_stride + column] (the sample's columns of a packed
// row; any alignment): y = A^T M + bias, merged back to units, combined with addend (out's
// layout; may be out itself; null reads as zeros; not read for Combine::overwrite).
inline void store_outputs(const Tiles& tiles, const float* mixed, Index count, Index point_stride,
                          Index channel_stride, const float* bias, const float* addend, float* out,
                          Combine combine, Activation activation) {
  const Index n = tiles.ring_size;
  const Vector two(2.0f), four(4.0f), eight(8.0f), zero(0.0f);
  const bool relu = combine == Combine::activate && activation == Activation::relu;
  for (Index c = 0; c < count; ++c) {
    const Vector b(bias ? bias[c] : 0.0f);
    float* ring = out + c * n;
    const float* added = addend ? addend + c * n : nullptr;
    for (Index v = 0; v < tiles.vectors; ++v) {
      const float* m = mixed + c * channel_stride + v * lanes;
      Vector point[points];
      for (Index x = 0; x < points; ++x) point[x] = Vector::load_unaligned(m + x * point_stride);
      const Vector sum12 = point[1] + point[2], difference12 = point[1] - point[2];
      const Vector sum34 = point[3] + point[4], difference34 = point[3] - point[4];
      const Vector phase[tile_units] = {
          (point[0] + b) + (sum12 + sum34), b + multiply_add(two, difference34, difference12),
          b + multiply_add(four, sum34, sum12),
          (point[5] + b) + multiply_add(eight, difference34, difference12)};
      Vector units[tile_units];
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
        if (combine != Combine::overwrite && added)
          value =
              (whole ? Vector::load_unaligned(added + first) : load_first(added + first, inside)) +
              value;
        if (relu) value = xsimd::max(value, zero);
        if (whole)
          value.store_unaligned(ring + first);
        else
          store_first(ring + first, value, inside);
      }
    }
    // tanh: Eigen's vectorised float tanh (as the direct kernel), on the ring while in L1.
    if (combine == Combine::activate && activation == Activation::tanh) {
      Eigen::Map<Eigen::ArrayXf> values(ring, n);
      values = values.tanh();
    }
  }
}

// Scratch layout, in floats (each part aligned to the vector):
//   weights  U[6][C][C] (forward or transposed)
//   input    a mixing group's transformed rings V[6][C][mix_row], packed (Tiles::packed_row)
//   mixed    one channel block's mixed points M[6][mix_channels][mix_row]
//   staged   a group of samples for the weight gradient: V[6][C][staged_row] packed, dM likewise
//   acc      weight-gradient lane accumulators [6][C][C'] vectors, bias [C] vectors
struct Scratch {
  Index group, staged_row, mix_group, mix_row;
  Index weights, input, mixed, staged_input, staged_gradient, acc, bias_acc, total;
  Scratch(const ConvShape& shape, const Tiles& tiles) {
    const Index C = shape.channels;
    auto aligned = [](Index size) { return round_up(size, lanes); };
    // A group keeps its staged rows within about 512 KiB (of a 1 MiB or 512 KiB L2); at most 8
    // samples, the fixed chunk of circular_conv_parallel.hpp.
    const Index sample_bytes = 2 * points * C * tiles.row * Index(sizeof(float));
    group = std::max<Index>(1, std::min<Index>(8, (512 * 1024) / sample_bytes));
    staged_row = tiles.packed_row(group);
    // The mixing takes a group's samples at once where they are packed; elsewhere (a ring's
    // tiles fill their vectors, as at n = 256, or fewer than pack_channels channels) one sample
    // at a time, which keeps its rows in L1.
    mix_group = tiles.width < tiles.row ? group : 1;
    mix_row = tiles.packed_row(mix_group);
    weights = 0;
    input = weights + aligned(points * C * C);
    mixed = input + aligned(points * C * mix_row);
    staged_input = mixed + aligned(points * mix_channels * mix_row);
    staged_gradient = staged_input + aligned(points * C * staged_row);
    acc = staged_gradient + aligned(points * C * staged_row);
    bias_acc = acc + points * C * C * lanes;
    total = bias_acc + C * lanes;
  }
  // Where the mixing's transformed rings of sample s of a mixing group go.
  Rows mixing_input(float* base, Index channels, const Tiles& tiles, Index s) const {
    return Rows{base + input + s * tiles.width, channels * mix_row, mix_row};
  }
  Rows staged_inputs(float* base, Index channels) const {
    return Rows{base + staged_input, channels * staged_row, staged_row};
  }
  Rows staged_gradients(float* base, Index channels) const {
    return Rows{base + staged_gradient, channels * staged_row, staged_row};
  }
};

// mixed[c][column] = sum_{c'} weights[c][c'] * input[c'][column] over `vectors` vectors of
// columns, in the widest tiles that fit.
template <int Channels>
inline void mix_columns(const float* weights, Index channels, const float* input, float* mixed,
                        Index row, Index vectors) {
  Index v = 0;
  for (; v + mix_vectors <= vectors; v += mix_vectors)
    mix_tile<Channels, mix_vectors>(weights, channels, input + v * lanes, row, mixed + v * lanes,
                                    row);
  if constexpr (mix_vectors > 2)
    for (; v + 2 <= vectors; v += 2)
      mix_tile<Channels, 2>(weights, channels, input + v * lanes, row, mixed + v * lanes, row);
  for (; v < vectors; ++v)
    mix_tile<Channels, 1>(weights, channels, input + v * lanes, row, mixed + v * lanes, row);
}

// A forward (or backward-to-state) for `samples` samples (at most mix_group) whose rings are
// already transformed and packed in scratch (zero_packed_tail done): mixes each block of output
// channels at the six points with the transformed weights U[6][C][C] and stores each sample's
// outputs (store_outputs: addend, combine; sample s at addend / out + s C n).
inline void mix_and_store(const Tiles& tiles, const Scratch& parts, Index channels, float* base,
                          const float* weights, Index samples, const float* bias,
                          const float* addend, float* out, Combine combine, Activation activation) {
  float* mixed = base + parts.mixed;
  const float* input = base + parts.input;
  const Index row = parts.mix_row, point_input = channels * row, point_mixed = mix_channels * row;
  const Index vectors = tiles.packed_vectors(samples), n = tiles.ring_size, size = channels * n;
  for (Index c0 = 0; c0 < channels; c0 += mix_channels) {
    const Index count = std::min(mix_channels, channels - c0);
    with_constant<mix_channels>(count, [&](auto block) {
      for (Index x = 0; x < points; ++x)
        mix_columns<decltype(block)::value>(weights + (x * channels + c0) * channels, channels,
                                            input + x * point_input, mixed + x * point_mixed, row,
                                            vectors);
    });
    for (Index s = 0; s < samples; ++s)
      store_outputs(tiles, mixed + s * tiles.width, count, point_mixed, row,
                    bias ? bias + c0 : nullptr, addend ? addend + s * size + c0 * n : nullptr,
                    out + s * size + c0 * n, combine, activation);
  }
}

// One weight-gradient tile at one point over a group's staged columns:
//   acc[c][i] (lane-wise) += sum_columns gradient[c][column] * input[i][column]
// `gradient` and `input` at channel c0 / i0 of the point (rows `row` apart), `acc` at the
// accumulator of (c0, i0) (accumulators of one output channel acc_row apart).
template <int Channels, int Inputs>
inline void weight_tile(const float* gradient, const float* input, Index row, Index vectors,
                        float* acc, Index acc_row) {
  Vector sum[std::size_t{Channels}][std::size_t{Inputs}];
  for (int c = 0; c < Channels; ++c)
    for (int i = 0; i < Inputs; ++i)
      sum[c][i] = Vector::load_aligned(acc + c * acc_row + i * lanes);
  for (Index v = 0; v < vectors; ++v) {
    Vector g[std::size_t{Channels}];
    for (int c = 0; c < Channels; ++c) g[c] = Vector::load_aligned(gradient + c * row + v * lanes);
    for (int i = 0; i < Inputs; ++i) {
      const Vector x = Vector::load_aligned(input + i * row + v * lanes);
      for (int c = 0; c < Channels; ++c) sum[c][i] = multiply_add(g[c], x, sum[c][i]);
    }
  }
  for (int c = 0; c < Channels; ++c)
    for (int i = 0; i < Inputs; ++i) sum[c][i].store_aligned(acc + c * acc_row + i * lanes);
}

// Stages sample s of a group for the weight gradient (samples in order, packed): its
// transformed state rings and output gradient (and the gradient's tile sums into the bias
// lanes); `gradient_input`, if not null, also receives the output gradient's input transform
// (for the fused backward to the state).
inline void stage_sample(const ConvShape& shape, const Tiles& tiles, const Scratch& parts,
                         const float* state, const float* grad_out, Index s, float* base,
                         Rows gradient_input) {
  const Index C = shape.channels, offset = s * tiles.width;
  Rows input = parts.staged_inputs(base, C), gradient = parts.staged_gradients(base, C);
  input.data += offset;
  gradient.data += offset;
  transform_rings<Transform::input>(tiles, C, state, input, Rows{}, nullptr);
  if (gradient_input.data)
    transform_rings<Transform::both>(tiles, C, grad_out, gradient_input, gradient,
                                     base + parts.bias_acc);
  else
    transform_rings<Transform::gradient>(tiles, C, grad_out, Rows{}, gradient,
                                         base + parts.bias_acc);
}

// Asks the memory system for `samples` samples' state rings from `state` on: in a training step
// they come from the tape, far out of cache, and a group's tiles take long enough to hide it.
inline void prefetch_samples(const ConvShape& shape, const float* state, Index samples) {
  const char* line = reinterpret_cast<const char*>(state);
  const char* end = reinterpret_cast<const char*>(state + samples * shape.state_size());
  for (; line < end; line += 64) __builtin_prefetch(line, 0, 1);
}

// Runs the weight tiles over a group of `samples` staged samples (zero_packed_tail done):
//   acc[x][c][c'] (lane-wise) += sum over the group's tiles of dM_x[c] * V_x[c']
inline void weight_tiles(const ConvShape& shape, const Tiles& tiles, const Scratch& parts,
                         Index samples, float* base) {
  const Index C = shape.channels, row = parts.staged_row, point_stride = C * row;
  const Index vectors = tiles.packed_vectors(samples), acc_row = C * lanes;
  for (Index x = 0; x < points; ++x) {
    const float* gradient = base + parts.staged_gradient + x * point_stride;
    const float* input = base + parts.staged_input + x * point_stride;
    float* acc = base + parts.acc + x * C * acc_row;
    for (Index c0 = 0; c0 < C; c0 += weight_channels)
      with_constant<weight_channels>(std::min(weight_channels, C - c0), [&](auto channels) {
        for (Index i0 = 0; i0 < C; i0 += weight_inputs)
          with_constant<weight_inputs>(std::min(weight_inputs, C - i0), [&](auto inputs) {
            weight_tile<decltype(channels)::value, decltype(inputs)::value>(
                gradient + c0 * row, input + i0 * row, row, vectors,
                acc + c0 * acc_row + i0 * lanes, acc_row);
          });
      });
  }
}

// grad_u[c][c'][j] += sum_x G[x][j] (lane sum of acc[x][c][c']), grad_b[c] += lane sum of the
// bias accumulator. The lanes are summed once per call; the last step in double.
inline void add_weight_gradient(const ConvShape& shape, const Scratch& parts, const float* base,
                                float* grad_weights, float* grad_bias) {
  const Index C = shape.channels;
  auto lane_sum = [](const float* lanes_of) { return xsimd::hadd(Vector::load_aligned(lanes_of)); };
  for (Index c = 0; c < C; ++c) {
    for (Index i = 0; i < C; ++i) {
      double point_sums[points];
      for (Index x = 0; x < points; ++x)
        point_sums[x] = lane_sum(base + parts.acc + ((x * C + c) * C + i) * lanes);
      for (Index j = 0; j < 3; ++j) {
        double sum = 0;
        for (Index x = 0; x < points; ++x) sum += weight_transform[x][j] * point_sums[x];
        grad_weights[(c * C + i) * 3 + j] += static_cast<float>(sum);
      }
    }
    if (grad_bias) grad_bias[c] += lane_sum(base + parts.bias_acc + c * lanes);
  }
}

// A forward with transformed weights U[6][C][C] (the forward's, or for the backward to the
// state the transposed ones; null: `weights` transformed here into scratch) of `batch` samples
// of `rings` into `out` (store_outputs: addend, combine), mix_group samples at a time. A group's
// rings are all transformed before any of its outputs is written, so out may be rings itself.
inline void forward_batch(const ConvShape& shape, const float* transformed, const float* weights,
                          bool transposed, const float* rings, const float* bias,
                          const float* addend, float* out, Index batch, Combine combine,
                          Activation activation, ScratchBuffer<float>& scratch) {
  shape.validate();
  const Tiles tiles(shape);
  const Scratch parts(shape, tiles);
  float* base = scratch.data(parts.total);
  const Index C = shape.channels, size = shape.state_size();
  if (!transformed) {
    transform_weights(C, weights, transposed, base + parts.weights);
    transformed = base + parts.weights;
  }
  for (Index first = 0; first < batch; first += parts.mix_group) {
    const Index samples = std::min(parts.mix_group, batch - first);
    for (Index s = 0; s < samples; ++s)
      transform_rings<Transform::input>(tiles, C, rings + (first + s) * size,
                                        parts.mixing_input(base, C, tiles, s), Rows{}, nullptr);
    zero_packed_tail(parts.mixing_input(base, C, tiles, 0), C, samples * tiles.width);
    mix_and_store(tiles, parts, C, base, transformed, samples, bias,
                  addend ? addend + first * size : nullptr, out + first * size, combine,
                  activation);
  }
}

// The weight gradient group by group, and with grad_state not null the backward to the state
// (overwriting grad_state) in the same sweep, while a group's output gradient is in cache: each
// sample's output gradient is split once for both, its gradient transform staged for the weight
// tiles and its input transform packed for the mixing, which runs as soon as a mixing group
// (mix_group samples: the whole group, or each sample where packing gains nothing) is in.
inline void backward_groups(const ConvShape& shape, const float* weights, const float* state,
                            const float* grad_out, float* grad_weights, float* grad_bias,
                            float* grad_state, Index batch, ScratchBuffer<float>& scratch) {
  shape.validate();
  const Tiles tiles(shape);
  const Scratch parts(shape, tiles);
  float* base = scratch.data(parts.total);
  const Index C = shape.channels, size = shape.state_size();
  std::fill(base + parts.acc, base + parts.total, 0.0f);
  if (grad_state) transform_weights(C, weights, true, base + parts.weights);
  for (Index first = 0; first < batch; first += parts.group) {
    const Index samples = std::min(parts.group, batch - first);
    for (Index s = 0; s < samples; ++s) {
      const Index b = first + s, in_mixing = s % parts.mix_group;
      stage_sample(shape, tiles, parts, state + b * size, grad_out + b * size, s, base,
                   grad_state ? parts.mixing_input(base, C, tiles, in_mixing) : Rows{});
      if (grad_state && (in_mixing + 1 == parts.mix_group || s + 1 == samples)) {
        const Index mixing = in_mixing + 1, mixing_first = b + 1 - mixing;
        zero_packed_tail(parts.mixing_input(base, C, tiles, 0), C, mixing * tiles.width);
        mix_and_store(tiles, parts, C, base, base + parts.weights, mixing, nullptr, nullptr,
                      grad_state + mixing_first * size, Combine::overwrite, Activation::identity);
      }
    }
    zero_packed_tail(parts.staged_inputs(base, C), C, samples * tiles.width);
    zero_packed_tail(parts.staged_gradients(base, C), C, samples * tiles.width);
    prefetch_samples(shape, state + (first + samples) * size,
                     std::min(parts.group, batch - first - samples));
    weight_tiles(shape, tiles, parts, samples, base);
  }
  add_weight_gradient(shape, parts, base, grad_weights, grad_bias);
}

}  // namespace detail

inline Index scratch_size(const ConvShape& shape) {
  const detail::Tiles tiles(shape);
  return detail::Scratch(shape, tiles).total;
}

inline void forward_activation(const ConvShape& shape, const float* weights, const float* bias,
                               const float* state, float* inout, Index batch, Activation activation,
                               ScratchBuffer<float>& scratch) {
  detail::forward_batch(shape, nullptr, weights, false, state, bias, inout, inout, batch,
                        detail::Combine::activate, activation, scratch);
}

inline void transform_forward_weights(const ConvShape& shape, const float* weights,
                                      float* transformed) {
  detail::transform_weights(shape.channels, weights, false, transformed);
}

inline void forward_transformed(const ConvShape& shape, const float* transformed, const float* bias,
                                const float* state, const float* addend, float* out, Index batch,
                                Activation activation, ScratchBuffer<float>& scratch) {
  detail::forward_batch(shape, transformed, nullptr, false, state, bias, addend, out, batch,
                        detail::Combine::activate, activation, scratch);
}

#endif  // WRNN_WINOGRAD_COMPILED

}  // namespace wrnn::winograd
