/// \file
/// Two of the three products of a readout with few output rows, hand-written with xsimd:
///
///     forward:          y[r][m]   = b[r] + sum_i w[r][i] * h[i][m]     y = W h + b
///     weight gradient:  dw[r][i] += sum_m dy[r][m] * h[i][m]            dW += dy h^T
///
/// W is o x N, row-major (a Parameter's layout); h, y and dy are column-major with one column
/// per sample. o is small where a readout runs every step (the copy task: o = 10, N = 600, 32
/// samples a chunk), and Eigen's GEMM, built for large squarish blocks, packs both operands for
/// every such product (and its depth, o, is too short to pay for that). These kernels need no
/// packing:
///   - forward: every output is the dot product of a contiguous weight row and a contiguous
///     state column. A tile of R rows x forward_columns samples keeps one SIMD accumulator per
///     output; each step over the units loads forward_columns state vectors and R weight vectors
///     for R * forward_columns FMAs, and the lanes of each accumulator are summed once, at the
///     end.
///   - weight gradient: a tile of R rows x gradient_vectors SIMD vectors of units keeps its
///     accumulators over all M samples, each sample loading the tile's state vectors and
///     broadcasting R gradients, and adds them to dW once.
///
/// Both results are fixed by the inputs and o: a sample's outputs do not depend on the other
/// samples or their number (each column runs the same lanes in the same order whatever tile it
/// is in), and the weight gradient sums the samples in order.
/// The third product, the backward to the state dh += W^T dy, stays Eigen's: it is a plain
/// column-major GEMM there, and a hand-written tile of (vectors of units x samples) accumulators
/// over the o rows is slower than Eigen's at the copy task's shape (11.2 against 8.2 us of CPU
/// time, bench_readout, AVX2 build; docs/kernels.md).
#pragma once

#include <algorithm>
#include <array>

#include "wrnn/kernels/tile.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // see circular_conv_simd.hpp
#endif

namespace wrnn::simd {

namespace detail {

using tile::Batch;
using tile::lanes;
using tile::multiply_add;

// Up to narrow_rows rows per tile, each forward tile over narrow_vectors samples and each
// gradient tile over narrow_vectors vectors of units (tile.hpp).
inline constexpr int narrow_rows = tile::Traits::narrow_rows;
inline constexpr int forward_columns = tile::Traits::narrow_vectors;
inline constexpr int gradient_vectors = tile::Traits::narrow_vectors;

// y[r][m] = b[r] + w[r] . h[m] for the R rows from `w` and the Cols columns from `h`.
template <class Scalar, int R, int Cols>
void dot_tile(const Scalar* w, Index w_stride, const Scalar* bias, const Scalar* h, Index h_stride,
              Index units, Scalar* y, Index y_stride) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  std::array<std::array<B, std::size_t{Cols}>, std::size_t{R}> sum;
  for (auto& row : sum) row.fill(B(Scalar(0)));
  const Index vector_end = units / W * W;
  for (Index i = 0; i < vector_end; i += W) {
    std::array<B, std::size_t{Cols}> column;
    for (int c = 0; c < Cols; ++c)
      column[static_cast<std::size_t>(c)] = B::load_unaligned(h + c * h_stride + i);
    for (int r = 0; r < R; ++r) {
      const B weight = B::load_unaligned(w + r * w_stride + i);
      for (int c = 0; c < Cols; ++c) {
        const auto row = static_cast<std::size_t>(r), col = static_cast<std::size_t>(c);
        sum[row][col] = multiply_add(weight, column[col], sum[row][col]);
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < Cols; ++c) {
      Scalar total = xsimd::hadd(sum[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)]);
      for (Index i = vector_end; i < units; ++i) total += w[r * w_stride + i] * h[c * h_stride + i];
      y[c * y_stride + r] = total + bias[r];
    }
  }
}

// dw[r][i..i + V*W) += sum_m dy[r][m] * h[i..i + V*W)[m] for the R rows from `dw`.
template <class Scalar, int R, int V>
void gradient_tile(const Scalar* dy, Index dy_stride, const Scalar* h, Index h_stride,
                   Index samples, Scalar* dw, Index dw_stride) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  std::array<std::array<B, std::size_t{V}>, std::size_t{R}> sum;
  for (auto& row : sum) row.fill(B(Scalar(0)));
  for (Index m = 0; m < samples; ++m) {
    std::array<B, std::size_t{V}> units;
    for (int v = 0; v < V; ++v)
      units[static_cast<std::size_t>(v)] = B::load_unaligned(h + m * h_stride + v * W);
    for (int r = 0; r < R; ++r) {
      const B grad(dy[m * dy_stride + r]);
      for (int v = 0; v < V; ++v) {
        const auto row = static_cast<std::size_t>(r), vector = static_cast<std::size_t>(v);
        sum[row][vector] = multiply_add(grad, units[vector], sum[row][vector]);
      }
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) {
      Scalar* out = dw + r * dw_stride + v * W;
      (B::load_unaligned(out) + sum[static_cast<std::size_t>(r)][static_cast<std::size_t>(v)])
          .store_unaligned(out);
    }
}

}  // namespace detail

