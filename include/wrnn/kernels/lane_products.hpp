/// \file
/// The matrix products of a model whose states keep their samples in SIMD lanes
/// (StateLayout::sample_lanes, core/state_layout.hpp): every operand with a sample dimension is
/// a row-major (rows x b) matrix, one row per unit or output, its b samples side by side. The
/// readout of the wave cell's states and their input projection run on these:
///
///     affine:                  out  = W in + bias           out (M x b), W (M x K), in (K x b)
///     add_transposed_product:  out += W^T in                out (K x b), W (M x K), in (M x b)
///     add_sample_products:     out += a b^T                 out (M x K), a (M x b), b (K x b)
///
/// W and out of add_sample_products are row-major with their own row strides (PyTorch's
/// [out, in] weights, gradients in place); the others' rows are b apart. affine and
/// add_transposed_product keep a block of output rows x vectors of samples in registers and
/// stream the other operand's rows through it; add_sample_products sums over the samples, the
/// lanes: b's W x W blocks transposed in registers (or, for one to three rows of a, W vectors of
/// lane products transposed and added up). Samples past the last whole vector are added one by
/// one. Every result adds its terms in a fixed order that depends only on the sizes.
#pragma once

#include <algorithm>
#include <type_traits>

#include <Eigen/Core>

#include "wrnn/core/types.hpp"
#include "wrnn/kernels/tile.hpp"

namespace wrnn::lanes {

namespace detail {

using tile::Batch;
using tile::lanes;
using tile::multiply_add;

// Calls block(rows, first) for blocks of rows covering [0, count): blocks of Max rows, then one
// each of 8, 4, 2, 1 rows for the rest (rows a std::integral_constant).
template <int Max, class Block>
void for_row_blocks(Index count, Block&& block) {
  Index first = 0;
  for (; first + Max <= count; first += Max) block(std::integral_constant<int, Max>{}, first);
  auto rest = [&](auto rows) {
    if constexpr (decltype(rows)::value < Max)
      if (first + decltype(rows)::value <= count) {
        block(rows, first);
        first += decltype(rows)::value;
      }
  };
  rest(std::integral_constant<int, 8>{});
  rest(std::integral_constant<int, 4>{});
  rest(std::integral_constant<int, 2>{});
  rest(std::integral_constant<int, 1>{});
}

// out rows [m0, m0 + Rows), samples [s, s + Vectors * W):
//   out[m] = bias[m] + sum over the listed inputs k of weight[m][k] * in[k]
// input_count >= 1 (affine() writes the bias alone itself): a do-while, for the reason
// circular_conv_lanes_winograd.hpp's mix_tile gives.
template <class Scalar, int Rows, int Vectors>
void affine_block(const Scalar* weight, Index weight_stride, const Scalar* bias, const Scalar* in,
                  const Index* inputs, Index input_count, Scalar* out, Index batch, Index m0,
                  Index s) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  // The bias rows or zeros, chosen once: a choice per row kept the accumulators on the stack.
  const Scalar* start = bias ? bias + m0 : tile::zeros<Scalar, Rows>;
  B acc[std::size_t{Rows}][std::size_t{Vectors}];
  for (int m = 0; m < Rows; ++m)
    for (int v = 0; v < Vectors; ++v) acc[m][v] = B(start[m]);
  Index a = 0;
  do {
    const Index k = inputs ? inputs[a] : a;
    B x[std::size_t{Vectors}];
    for (int v = 0; v < Vectors; ++v) x[v] = B::load_unaligned(in + k * batch + s + v * W);
    for (int m = 0; m < Rows; ++m) {
      const B w(weight[(m0 + m) * weight_stride + k]);
      for (int v = 0; v < Vectors; ++v) acc[m][v] = multiply_add(w, x[v], acc[m][v]);
    }
  } while (++a < input_count);
  for (int m = 0; m < Rows; ++m)
    for (int v = 0; v < Vectors; ++v) acc[m][v].store_unaligned(out + (m0 + m) * batch + s + v * W);
}

// out rows [0, K), samples [s, s + Vectors * W), for rows m of `in` in [m0, m0 + Block):
//   out[k] += sum_m weight[m][k] * in[m]
// The Block x Vectors input vectors stay in registers over all of out's rows, which go by in
// tiles of Rows.
template <class Scalar, int Block, int Vectors>
void transposed_block(const Scalar* weight, Index weight_stride, Index cols, const Scalar* in,
                      Scalar* out, Index batch, Index m0, Index s) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  constexpr int Rows =
      std::max(1, std::min(4, (tile::Traits::registers - 2 - Block * Vectors) / Vectors));
  B x[std::size_t{Block}][std::size_t{Vectors}];
  for (int m = 0; m < Block; ++m)
    for (int v = 0; v < Vectors; ++v)
      x[m][v] = B::load_unaligned(in + (m0 + m) * batch + s + v * W);
  auto tile = [&](auto rows, Index k0) {
    constexpr int Rs = decltype(rows)::value;
    B acc[std::size_t{Rs}][std::size_t{Vectors}];
    for (int q = 0; q < Rs; ++q)
      for (int v = 0; v < Vectors; ++v)
        acc[q][v] = B::load_unaligned(out + (k0 + q) * batch + s + v * W);
    for (int m = 0; m < Block; ++m)
      for (int q = 0; q < Rs; ++q) {
        const B w(weight[(m0 + m) * weight_stride + k0 + q]);
        for (int v = 0; v < Vectors; ++v) acc[q][v] = multiply_add(w, x[m][v], acc[q][v]);
      }
    for (int q = 0; q < Rs; ++q)
      for (int v = 0; v < Vectors; ++v)
        acc[q][v].store_unaligned(out + (k0 + q) * batch + s + v * W);
  };
  Index k0 = 0;
  for (; k0 + Rows <= cols; k0 += Rows) tile(std::integral_constant<int, Rows>{}, k0);
  for (; k0 < cols; ++k0) tile(std::integral_constant<int, 1>{}, k0);
}

