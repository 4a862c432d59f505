/// \file
/// Two of the three products of a readout with few output rows, samples in columns:
///
///     forward:          y[r][m]   = b[r] + sum_i w[r][i] * h[i][m]     y = W h + b
///     weight gradient:  dw[r][i] += sum_m dy[r][m] * h[i][m]            dW += dy h^T
///
/// W is o x N, row-major (a Parameter's layout); h, y and dy are column-major with one column
/// per sample. o is small where a readout runs every step (the copy task: o = 10, N = 600, 32
/// samples a chunk), too short a depth to pay for the packing of both operands that Eigen's GEMM
/// does for every product. These tiles need none: the forward's R rows x samples accumulators
/// take dot products of contiguous weight rows and state columns, their lanes summed once at the
/// end; the gradient's R rows x vectors of units accumulators run over all samples and are added
/// to dW once. A sample's outputs do not depend on the other samples, and the weight gradient
/// sums the samples in order. The third product, dh += W^T dy, stays Eigen's: a plain
/// column-major GEMM there, faster than a hand-written tile at the copy task's shape
/// (docs/kernels.md).
#pragma once

#include <algorithm>

#include "wrnn/kernels/tile.hpp"

WRNN_KERNELS_BEGIN

namespace wrnn::simd {

namespace detail {

using tile::Batch;
using tile::lanes;
using tile::multiply_add;

// y[r][m] = b[r] + w[r] . h[m] for the R rows from `w` and the Cols columns from `h`.
template <class Scalar, int R, int Cols>
void dot_tile(const Scalar* w, Index w_stride, const Scalar* bias, const Scalar* h, Index h_stride,
              Index units, Scalar* y, Index y_stride) {
  using B = Batch<Scalar>;
  constexpr Index W = lanes<Scalar>;
  B sum[std::size_t{R}][std::size_t{Cols}];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < Cols; ++c) sum[r][c] = B(Scalar(0));
  const Index vector_end = units / W * W;
  for (Index i = 0; i < vector_end; i += W) {
    B column[std::size_t{Cols}];
    for (int c = 0; c < Cols; ++c) column[c] = B::load_unaligned(h + c * h_stride + i);
    for (int r = 0; r < R; ++r) {
      const B weight = B::load_unaligned(w + r * w_stride + i);
      for (int c = 0; c < Cols; ++c) sum[r][c] = multiply_add(weight, column[c], sum[r][c]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < Cols; ++c) {
      Scalar total = xsimd::hadd(sum[r][c]);
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
  B sum[std::size_t{R}][std::size_t{V}];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) sum[r][v] = B(Scalar(0));
  for (Index m = 0; m < samples; ++m) {
    B units[std::size_t{V}];
    for (int v = 0; v < V; ++v) units[v] = B::load_unaligned(h + m * h_stride + v * W);
    for (int r = 0; r < R; ++r) {
      const B grad(dy[m * dy_stride + r]);
      for (int v = 0; v < V; ++v) sum[r][v] = multiply_add(grad, units[v], sum[r][v]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) {
      Scalar* out = dw + r * dw_stride + v * W;
      (B::load_unaligned(out) + sum[r][v]).store_unaligned(out);
    }
}

}  // namespace detail

/// y (o x M, columns y_stride apart) = w (o x N, rows w_stride apart) h (N x M, columns h_stride
/// apart) + bias.
template <class Scalar>
void narrow_affine(const Scalar* w, Index w_stride, const Scalar* bias, Index rows, Index units,
                   const Scalar* h, Index h_stride, Index samples, Scalar* y, Index y_stride) {
  using namespace detail;
  for (Index r0 = 0; r0 < rows; r0 += tile::Traits::narrow_rows) {
    tile::with_constant<tile::Traits::narrow_rows>(
        std::min<Index>(tile::Traits::narrow_rows, rows - r0), [&](auto tile_rows) {
          constexpr int R = decltype(tile_rows)::value;
          const Scalar* w_rows = w + r0 * w_stride;
          Index m = 0;
          for (; m + tile::Traits::narrow_vectors <= samples; m += tile::Traits::narrow_vectors)
            dot_tile<Scalar, R, tile::Traits::narrow_vectors>(w_rows, w_stride, bias + r0,
                                                              h + m * h_stride, h_stride, units,
                                                              y + m * y_stride + r0, y_stride);
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
  for (Index r0 = 0; r0 < rows; r0 += tile::Traits::narrow_rows) {
    tile::with_constant<tile::Traits::narrow_rows>(
        std::min<Index>(tile::Traits::narrow_rows, rows - r0), [&](auto tile_rows) {
          constexpr int R = decltype(tile_rows)::value;
          const Scalar* dy_rows = dy + r0;
          Scalar* dw_rows = dw + r0 * dw_stride;
          Index i = 0;
          for (; i + tile::Traits::narrow_vectors * W <= units;
               i += tile::Traits::narrow_vectors * W)
            gradient_tile<Scalar, R, tile::Traits::narrow_vectors>(
                dy_rows, dy_stride, h + i, h_stride, samples, dw_rows + i, dw_stride);
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

WRNN_KERNELS_END
