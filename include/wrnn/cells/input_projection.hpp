/// \file
/// The input projection of a chunk of samples for each state layout (InputProjection).
#pragma once

#include <type_traits>

#include "wrnn/cells/column_projection.hpp"
#include "wrnn/cells/lane_projection.hpp"
#include "wrnn/core/state_layout.hpp"

namespace wrnn {

/// The input projection p_t = Wx x_t + bx of a chunk of b samples, and its gradient, in the state
/// layout a cell chooses (state_layout.hpp): ColumnProjection for samples in columns,
/// LaneProjection for samples in lanes. SequenceModel runs either through one interface:
///
///     Projection(d, P)                       for d inputs and P rows of p (the cell's sizes)
///     plan(workspace, b)                     a chunk's scratch (Projection::Workspace), b samples
///     load(Wx)                               before each forward: the weights it projects with
///     forward(Wx, bx, x, p, workspace)       p (P x b, Projection::Map) from x (d x b)
///     forward_current(Wx, bx, x, p, workspace)  the same without load(), for BatchStepper
///     begin_backward(workspace)              before a chunk's reverse sweep
///     add_gradients(x, dp, dWx, dbx, workspace)  one step; dWx, dbx null when frozen
///     end_backward(dWx, workspace)           after the sweep
///
/// Gradients are added into PyTorch's layouts: dWx row-major P x d, dbx P values.
template <class Scalar, StateLayout layout>
using InputProjection = std::conditional_t<layout == StateLayout::sample_lanes,
                                           LaneProjection<Scalar>, ColumnProjection<Scalar>>;

}  // namespace wrnn