// GCC warns that an intrinsic vector type (__m128, the packet of Eigen and the register of
// xsimd) loses its alignment attribute as a template argument; both libraries use it so.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#endif
// Transposes a W x W block held in W vectors: on return rows[s] holds what was lane s of every
// row. Eigen's in-register transpose (ptranspose, what its GEMM kernels use) where Eigen's packet
// for Scalar is xsimd's register, else through memory.
template <class Scalar>
void transpose(Batch<Scalar> (&rows)[lanes<Scalar>]) {
  constexpr int W = static_cast<int>(lanes<Scalar>);
  using Packet = typename Eigen::internal::packet_traits<Scalar>::type;
  if constexpr (std::is_same<Packet, typename Batch<Scalar>::register_type>::value &&
                Eigen::internal::unpacket_traits<Packet>::size == W) {
    Eigen::internal::PacketBlock<Packet, W> block;
    for (int q = 0; q < W; ++q) block.packet[q] = rows[q];
    Eigen::internal::ptranspose(block);
    for (int q = 0; q < W; ++q) rows[q] = block.packet[q];
  } else {
    alignas(64) Scalar values[std::size_t{W * W}];
    for (int q = 0; q < W; ++q) rows[q].store_aligned(values + q * W);
    for (int q = 0; q < W; ++q)
      for (int s = q + 1; s < W; ++s) std::swap(values[q * W + s], values[s * W + q]);
    for (int q = 0; q < W; ++q) rows[q] = Batch<Scalar>::load_aligned(values + q * W);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// The sums of the lanes of W vectors, as the lanes of one: lane q holds the sum of vectors[q]'s
// lanes (the transpose, then W - 1 additions). Not xsimd::haddp, whose AVX-512 float version in
// xsimd 8.1 returns the sums in a shuffled order (lanes 2..5 and 10..13 swapped in pairs).
template <class Scalar>
Batch<Scalar> lane_sums(Batch<Scalar> (&vectors)[lanes<Scalar>]) {
  transpose<Scalar>(vectors);
  Batch<Scalar> sum = vectors[0];
  for (Index s = 1; s < lanes<Scalar>; ++s) sum += vectors[s];
  return sum;
}

}  // namespace detail

/// From this many rows of `a` on, add_sample_products transposes b's blocks (one pass over b for
/// all of a's rows); below, it makes a pass over b per row of a.
inline constexpr Index transposing_rows = 4;

namespace detail {

// out rows [m0, m0 + Rows), columns [k0, k0 + W): out[m][k] += sum over the whole vectors of
// samples of a[m][s] * b[k][s], with b's W x W blocks transposed so that a[m][s] is a broadcast
// and the W columns k are lanes.
template <class Scalar, int Rows>
void sample_product_block(const Scalar* a, const Scalar* b, Scalar* out, Index out_stride,
                          Index vectors, Index batch, Index m0, Index k0) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  B acc[std::size_t{Rows}];
  for (int m = 0; m < Rows; ++m) acc[m] = B(Scalar(0));
  Index v = 0;
  do {  // vectors >= 1: a do-while, as in affine_block
    B columns[std::size_t{W}];
    for (Index q = 0; q < W; ++q) columns[q] = B::load_unaligned(b + (k0 + q) * batch + v * W);
    transpose<Scalar>(columns);
    for (int m = 0; m < Rows; ++m) {
      const Scalar* a_row = a + (m0 + m) * batch + v * W;
      for (Index s = 0; s < W; ++s) acc[m] = multiply_add(B(a_row[s]), columns[s], acc[m]);
    }
  } while (++v < vectors);
  for (int m = 0; m < Rows; ++m) {
    Scalar* target = out + (m0 + m) * out_stride + k0;
    (B::load_unaligned(target) + acc[m]).store_unaligned(target);
  }
}

}  // namespace detail

