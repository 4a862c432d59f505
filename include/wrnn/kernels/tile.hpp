/// \file
/// The register-tile engine every hand-written kernel is built from: the build's SIMD register
/// (Batch, lanes), one traits type that sizes every kernel's register tile for the target's
/// register file (TileTraits, after the per-architecture gebp_traits of Eigen's matrix product),
/// and what a tile is made of: fused multiply-adds rounded once everywhere, the rank-one update
/// and accumulation of an accumulator tile, its activated store, and the compile-time sizes of
/// the tiles at the edge of a block. A kernel file then says only how its tile addresses memory
/// (a padded ring, rows of samples that wrap around the ring) and which passes it runs.
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <xsimd/xsimd.hpp>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "wrnn/core/activation.hpp"
#include "wrnn/core/types.hpp"

/// \def WRNN_KERNELS_BEGIN
/// Opens a kernel file's body (WRNN_KERNELS_END closes it): GCC 12 reports the deliberately
/// undefined registers of its own AVX-512 intrinsics (_mm512_undefined_ps, in xsimd's max, hadd
/// and exp) as "maybe uninitialized" wherever they are inlined, a false positive silenced there.
#if defined(__GNUC__) && !defined(__clang__)
/// Opens a kernel file's region where GCC's false "maybe uninitialized" warning is silenced.
#define WRNN_KERNELS_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
/// Closes the region WRNN_KERNELS_BEGIN opened.
#define WRNN_KERNELS_END _Pragma("GCC diagnostic pop")
#else
/// Nothing to silence outside GCC.
#define WRNN_KERNELS_BEGIN
/// Nothing to silence outside GCC.
#define WRNN_KERNELS_END
#endif

/// What the build's SIMD target offers the kernels (the tile engine itself is wrnn::tile).
namespace wrnn::simd {

/// True where xsimd has a SIMD register for Scalar under the compiler's target flags (float and
/// double on any x86-64; float only on 32-bit ARM NEON). Otherwise the reference is used.
template <class Scalar>
inline constexpr bool available = xsimd::has_simd_register<Scalar>::value;

}  // namespace wrnn::simd

