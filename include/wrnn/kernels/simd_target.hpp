/// \file
/// What the hand-written xsimd kernels know of the target the compiler builds for: whether Scalar
/// has a SIMD register, the register type and its lanes, and how many vector registers there are
/// (which sets the kernels' register tiles).
#pragma once

#include <cmath>
#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "wrnn/core/types.hpp"

/// The SIMD target of the build, as the hand-written xsimd kernels see it.
namespace wrnn::simd {

/// True where xsimd has a SIMD register for Scalar under the compiler's target flags (float and
/// double on any x86-64; float only on 32-bit ARM NEON). Otherwise the reference is used.
template <class Scalar>
inline constexpr bool available = xsimd::has_simd_register<Scalar>::value;

namespace detail {

template <class Scalar>
using Batch = xsimd::batch<Scalar>;

template <class Scalar>
inline constexpr Index lanes = static_cast<Index>(Batch<Scalar>::size);

// Register budget of the target: AVX-512 and AArch64 have 32 vector registers, SSE/AVX 16.
#if XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64
inline constexpr int vector_registers = 32;
#else
inline constexpr int vector_registers = 16;
#endif

// a * b + c, rounded once wherever the target has fused multiply-adds (twice where it has none):
// the same instruction in every kernel that calls it. Not xsimd::fma alone: xsimd 8 has no
// AVX-512 kernel for it and computes a * b + c, which GCC (-ffp-contract=fast) fuses or not
// depending on the code around it, so two instantiations of one tile could round differently.
template <class Scalar>
inline Batch<Scalar> multiply_add(const Batch<Scalar>& a, const Batch<Scalar>& b,
                                  const Batch<Scalar>& c) {
#if defined(__AVX512F__)
  if constexpr (std::is_same<Scalar, float>::value && Batch<Scalar>::size == 16)
    return _mm512_fmadd_ps(a, b, c);
  if constexpr (std::is_same<Scalar, double>::value && Batch<Scalar>::size == 8)
    return _mm512_fmadd_pd(a, b, c);
#endif
  return xsimd::fma(a, b, c);
}

// Count zeros, where a tile's start reads a row of zeros instead of branching (see the lanes
// convolution tile and lanes::affine).
template <class Scalar, int Count>
inline constexpr Scalar zeros[std::size_t{Count}] = {};

// acc[c][q][v] += w[c] x[q][v] for every output channel c, row or tile q and vector v: the
// rank-one update of a register tile, one broadcast weight per channel, that the lanes tiles
// (direct and Winograd) make for each input channel and tap. Always inlined: acc must stay in
// registers.
// The sizes are deduced from the arrays' types; GCC's -Wsign-conversion flags such int template
// parameters as array bounds (converted to std::size_t) although they are positive constants.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
template <class Scalar, int Channels, int Rows, int Vectors>
[[gnu::always_inline]] inline void add_outer_product(Batch<Scalar> (&acc)[Channels][Rows][Vectors],
                                                     const Scalar* w,
                                                     const Batch<Scalar> (&x)[Rows][Vectors]) {
  for (int c = 0; c < Channels; ++c) {
    const Batch<Scalar> weight(w[c]);
    for (int q = 0; q < Rows; ++q)
      for (int v = 0; v < Vectors; ++v) acc[c][q][v] = multiply_add(weight, x[q][v], acc[c][q][v]);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Calls run(std::integral_constant<int, count>{}) for a runtime count in [1, Max]: how the tiles
// at the edge of a block get their compile-time sizes (their accumulators must be registers).
template <int Max, class Run>
inline void with_constant(Index count, Run&& run) {
  if constexpr (Max >= 1) {
    if (count == Max) return run(std::integral_constant<int, Max>{});
    with_constant<Max - 1>(count, run);
  }
}

// The same for one scalar: one rounding where the target has fused multiply-adds.
template <class Scalar>
inline Scalar multiply_add_scalar(Scalar a, Scalar b, Scalar c) {
#if defined(__FMA__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace detail
}  // namespace wrnn::simd