/// out (M x b) = weight (M x K, rows weight_stride apart) in (K x b) + bias (may be null), over
/// the inputs k listed in inputs[0 .. input_count) (inputs null: every k < input_count; rows of
/// `in` not listed count as zero).
template <class Scalar>
void affine(const Scalar* weight, Index weight_stride, Index rows, const Scalar* bias,
            const Scalar* in, const Index* inputs, Index input_count, Scalar* out, Index batch) {
  auto input = [&](Index a) { return inputs ? inputs[a] : a; };
  if (input_count == 0) {  // no input in use: the bias alone
    for (Index m = 0; m < rows; ++m)
      std::fill(out + m * batch, out + (m + 1) * batch, bias ? bias[m] : Scalar(0));
    return;
  }
  if constexpr (simd::available<Scalar>) {
    const Index done = tile::for_sample_vectors<Scalar>(batch, [&](auto vectors, Index s) {
      constexpr int V = decltype(vectors)::value;
      detail::for_row_blocks<tile::Traits::affine_rows>(rows, [&](auto block, Index m0) {
        detail::affine_block<Scalar, decltype(block)::value, V>(
            weight, weight_stride, bias, in, inputs, input_count, out, batch, m0, s);
      });
    });
    for (Index m = 0; m < rows; ++m)
      for (Index s = done; s < batch; ++s) {
        Scalar sum = bias ? bias[m] : Scalar(0);
        for (Index a = 0; a < input_count; ++a)
          sum = tile::multiply_add(weight[m * weight_stride + input(a)], in[input(a) * batch + s],
                                   sum);
        out[m * batch + s] = sum;
      }
  } else {
    for (Index m = 0; m < rows; ++m)
      for (Index s = 0; s < batch; ++s) {
        Scalar sum = bias ? bias[m] : Scalar(0);
        for (Index a = 0; a < input_count; ++a)
          sum += weight[m * weight_stride + input(a)] * in[input(a) * batch + s];
        out[m * batch + s] = sum;
      }
  }
}

