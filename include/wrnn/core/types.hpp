// Scalar-generic Eigen aliases and the memory layout every part of wrnn agrees on.
//
// Layout conventions (chosen so that a whole sequence is one matrix for Eigen's GEMM):
//   * An input sequence x[T][B][d] is contiguous, time-major: step t is a d x B column-major
//     matrix (one column per sample), and all T steps together are one d x (T*B) matrix.
//   * A batch of states is state_size x B, column-major: each sample's state is contiguous.
//     For the wave cell the state of one sample is channel-major: unit i of channel c is at c*n +
//     i.
//   * Parameters are stored row-major exactly as PyTorch stores them ([out, in] for Linear,
//     [C_out, C_in, k] for Conv1d), so their bytes can be exchanged with PyTorch unchanged.
#pragma once

#include <Eigen/Core>
#include <cstddef>

namespace wrnn {

using Index = Eigen::Index;

template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

template <class Scalar>
using MatrixMap = Eigen::Map<Matrix<Scalar>>;
template <class Scalar>
using ConstMatrixMap = Eigen::Map<const Matrix<Scalar>>;
template <class Scalar>
using RowMatrixMap = Eigen::Map<RowMatrix<Scalar>>;
template <class Scalar>
using ConstRowMatrixMap = Eigen::Map<const RowMatrix<Scalar>>;
template <class Scalar>
using VectorMap = Eigen::Map<Vector<Scalar>>;
template <class Scalar>
using ConstVectorMap = Eigen::Map<const Vector<Scalar>>;

// A view of a column-major matrix whose columns are further apart than its rows
// (for example the h part of an LSTM's [h; c] state).
template <class Scalar>
using StridedMatrixMap = Eigen::Map<Matrix<Scalar>, 0, Eigen::OuterStride<>>;
template <class Scalar>
using ConstStridedMatrixMap = Eigen::Map<const Matrix<Scalar>, 0, Eigen::OuterStride<>>;

}  // namespace wrnn
