/// \file
/// The lane moves of the column Winograd F(4, 3) kernels (circular_conv_winograd.hpp): which
/// builds have them, how many tiles a vector holds and in which lanes, and the shuffles that
/// split a ring's units into the four phases of its tiles and merge them back, one
/// implementation for AVX-512 and one for AVX2 + FMA. AVX-512 keeps tile t in lane t. AVX2 splits
/// 32 units with a 4 x 4 transpose inside each 128-bit half (six cheap in-half moves; crossing
/// the halves costs three times as much), which leaves the tiles in the lane order
/// 0 2 4 6 1 3 5 7: the lane-wise arithmetic does not care, the moves that pair a tile with its
/// neighbour go through tile_lane.
#pragma once

#include <xsimd/xsimd.hpp>

#include "wrnn/kernels/tile.hpp"
#include "wrnn/kernels/winograd_f43.hpp"

/// \def WRNN_WINOGRAD_COMPILED
/// 1 where the Winograd kernels are compiled in: AVX-512 builds, and AVX2 builds with FMA
/// (-march=x86-64-v3 or later, or -march=native on such a processor); 0 elsewhere.

/// \def WRNN_WINOGRAD_LANES
/// Floats per vector of the Winograd kernels, which is tiles per vector: 16 on AVX-512, 8 on
/// AVX2 + FMA, 0 where they are not compiled.

#if defined(__AVX512F__)
#define WRNN_WINOGRAD_COMPILED 1
#define WRNN_WINOGRAD_LANES 16
#elif defined(__AVX2__) && defined(__FMA__)
#define WRNN_WINOGRAD_COMPILED 1
#define WRNN_WINOGRAD_LANES 8
#else
#define WRNN_WINOGRAD_COMPILED 0
#define WRNN_WINOGRAD_LANES 0
#endif

#if WRNN_WINOGRAD_COMPILED
#include <immintrin.h>