/// out (K x b) += weight^T in, weight (M x K, rows weight_stride apart), in (M x b).
template <class Scalar>
void add_transposed_product(const Scalar* weight, Index weight_stride, Index rows, Index cols,
                            const Scalar* in, Scalar* out, Index batch) {
  if constexpr (simd::available<Scalar>) {
    const Index done = tile::for_sample_vectors<Scalar>(batch, [&](auto vectors, Index s) {
      detail::for_row_blocks<tile::Traits::transposed_rows>(rows, [&](auto block, Index m0) {
        detail::transposed_block<Scalar, decltype(block)::value, decltype(vectors)::value>(
            weight, weight_stride, cols, in, out, batch, m0, s);
      });
    });
    for (Index k = 0; k < cols; ++k)
      for (Index s = done; s < batch; ++s) {
        Scalar sum = out[k * batch + s];
        for (Index m = 0; m < rows; ++m)
          sum = tile::multiply_add(weight[m * weight_stride + k], in[m * batch + s], sum);
        out[k * batch + s] = sum;
      }
  } else {
    for (Index k = 0; k < cols; ++k)
      for (Index s = 0; s < batch; ++s)
        for (Index m = 0; m < rows; ++m)
          out[k * batch + s] += weight[m * weight_stride + k] * in[m * batch + s];
  }
}

/// out (M x K, rows out_stride apart) += a (M x b) b^T (b: K x b): the sum over the samples of
/// a's rows times b's rows. From 4 rows of `a` on (a readout's weight gradient), b's rows go in
/// groups of W, each W x W block transposed so that the W sums of a row of `a` are the lanes of
/// one vector; with fewer (the input projection's gradients), the W lane products of W rows of b
/// are added up across their lanes at once (lane_sums), one transpose for all the vectors of
/// samples. Either way the samples past the last whole vector are added one by one at the end.
template <class Scalar>
void add_sample_products(const Scalar* a, Index a_rows, const Scalar* b, Index b_rows, Scalar* out,
                         Index out_stride, Index batch) {
  if constexpr (simd::available<Scalar>) {
    using B = detail::Batch<Scalar>;
    constexpr Index W = detail::lanes<Scalar>;
    const Index vectors = batch / W, whole = vectors * W;
    Index k_done = 0;  // columns of out the transposing path has covered
    if (a_rows >= transposing_rows && vectors > 0) {
      k_done = b_rows / W * W;
      for (Index k0 = 0; k0 < k_done; k0 += W)
        detail::for_row_blocks<tile::Traits::sample_product_rows>(a_rows, [&](auto rows, Index m0) {
          detail::sample_product_block<Scalar, decltype(rows)::value>(a, b, out, out_stride,
                                                                      vectors, batch, m0, k0);
        });
    }
    for (Index m = 0; m < a_rows; ++m) {
      const Scalar* a_row = a + m * batch;
      Scalar* out_row = out + m * out_stride;
      auto lane_products = [&](Index k) {
        const Scalar* b_row = b + k * batch;
        B sum(Scalar(0));
        for (Index v = 0; v < vectors; ++v)
          sum = detail::multiply_add(B::load_unaligned(a_row + v * W),
                                     B::load_unaligned(b_row + v * W), sum);
        return sum;
      };
      Index k0 = k_done;
      for (; k0 + W <= b_rows; k0 += W) {
        B products[std::size_t{W}];
        for (Index q = 0; q < W; ++q) products[q] = lane_products(k0 + q);
        (B::load_unaligned(out_row + k0) + detail::lane_sums<Scalar>(products))
            .store_unaligned(out_row + k0);
      }
      for (; k0 < b_rows; ++k0) out_row[k0] += xsimd::hadd(lane_products(k0));
      if (whole < batch)
        for (Index k = 0; k < b_rows; ++k) {
          Scalar sum(0);
          for (Index s = whole; s < batch; ++s)
            sum = tile::multiply_add(a_row[s], b[k * batch + s], sum);
          out_row[k] += sum;
        }
    }
  } else {
    for (Index m = 0; m < a_rows; ++m)
      for (Index k = 0; k < b_rows; ++k) {
        Scalar sum(0);
        for (Index s = 0; s < batch; ++s) sum += a[m * batch + s] * b[k * batch + s];
        out[m * out_stride + k] += sum;
      }
  }
}

}  // namespace wrnn::lanes