/// y (o x M, columns y_stride apart) = w (o x N, rows w_stride apart) h (N x M, columns h_stride
/// apart) + bias.
template <class Scalar>
void narrow_affine(const Scalar* w, Index w_stride, const Scalar* bias, Index rows, Index units,
                   const Scalar* h, Index h_stride, Index samples, Scalar* y, Index y_stride) {
  using namespace detail;
  for (Index r0 = 0; r0 < rows; r0 += narrow_rows) {
    tile::with_constant<narrow_rows>(std::min<Index>(narrow_rows, rows - r0), [&](auto tile_rows) {
      constexpr int R = decltype(tile_rows)::value;
      const Scalar* w_rows = w + r0 * w_stride;
      Index m = 0;
      for (; m + forward_columns <= samples; m += forward_columns)
        dot_tile<Scalar, R, forward_columns>(w_rows, w_stride, bias + r0, h + m * h_stride,
                                             h_stride, units, y + m * y_stride + r0, y_stride);
      for (; m < samples; ++m)
        dot_tile<Scalar, R, 1>(w_rows, w_stride, bias + r0, h + m * h_stride, h_stride, units,
                               y + m * y_stride + r0, y_stride);
    });
  }
}

/// dw (o x N, rows dw_stride apart) += dy (o x M, columns dy_stride apart) h^T (h: N x M, columns
/// h_stride apart).
template <class Scalar>
void narrow_weight_gradient(const Scalar* dy, Index dy_stride, Index rows, const Scalar* h,
                            Index h_stride, Index units, Index samples, Scalar* dw,
                            Index dw_stride) {
  using namespace detail;
  constexpr Index W = lanes<Scalar>;
  for (Index r0 = 0; r0 < rows; r0 += narrow_rows) {
    tile::with_constant<narrow_rows>(std::min<Index>(narrow_rows, rows - r0), [&](auto tile_rows) {
      constexpr int R = decltype(tile_rows)::value;
      const Scalar* dy_rows = dy + r0;
      Scalar* dw_rows = dw + r0 * dw_stride;
      Index i = 0;
      for (; i + gradient_vectors * W <= units; i += gradient_vectors * W)
        gradient_tile<Scalar, R, gradient_vectors>(dy_rows, dy_stride, h + i, h_stride, samples,
                                                   dw_rows + i, dw_stride);
      for (; i + W <= units; i += W)
        gradient_tile<Scalar, R, 1>(dy_rows, dy_stride, h + i, h_stride, samples, dw_rows + i,
                                    dw_stride);
      for (; i < units; ++i)  // the last units % W, one scalar sum each
        for (int r = 0; r < R; ++r) {
          Scalar total = 0;
          for (Index m = 0; m < samples; ++m)
            total += dy_rows[m * dy_stride + r] * h[m * h_stride + i];
          dw_rows[r * dw_stride + i] += total;
        }
    });
  }
}

}  // namespace wrnn::simd

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
