/// \file
/// Scalar-generic Eigen aliases and the memory layout every part of wrnn agrees on.
///
/// Layout conventions (chosen so that a whole sequence is one matrix for Eigen's GEMM):
///   - An input sequence x[T][B][d] is contiguous, time-major: step t is a d x B column-major
///     matrix (one column per sample), and all T steps together are one d x (T*B) matrix.
///   - A batch of states is state_size x B, column-major: each sample's state is contiguous.
///     For the wave cell the state of one sample is channel-major: unit i of channel c is at
///     c*n + i.
///   - Parameters are stored row-major exactly as PyTorch stores them ([out, in] for Linear,
///     [C_out, C_in, k] for Conv1d), so their bytes can be exchanged with PyTorch unchanged.
#pragma once

#include <Eigen/Core>
#include <cstddef>

/// wave-RNN cells, the sequence model around them, their training, the paper's tasks.
/// The optional components live in nested namespaces: wrnn::io (files), wrnn::data (datasets),
/// wrnn::analysis (pictures and wave measurements).
namespace wrnn {

/// Sizes and indices: Eigen's signed index type.
using Index = Eigen::Index;

/// A dynamic-size column-major matrix.
template <class Scalar>
using Matrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
/// A dynamic-size row-major matrix (PyTorch's layout of a 2-D tensor).
template <class Scalar>
using RowMatrix = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// A dynamic-size column vector.
template <class Scalar>
using Vector = Eigen::Matrix<Scalar, Eigen::Dynamic, 1>;

/// A column-major matrix view of memory owned elsewhere.
template <class Scalar>
using MatrixMap = Eigen::Map<Matrix<Scalar>>;
/// A read-only column-major matrix view of memory owned elsewhere.
template <class Scalar>
using ConstMatrixMap = Eigen::Map<const Matrix<Scalar>>;
/// A row-major matrix view of memory owned elsewhere.
template <class Scalar>
using RowMatrixMap = Eigen::Map<RowMatrix<Scalar>>;
/// A read-only row-major matrix view of memory owned elsewhere.
template <class Scalar>
using ConstRowMatrixMap = Eigen::Map<const RowMatrix<Scalar>>;
/// A vector view of memory owned elsewhere.
template <class Scalar>
using VectorMap = Eigen::Map<Vector<Scalar>>;
/// A read-only vector view of memory owned elsewhere.
template <class Scalar>
using ConstVectorMap = Eigen::Map<const Vector<Scalar>>;

/// A view of a column-major matrix whose columns are further apart than its rows
/// (for example the h part of an LSTM's [h; c] state).
template <class Scalar>
using StridedMatrixMap = Eigen::Map<Matrix<Scalar>, 0, Eigen::OuterStride<>>;
/// The read-only StridedMatrixMap.
template <class Scalar>
using ConstStridedMatrixMap = Eigen::Map<const Matrix<Scalar>, 0, Eigen::OuterStride<>>;

}  // namespace wrnn
