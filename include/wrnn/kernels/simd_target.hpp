// What the hand-written xsimd kernels know of the target the compiler builds for: whether Scalar
// has a SIMD register, the register type and its lanes, and how many vector registers there are
// (which sets the kernels' register tiles).
#pragma once

#include <xsimd/xsimd.hpp>

#include "wrnn/core/types.hpp"

namespace wrnn::simd {

// True where xsimd has a SIMD register for Scalar under the compiler's target flags (float and
// double on any x86-64; float only on 32-bit ARM NEON). Otherwise the reference is used.
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

}  // namespace detail
}  // namespace wrnn::simd