/// The register-tile engine of the kernels (kernels/tile.hpp).
namespace wrnn::tile {

/// One SIMD register of Scalar, the target's widest (xsimd's default architecture).
template <class Scalar>
using Batch = xsimd::batch<Scalar>;
/// Scalars per SIMD register.
template <class Scalar>
inline constexpr Index lanes = static_cast<Index>(Batch<Scalar>::size);

/// The vector register file of the target: 32 registers on AVX-512 and AArch64, 16 on SSE (the
/// portable x86-64 build) and AVX2.
inline constexpr int vector_registers = XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64 ? 32 : 16;

/// Tile sizes common to every register file. Six output channels cover the copy task's C = 6 in
/// one block and leave small remainders elsewhere; a k = 3 kernel's taps are one weight tile.
struct CommonTiles {
  static constexpr int output_channels = 6;  ///< output channels of every convolution tile
  static constexpr int weight_taps = 3;      ///< taps of the lanes weight-gradient tile
  static constexpr int sample_vectors = 2;   ///< vectors of samples a lanes tile takes at most
  static constexpr int narrow_rows = 5;      ///< weight rows of a narrow-product tile
};

/// Register tiles sized for a file of Registers vector registers: each size is chosen so that a
/// tile's accumulators, the operands loaded beside them and a broadcast weight stay in
/// registers (the sum each comment gives). Specialised for 16 and for 32 registers.
template <int Registers>
struct TileTraits;

/// 16 registers: SSE (the portable x86-64 build) and AVX2.
template <>
struct TileTraits<16> : CommonTiles {
  static constexpr int registers = 16;    ///< vector registers the tiles are sized for
  static constexpr int ring_vectors = 2;  ///< padded-ring forward: 6 x 2 + 2 inputs + 1 = 15
  static constexpr int row_cells = 2;     ///< wrapped-row forward, rows x vectors: 6 x 2 + 2 = 14
  static constexpr int row_weight_channels = 3;  ///< wrapped-row weight gradient: 3 x 3 + 3 + 1
  static constexpr int mix_vectors = 2;          ///< Winograd mixing, columns: 6 x 2 + 2 + 1 = 15
  static constexpr int mix_tiles = 1;  ///< Winograd mixing, lanes: 6 x 1 x 2 vectors + 3 = 15
  static constexpr int winograd_weight_outputs = 2;  ///< Winograd weight gradient: 2 x 5 + 2 + 1
  static constexpr int winograd_weight_inputs = 5;   ///< its input tiles (2 x 5 above)
  static constexpr int affine_rows = 6;              ///< lanes affine: 6 x 2 + 2 + 1 = 15
  static constexpr int transposed_rows = 4;          ///< W^T in: 4 x 2 inputs + 3 x 2 + 1 = 15
  static constexpr int sample_product_rows = 6;      ///< a b^T: 6 + 8 transposed + 1 = 15
  static constexpr int narrow_vectors = 2;           ///< narrow products: 5 x 2 + 2 + 1 = 13
};

/// 32 registers: AVX-512 and AArch64.
template <>
struct TileTraits<32> : CommonTiles {
  static constexpr int registers = 32;               ///< vector registers the tiles are sized for
  static constexpr int ring_vectors = 4;             ///< 6 x 4 + 4 + 1 = 29
  static constexpr int row_cells = 4;                ///< 6 x 4 + 1 + 1 = 26
  static constexpr int row_weight_channels = 6;      ///< 6 x 3 + 6 + 1 = 25
  static constexpr int mix_vectors = 4;              ///< 6 x 4 + 4 + 1 = 29
  static constexpr int mix_tiles = 2;                ///< 6 x 2 x 2 + 4 + 1 = 29
  static constexpr int winograd_weight_outputs = 4;  ///< 4 x 6 + 4 + 1 = 29
  static constexpr int winograd_weight_inputs = 6;   ///< its input tiles (4 x 6 above)
  static constexpr int affine_rows = 12;             ///< 12 x 2 + 2 + 1 = 27
  static constexpr int transposed_rows = 10;         ///< 10 x 2 + 4 x 2 + 1 = 29
  static constexpr int sample_product_rows = 10;     ///< 10 + 16 + 1 = 27
  static constexpr int narrow_vectors = 4;           ///< 5 x 4 + 4 + 1 = 25
};

/// The tiles of this build.
using Traits = TileTraits<vector_registers>;

/// value rounded up to a multiple of `multiple`.
constexpr Index round_up(Index value, Index multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

/// a * b + c and c - a * b, rounded once wherever the target has fused multiply-adds (twice
/// where it has none): the same instruction in every kernel that calls them. Not xsimd::fma
/// alone: xsimd 8 has no AVX-512 kernel for it and computes a * b + c, which GCC
/// (-ffp-contract=fast) fuses or not depending on the code around it, so two instantiations of
/// one tile could round differently.
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

/// c - a * b (see multiply_add).
template <class Scalar>
inline Batch<Scalar> negative_multiply_add(const Batch<Scalar>& a, const Batch<Scalar>& b,
                                           const Batch<Scalar>& c) {
#if defined(__AVX512F__)
  if constexpr (std::is_same<Scalar, float>::value && Batch<Scalar>::size == 16)
    return _mm512_fnmadd_ps(a, b, c);
  if constexpr (std::is_same<Scalar, double>::value && Batch<Scalar>::size == 8)
    return _mm512_fnmadd_pd(a, b, c);
#endif
  return xsimd::fnma(a, b, c);
}

/// The same for one scalar: one rounding where the target has fused multiply-adds.
template <class Scalar>
inline Scalar multiply_add(Scalar a, Scalar b, Scalar c) {
#if defined(__FMA__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

/// Count zeros, where a tile's start reads a row of zeros instead of branching.
template <class Scalar, int Count>
inline constexpr Scalar zeros[std::size_t{Count}] = {};

/// Calls run(std::integral_constant<int, count>{}) for a runtime count in [1, Max]: how the tiles
/// at the edge of a block get their compile-time sizes (their accumulators must be registers).
template <int Max, class Run>
inline void with_constant(Index count, Run&& run) {
  if constexpr (Max >= 1) {
    if (count == Max) return run(std::integral_constant<int, Max>{});
    with_constant<Max - 1>(count, run);
  }
}

/// Calls run(vectors, s) over the whole vectors of a batch of samples in lanes: blocks of
/// sample_vectors vectors, then a last single vector (vectors a std::integral_constant, s the
/// block's first sample). Returns where the samples past them start.
template <class Scalar, class Run>
Index for_sample_vectors(Index batch, Run&& run) {
  constexpr Index W = lanes<Scalar>, V = Traits::sample_vectors;
  const Index whole = batch / W * W;
  Index s = 0;
  for (; s + V * W <= whole; s += V * W) run(std::integral_constant<int, int{V}>{}, s);
  for (; s < whole; s += W) run(std::integral_constant<int, 1>{}, s);
  return whole;
}

/// act(z) for one register.
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

/// values[0, count) <- tanh(values), Count the count where it is known at compile time (a tile's
/// row; Eigen::Dynamic otherwise). For float Eigen's vectorised tanh (a rational
/// approximation), about twice as fast as xsimd's (exp and a blend of two branches); the tiles
/// call it on rows they have just stored, still in L1. For double, xsimd's, count a multiple of
/// the lanes.
template <int Count, class Scalar>
void tanh_in_place(Scalar* values, Index count = Count) {
  if constexpr (std::is_same<Scalar, float>::value) {
    Eigen::Map<Eigen::Array<float, Count, 1>> row(values, count);
    row = row.tanh();
  } else {
    for (Index i = 0; i < count; i += lanes<Scalar>)
      activate(Activation::tanh, Batch<Scalar>::load_unaligned(values + i))
          .store_unaligned(values + i);
  }
}

// The tile sizes below are deduced from the arrays' types; GCC's -Wsign-conversion flags such int
// template parameters as array bounds (converted to std::size_t) although they are positive
// constants.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif

/// acc[c][q][v] += w[c * stride] x[q][v] for every output channel c, row or tile q and vector
/// v: the rank-one update of a register tile, one broadcast weight per channel, that every
/// convolution tile makes for each input channel and tap (or transform point). Always inlined:
/// acc must stay in registers.
template <class Scalar, int Channels, int Rows, int Vectors>
[[gnu::always_inline]] inline void add_outer_product(Batch<Scalar> (&acc)[Channels][Rows][Vectors],
                                                     const Scalar* w,
                                                     const Batch<Scalar> (&x)[Rows][Vectors],
                                                     Index stride = 1) {
  for (int c = 0; c < Channels; ++c) {
    const Batch<Scalar> weight(w[c * stride]);
    for (int q = 0; q < Rows; ++q)
      for (int v = 0; v < Vectors; ++v) acc[c][q][v] = multiply_add(weight, x[q][v], acc[c][q][v]);
  }
}

/// acc[c][q][v] += sum over inputs i < `inputs` and taps j < `taps` (Taps where it is known at
/// compile time, 0 otherwise) of weight(i, j)[c * weight_stride] * input(i, j + q)[v * W], with
/// weight(i, j) = weights + i * input_step + j * tap_step: every convolution tile's
/// accumulation, its addressing given by the input(i, p) row it reads (a padded ring's unit, a
/// wrapped row of samples, a transformed point) and the weights' steps. Do-whiles (inputs and
/// taps >= 1): with for loops GCC 12 kept the accumulators on the stack for the path that skips
/// them, storing and reloading all of them on every call.
template <int Taps, class Scalar, int Channels, int Rows, int Vectors, class Input>
[[gnu::always_inline]] inline void add_products(Batch<Scalar> (&acc)[Channels][Rows][Vectors],
                                                Index inputs, Index taps, const Scalar* weights,
                                                Index input_step, Index tap_step,
                                                Index weight_stride, Input&& input) {
  constexpr Index W = lanes<Scalar>;
  const Index k = Taps > 0 ? Taps : taps;
  Index i = 0;
  do {
    Index j = 0;
    do {
      Batch<Scalar> x[Rows][Vectors];
      for (int q = 0; q < Rows; ++q) {
        const Scalar* row = input(i, j + q);
        for (int v = 0; v < Vectors; ++v) x[q][v] = Batch<Scalar>::load_unaligned(row + v * W);
      }
      add_outer_product(acc, weights + i * input_step + j * tap_step, x, weight_stride);
    } while (++j < k);
  } while (++i < inputs);
}

/// row[0, Vectors * W) <- act(values): ReLU and identity in registers, tanh on the stored row
/// (tanh_in_place, the row still in L1). Every direct tile's epilogue. Always inlined, the
/// activation's branch outside the loop over vectors: a call of activate() per vector, which GCC
/// keeps out of line (xsimd's tanh is in it), made a tile keep its accumulators on the stack.
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
  if (activation == Activation::tanh) tanh_in_place<Vectors* static_cast<int>(W)>(row);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace wrnn::tile
