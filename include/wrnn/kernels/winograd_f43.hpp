/// \file
/// Winograd's minimal filtering F(4, 3) in one dimension (Lavin & Gray 2016, "Fast algorithms
/// for convolutional neural networks"): the algorithm both Winograd kernel families run, for
/// states with each sample's values together (circular_conv_winograd.hpp) and with the samples
/// in SIMD lanes (circular_conv_lanes_winograd.hpp), and its transforms, lane-wise.
///
/// Cut each ring into T = n/4 tiles of 4 output units. Tile t reads the 6 inputs
/// d_m = h[(4t - 1 + m) mod n], m = 0..5 (its 4 units and one halo unit on each side), and
// clang-format off
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
/// input V_x[c'] = (B^T d[c'])_x and the transformed weights U_x[c][c'] = (G u[c][c'])_x,
///
///     M_x[c] = sum_{c'} U_x[c][c'] V_x[c']     (x = 0..5: six C x C by C x T products)
///     y[c]   = A^T M[c] + b_u[c]
///
/// so each output tile costs 6 C multiply-adds per channel instead of 12 C (direct: 4 units x 3
/// taps x C), plus the transforms, whose cost does not grow with C. The backward to the state
/// is the same with u'[c'][c][j] = u[c][c'][2 - j]; the backward to the weights is the
/// transpose of the chain (row 1 of A is all ones: dM_1 is a tile's sum of g):
///
///     dM_x[c] = (A g[c])_x,   dU_x[c][c'] = sum over tiles and samples of dM_x[c] V_x[c'],
///     grad_u[c][c'][j] += sum_x G[x][j] dU_x[c][c'],   grad_b[c] += sum of dM_1[c]
// clang-format on
#pragma once

#include "wrnn/kernels/tile.hpp"

/// Winograd's minimal filtering F(4, 3) in one dimension (winograd_f43.hpp).
namespace wrnn::winograd_f43 {

constexpr Index tile_units = 4;  ///< output units per tile
constexpr Index points = 6;      ///< transform points per tile: 4 + 3 - 1

/// G, the weights' transform (taps to points): U_x = sum_j G[x][j] u_j; and, transposed, how the
/// points' weight gradients dU_x come back to the taps: du_j = sum_x G[x][j] dU_x.
constexpr double weight_transform[points][3] = {{1.0 / 4, 0, 0},
                                                {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                                {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                                {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                                {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                                {0, 0, 1}};

/// U = G u for one channel pair's three taps, in one fixed order of fused multiply-adds.
template <class Scalar>
inline void transform_taps(const Scalar (&u)[3], Scalar* U, Index stride) {
  for (Index x = 0; x < points; ++x) {
    Scalar sum = static_cast<Scalar>(weight_transform[x][0]) * u[0];
    sum = tile::multiply_add(static_cast<Scalar>(weight_transform[x][1]), u[1], sum);
    U[x * stride] = tile::multiply_add(static_cast<Scalar>(weight_transform[x][2]), u[2], sum);
  }
}

/// V = B^T d for a register of tiles. Always inlined: GCC kept it a call per vector.
template <class Scalar>
[[gnu::always_inline]] inline void input_transform(const tile::Batch<Scalar>* d,
                                                   tile::Batch<Scalar>* V) {
  using B = tile::Batch<Scalar>;
  using tile::multiply_add, tile::negative_multiply_add;
  const B two(Scalar(2)), four(Scalar(4)), five(Scalar(5));
  const B d4_minus_d2 = d[4] - d[2], d3_minus_d1 = d[3] - d[1];
  V[0] = negative_multiply_add(five, d[2], multiply_add(four, d[0], d[4]));
  V[1] = negative_multiply_add(four, d[1] + d[2], d[3] + d[4]);
  V[2] = multiply_add(four, d[1] - d[2], d[4] - d[3]);
  V[3] = multiply_add(two, d3_minus_d1, d4_minus_d2);
  V[4] = negative_multiply_add(two, d3_minus_d1, d4_minus_d2);
  V[5] = negative_multiply_add(five, d[3], multiply_add(four, d[1], d[5]));
}

/// y = A^T M + b for a register of tiles.
template <class Scalar>
[[gnu::always_inline]] inline void output_transform(const tile::Batch<Scalar>* M,
                                                    const tile::Batch<Scalar>& b,
                                                    tile::Batch<Scalar>* y) {
  using B = tile::Batch<Scalar>;
  using tile::multiply_add;
  const B two(Scalar(2)), four(Scalar(4)), eight(Scalar(8));
  const B sum12 = M[1] + M[2], difference12 = M[1] - M[2];
  const B sum34 = M[3] + M[4], difference34 = M[3] - M[4];
  y[0] = (M[0] + b) + (sum12 + sum34);
  y[1] = b + multiply_add(two, difference34, difference12);
  y[2] = b + multiply_add(four, sum34, sum12);
  y[3] = (M[5] + b) + multiply_add(eight, difference34, difference12);
}

/// dM = A g for a register of tiles (g their four units); returns dM_1 = g_0 + g_1 + g_2 + g_3,
/// the tiles' sums (for the bias gradient).
template <class Scalar>
[[gnu::always_inline]] inline void gradient_transform(const tile::Batch<Scalar>* g,
                                                      tile::Batch<Scalar>* dM) {
  using B = tile::Batch<Scalar>;
  using tile::multiply_add, tile::negative_multiply_add;
  const B two(Scalar(2)), four(Scalar(4));
  const B even = g[0] + g[2], even_4 = multiply_add(four, g[2], g[0]);
  const B odd = g[1] + g[3], odd_4 = multiply_add(four, g[3], g[1]);
  dM[0] = g[0];
  dM[1] = even + odd;
  dM[2] = even - odd;
  dM[3] = multiply_add(two, odd_4, even_4);
  dM[4] = negative_multiply_add(two, odd_4, even_4);
  dM[5] = g[3];
}

}  // namespace wrnn::winograd_f43
