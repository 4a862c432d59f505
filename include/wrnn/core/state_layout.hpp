// How SequenceModel lays out the states of a chunk of b samples, and every matrix shaped like
// them (the projection p_t, the gradients dL/dh_t and dL/dp_t, the cell's extra tape). Each cell
// chooses (Cell::state_layout, cell_concept.hpp):
//   sample_columns  one sample's S values side by side: an S x b column-major matrix. The cells
//                   whose step is a matrix product, U h (dense, LSTM, GRU).
//   sample_lanes    one unit's b values side by side: an S x b row-major matrix. The wave cell,
//                   whose convolution runs SIMD lanes over the samples (circular_conv_lanes.hpp):
//                   each tap of the convolution is then a whole row, read with aligned loads.
// Either way a chunk's state at one step is S*b contiguous scalars, and the model's slots, tape
// and checkpoints are the same; only the order inside a slot differs.
#pragma once

#include "wrnn/core/types.hpp"

namespace wrnn {

enum class StateLayout { sample_columns, sample_lanes };

// The Eigen views of an S x b block in each layout, and of its first `rows` rows (the part of an
// LSTM's [h; c] state that the readout sees).
template <class Scalar, StateLayout layout>
struct LayoutMaps;

template <class Scalar>
struct LayoutMaps<Scalar, StateLayout::sample_columns> {
  using Map = MatrixMap<Scalar>;
  using ConstMap = ConstMatrixMap<Scalar>;
  using LeadingRows = StridedMatrixMap<Scalar>;
  using ConstLeadingRows = ConstStridedMatrixMap<Scalar>;
  static LeadingRows leading_rows(Scalar* block, Index block_rows, Index rows, Index b) {
    return {block, rows, b, Eigen::OuterStride<>(block_rows)};
  }
  static ConstLeadingRows leading_rows(const Scalar* block, Index block_rows, Index rows, Index b) {
    return {block, rows, b, Eigen::OuterStride<>(block_rows)};
  }
};

template <class Scalar>
struct LayoutMaps<Scalar, StateLayout::sample_lanes> {
  using Map = RowMatrixMap<Scalar>;
  using ConstMap = ConstRowMatrixMap<Scalar>;
  using LeadingRows = RowMatrixMap<Scalar>;
  using ConstLeadingRows = ConstRowMatrixMap<Scalar>;
  static LeadingRows leading_rows(Scalar* block, Index /*block_rows*/, Index rows, Index b) {
    return {block, rows, b};
  }
  static ConstLeadingRows leading_rows(const Scalar* block, Index /*block_rows*/, Index rows,
                                       Index b) {
    return {block, rows, b};
  }
};

}  // namespace wrnn
