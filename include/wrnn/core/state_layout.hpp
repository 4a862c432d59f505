/// \file
/// How SequenceModel lays out the states of a chunk of b samples (StateLayout).
#pragma once

#include "wrnn/core/types.hpp"

namespace wrnn {

/// How SequenceModel lays out the states of a chunk of b samples, and every matrix shaped like
/// them (the projection p_t, the gradients dL/dh_t and dL/dp_t, the cell's extra tape). Each cell
/// chooses (Cell::state_layout, cell_concept.hpp). Either way a chunk's state at one step is S*b
/// contiguous scalars, and the model's slots, tape and checkpoints are the same; only the order
/// inside a slot differs.
enum class StateLayout {
  /// One sample's S values side by side: an S x b column-major matrix. The cells whose step is a
  /// matrix product, U h (dense, LSTM, GRU).
  sample_columns,
  /// One unit's b values side by side: an S x b row-major matrix. The wave cell, whose
  /// convolution runs SIMD lanes over the samples (circular_conv_lanes.hpp): each tap of the
  /// convolution is then a whole row, read with aligned loads.
  sample_lanes
};

/// The Eigen views of an S x b block in each layout, and of its first `rows` rows (the part of an
/// LSTM's [h; c] state that the readout sees).
template <class Scalar, StateLayout layout>
struct LayoutMaps;

/// The views of StateLayout::sample_columns: column-major S x b blocks.
template <class Scalar>
struct LayoutMaps<Scalar, StateLayout::sample_columns> {
  using Map = MatrixMap<Scalar>;                           ///< An S x b block.
  using ConstMap = ConstMatrixMap<Scalar>;                 ///< A read-only S x b block.
  using LeadingRows = StridedMatrixMap<Scalar>;            ///< The first rows of a block.
  using ConstLeadingRows = ConstStridedMatrixMap<Scalar>;  ///< Read-only LeadingRows.
  /// The first `rows` of the `block_rows` x b block at `block`.
  static LeadingRows leading_rows(Scalar* block, Index block_rows, Index rows, Index b) {
    return {block, rows, b, Eigen::OuterStride<>(block_rows)};
  }
  /// The first `rows` of the `block_rows` x b block at `block`, read-only.
  static ConstLeadingRows leading_rows(const Scalar* block, Index block_rows, Index rows, Index b) {
    return {block, rows, b, Eigen::OuterStride<>(block_rows)};
  }
};

/// The views of StateLayout::sample_lanes: row-major S x b blocks.
template <class Scalar>
struct LayoutMaps<Scalar, StateLayout::sample_lanes> {
  using Map = RowMatrixMap<Scalar>;                    ///< An S x b block.
  using ConstMap = ConstRowMatrixMap<Scalar>;          ///< A read-only S x b block.
  using LeadingRows = RowMatrixMap<Scalar>;            ///< The first rows of a block.
  using ConstLeadingRows = ConstRowMatrixMap<Scalar>;  ///< Read-only LeadingRows.
  /// The first `rows` rows of the block at `block` (contiguous in this layout).
  static LeadingRows leading_rows(Scalar* block, Index /*block_rows*/, Index rows, Index b) {
    return {block, rows, b};
  }
  /// The first `rows` rows of the block at `block`, read-only.
  static ConstLeadingRows leading_rows(const Scalar* block, Index /*block_rows*/, Index rows,
                                       Index b) {
    return {block, rows, b};
  }
};

}  // namespace wrnn
