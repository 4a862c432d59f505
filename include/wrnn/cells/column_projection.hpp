/// \file
/// The input projection of one sample on a column-major copy of Wx, skipping zero inputs:
///
///     p = b + sum over j with x_j != 0 of x_j * Wx[:, j]
///
/// and its weight gradient, dWx[:, j] += x_j * dp for the same j.
///
/// Why columns: PyTorch's row-major Wx [P, d] makes p = Wx x a set of P dot products of length
/// d, shorter than one SIMD register when d is small (10 in the copy task, 1 in sMNIST);
/// column-major, p is d vectorised axpys over P values. Why skip zeros: inputs are often one-hot
/// tokens (the copy task: one column instead of 10) or mostly blank (sMNIST's background pixels:
/// none). Skipping x_j = 0 changes the result only where Wx or dp holds an Inf or NaN
/// (Inf * 0 = NaN), which training would already have reported as a non-finite loss or gradient.
///
/// Used by SequenceModel (narrow inputs, per sample of a batch) and StreamingWaveCell.
#pragma once

#include "wrnn/core/types.hpp"

namespace wrnn {

/// p = bias + weight_columns * x, skipping zero x_j. weight_columns: P x d column-major; x: d
/// values; p: a P-vector expression.
///
/// When most inputs are non-zero, Eigen's matrix-vector product (which reads and writes p once
/// per block of columns, not once per column) is faster: a streaming step with 10 dense inputs
/// takes 0.47 us with it and 0.58 us with the skipping loop (a timing loop over
/// StreamingWaveCell::step, both versions in one binary); with one non-zero input of 10 the
/// skipping loop takes 0.35 us.
template <class Scalar, class Out>
void project_on_columns(const Matrix<Scalar>& weight_columns, const Vector<Scalar>& bias,
                        const Scalar* x, Out&& p) {
  const Index d = weight_columns.cols();
  Index nonzero = 0;
  for (Index j = 0; j < d; ++j) nonzero += x[j] != Scalar(0);
  if (2 * nonzero > d) {
    p = bias;
    p.noalias() += weight_columns * ConstVectorMap<Scalar>(x, d);
    return;
  }
  // The first non-zero column in the same pass as the bias: with one-hot inputs the whole
  // projection is one pass over p, not two (at P = 600 floats a pass of stores costs about as
  // much as the 0.02 us a streaming step can spare; bench_training BM_Streaming*).
  Index j = 0;
  while (j < d && x[j] == Scalar(0)) ++j;
  if (j == d) {
    p = bias;
    return;
  }
  p = bias + x[j] * weight_columns.col(j);
  for (++j; j < d; ++j)
    if (x[j] != Scalar(0)) p.noalias() += x[j] * weight_columns.col(j);
}

/// grad_columns (P x d, column-major) += grad_p x^T, skipping zero x_j.
template <class Scalar, class Grad>
void add_column_gradient(const Scalar* x, const Grad& grad_p, Matrix<Scalar>& grad_columns) {
  for (Index j = 0; j < grad_columns.cols(); ++j)
    if (x[j] != Scalar(0)) grad_columns.col(j).noalias() += x[j] * grad_p;
}

}  // namespace wrnn