/// The lane moves of the column Winograd kernels (winograd_phases.hpp).
namespace wrnn::winograd::phases {

using Vector = tile::Batch<float>;
using winograd_f43::tile_units;  // outputs per tile

constexpr Index lanes = WRNN_WINOGRAD_LANES;       // tiles per vector
constexpr Index block_units = lanes * tile_units;  // units of one vector of tiles
static_assert(Index(Vector::size) == lanes,
              "xsimd's float batch is not the vector the kernels use");

// The lane that holds tile t (0 <= t < lanes) of a vector of tiles.
constexpr Index tile_lane(Index t) {
#if WRNN_WINOGRAD_LANES == 16
  return t;
#else
  return (t % 2) * 4 + t / 2;
#endif
}

#if WRNN_WINOGRAD_LANES == 16

inline __mmask16 first_lanes(Index count) {
  return static_cast<__mmask16>((1u << count) - 1u);
}

// The first `count` (0..lanes) floats at `source`, zeros in the other lanes; reads nothing past
// them.
inline Vector load_first(const float* source, Index count) {
  return _mm512_maskz_loadu_ps(first_lanes(count), source);
}
// Writes the first `count` (0..lanes) lanes of `value` to `target`, nothing past them.
inline void store_first(float* target, Vector value, Index count) {
  _mm512_mask_storeu_ps(target, first_lanes(count), value);
}

// `vector` with lane `lane` replaced by `value`.
inline Vector with_lane(Vector vector, Index lane, float value) {
  return _mm512_mask_mov_ps(vector, static_cast<__mmask16>(1u << lane), _mm512_set1_ps(value));
}

// phase[p] lane tile_lane(t) = units[4 t + p]: 64 units in four vectors -> their four phases, by
// eight two-source permutes (even and odd elements of a pair of vectors, twice: 64 -> 2 x 32 ->
// 4 x 16).
inline void split_phases(const Vector units[tile_units], Vector phase[tile_units]) {
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  const __m512 even_low = _mm512_permutex2var_ps(units[0], even, units[1]);
  const __m512 odd_low = _mm512_permutex2var_ps(units[0], odd, units[1]);
  const __m512 even_high = _mm512_permutex2var_ps(units[2], even, units[3]);
  const __m512 odd_high = _mm512_permutex2var_ps(units[2], odd, units[3]);
  phase[0] = _mm512_permutex2var_ps(even_low, even, even_high);
  phase[1] = _mm512_permutex2var_ps(odd_low, even, odd_high);
  phase[2] = _mm512_permutex2var_ps(even_low, odd, even_high);
  phase[3] = _mm512_permutex2var_ps(odd_low, odd, odd_high);
}

// The inverse of split_phases: four phase vectors -> the units in order.
inline void merge_phases(const Vector phase[tile_units], Vector units[tile_units]) {
  const __m512i low = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i high =
      _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
  const __m512 even_low = _mm512_permutex2var_ps(phase[0], low, phase[2]);
  const __m512 even_high = _mm512_permutex2var_ps(phase[0], high, phase[2]);
  const __m512 odd_low = _mm512_permutex2var_ps(phase[1], low, phase[3]);
  const __m512 odd_high = _mm512_permutex2var_ps(phase[1], high, phase[3]);
  units[0] = _mm512_permutex2var_ps(even_low, low, odd_low);
  units[1] = _mm512_permutex2var_ps(even_low, high, odd_low);
  units[2] = _mm512_permutex2var_ps(even_high, low, odd_high);
  units[3] = _mm512_permutex2var_ps(even_high, high, odd_high);
}

// Tile t of the result: tile t - 1 of `current` (tile 0: the last tile of `previous`).
inline Vector from_previous_tile(Vector current, Vector previous) {
  return _mm512_castsi512_ps(
      _mm512_alignr_epi32(_mm512_castps_si512(current), _mm512_castps_si512(previous), 15));
}
// Tile t of the result: tile t + 1 of `current` (the last tile: tile 0 of `next`).
inline Vector from_next_tile(Vector current, Vector next) {
  return _mm512_castsi512_ps(
      _mm512_alignr_epi32(_mm512_castps_si512(next), _mm512_castps_si512(current), 1));
}

#else  // AVX2 + FMA

// Lanes whose number is below `count`, as the sign bits maskload and maskstore read.
inline __m256i first_lanes(Index count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// The first `count` (0..lanes) floats at `source`, zeros in the other lanes; reads nothing past
// them.
inline Vector load_first(const float* source, Index count) {
  return _mm256_maskload_ps(source, first_lanes(count));
}
// Writes the first `count` (0..lanes) lanes of `value` to `target`, nothing past them.
inline void store_first(float* target, Vector value, Index count) {
  _mm256_maskstore_ps(target, first_lanes(count), value);
}

// `vector` with lane `lane` replaced by `value`.
inline Vector with_lane(Vector vector, Index lane, float value) {
  const __m256i selected = _mm256_cmpeq_epi32(_mm256_set1_epi32(static_cast<int>(lane)),
                                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  return _mm256_blendv_ps(vector, _mm256_set1_ps(value), _mm256_castsi256_ps(selected));
}

// A 4 x 4 transpose inside each 128-bit half: lane 4 h + k of result p = lane 4 h + p of
// row k. Its own inverse.
inline void transpose_halves(const Vector row[4], Vector result[4]) {
  const __m256 low01 = _mm256_unpacklo_ps(row[0], row[1]);   // r0[0] r1[0] r0[1] r1[1]
  const __m256 high01 = _mm256_unpackhi_ps(row[0], row[1]);  // r0[2] r1[2] r0[3] r1[3]
  const __m256 low23 = _mm256_unpacklo_ps(row[2], row[3]);
  const __m256 high23 = _mm256_unpackhi_ps(row[2], row[3]);
  result[0] = _mm256_shuffle_ps(low01, low23, 0x44);  // r0[0] r1[0] r2[0] r3[0]
  result[1] = _mm256_shuffle_ps(low01, low23, 0xEE);  // r0[1] r1[1] r2[1] r3[1]
  result[2] = _mm256_shuffle_ps(high01, high23, 0x44);
  result[3] = _mm256_shuffle_ps(high01, high23, 0xEE);
}

// phase[p] lane tile_lane(t) = units[4 t + p]: 32 units in four vectors -> their four phases.
// Unit vector k holds tiles 2k (low half) and 2k + 1 (high half), so the transpose puts tile
// 2k + h in lane 4 h + k: the order 0 2 4 6 1 3 5 7.
inline void split_phases(const Vector units[tile_units], Vector phase[tile_units]) {
  transpose_halves(units, phase);
}

// The inverse of split_phases: four phase vectors -> the units in order.
inline void merge_phases(const Vector phase[tile_units], Vector units[tile_units]) {
  transpose_halves(phase, units);
}

// Tile t of the result: tile t - 1 of `current` (tile 0: the last tile of `previous`). In the
// order 0 2 4 6 1 3 5 7, lane l takes lane (_, 4, 5, 6, 0, 1, 2, 3)[l]; lane 0 (tile 0) takes
// `previous`'s lane 7 (tile 7).
inline Vector from_previous_tile(Vector current, Vector previous) {
  const __m256 shifted =
      _mm256_permutevar8x32_ps(current, _mm256_setr_epi32(0, 4, 5, 6, 0, 1, 2, 3));
  const __m256 last = _mm256_permutevar8x32_ps(previous, _mm256_set1_epi32(7));
  return _mm256_blend_ps(shifted, last, 0x01);
}
// Tile t of the result: tile t + 1 of `current` (the last tile: tile 0 of `next`). Lane l takes
// lane (4, 5, 6, 7, 1, 2, 3, _)[l]; lane 7 (tile 7) takes `next`'s lane 0 (tile 0).
inline Vector from_next_tile(Vector current, Vector next) {
  const __m256 shifted =
      _mm256_permutevar8x32_ps(current, _mm256_setr_epi32(4, 5, 6, 7, 1, 2, 3, 0));
  const __m256 first = _mm256_broadcastss_ps(_mm256_castps256_ps128(next));
  return _mm256_blend_ps(shifted, first, 0x80);
}

#endif

}  // namespace wrnn::winograd::phases

#endif  // WRNN_WINOGRAD_COMPILED
