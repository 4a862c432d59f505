// SIMD lanes for the gated cells' fused elementwise loops (LSTM and GRU epilogues and their
// backward counterparts).
//
// Why not Eigen array expressions: a gate block is one H-long segment per sample (H = 100 in the
// paper's configurations) at an arbitrary alignment, and Eigen peels a scalar prologue up to the
// next aligned address and a scalar tail off every such segment and every expression; with
// 16-float packets that is a large share of H. Here one loop runs the whole formula per lane with
// unaligned loads, narrower batches for the remainder, and at most a few elements go through the
// scalar path.
//
// The body is written once, generic over the lane type V (xsimd::batch<Scalar> or Scalar), so the
// vector body and the scalar tail compute the same formula.
#pragma once

#include <cmath>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "wrnn/core/types.hpp"

namespace wrnn {
namespace detail {

template <class V>
struct LaneType {
  using type = V;
};

// Runs body(j, LaneType<Batch>{}) for j = first, first + width, ... while a whole batch fits
// below count; returns the first j it did not cover.
template <class Batch, class Body>
Index run_batches(Index first, Index count, Body& body) {
  constexpr Index width = static_cast<Index>(Batch::size);
  Index j = first;
  for (; j + width <= count; j += width) body(j, LaneType<Batch>{});
  return j;
}

// Calls body(j, LaneType<V>{}) over [0, count): with V = xsimd::batch<Scalar> (the widest
// instruction set compiled for), then with the narrower 256- and 128-bit batches for what remains
// (so that H = 100 floats on AVX-512 is 6 x 16 + 1 x 4, no scalar tail), then with V = Scalar.
template <class Scalar, class Body>
void for_each_lane(Index count, Body&& body) {
  using Widest = xsimd::batch<Scalar>;
  Index j = run_batches<Widest>(0, count, body);
#if XSIMD_WITH_AVX
  if constexpr (Widest::size > xsimd::batch<Scalar, xsimd::avx>::size)
    j = run_batches<xsimd::batch<Scalar, xsimd::avx>>(j, count, body);
#endif
#if XSIMD_WITH_SSE2
  if constexpr (Widest::size > xsimd::batch<Scalar, xsimd::sse2>::size)
    j = run_batches<xsimd::batch<Scalar, xsimd::sse2>>(j, count, body);
#endif
  for (; j < count; ++j) body(j, LaneType<Scalar>{});
}

template <class V, class Scalar>
V load_lanes(const Scalar* p) {
  if constexpr (std::is_same_v<V, Scalar>)
    return *p;
  else
    return V::load_unaligned(p);
}

template <class V, class Scalar>
void store_lanes(Scalar* p, const V& v) {
  if constexpr (std::is_same_v<V, Scalar>)
    *p = v;
  else
    v.store_unaligned(p);
}

// 1 / (1 + exp(-x)), as torch.sigmoid.
template <class V>
V sigmoid_of(const V& x) {
  using std::exp;
  return V(1) / (V(1) + exp(-x));
}

template <class V>
V tanh_of(const V& x) {
  using std::tanh;
  return tanh(x);
}

}  // namespace detail
}  // namespace wrnn
