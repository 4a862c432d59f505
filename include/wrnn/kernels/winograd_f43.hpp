/// \file
/// Winograd's minimal filtering F(4, 3) in one dimension: the numbers both Winograd kernel
/// families share.
#pragma once

#include "wrnn/core/types.hpp"

/// Winograd's minimal filtering F(4, 3) in one dimension: the numbers both Winograd kernel
/// families share (circular_conv_winograd.hpp, whose comment derives them, for states with each
/// sample's values together; circular_conv_lanes_winograd.hpp for states with the samples in
/// SIMD lanes). A tile is 4 outputs of a k = 3 convolution, read from 6 inputs and computed
/// through 6 transform points.
namespace wrnn::winograd_f43 {

constexpr Index points = 6;  ///< transform points per tile: 4 + 3 - 1

/// G, the weights' transform (taps to points): U_x = sum_j G[x][j] u_j; and, transposed, how the
/// points' weight gradients dU_x come back to the taps: du_j = sum_x G[x][j] dU_x.
constexpr double weight_transform[points][3] = {{1.0 / 4, 0, 0},
                                                {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                                {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                                {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                                {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                                {0, 0, 1}};

}  // namespace wrnn::winograd_f43
