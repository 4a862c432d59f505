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
/// Used by StreamingWaveCell, and by ColumnProjection: the input projection of a chunk of samples
/// in columns (StateLayout::sample_columns) and its gradient, for SequenceModel.
#pragma once

#include "wrnn/core/parameter.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

/// Up to this many inputs d the projections of a chunk (ColumnProjection, LaneProjection) skip
/// the inputs that are zero and keep dWx in a column-major accumulator; from d + 1 on they use one
/// Eigen product per step. With a few inputs (10 in the copy task, 1 in sMNIST) Eigen's GEMM
/// spends more time packing than multiplying.
inline constexpr Index narrow_input_limit = 16;

/// p = bias + weight_columns * x, skipping zero x_j. weight_columns: P x d, column-major (a
/// column is contiguous) or any Eigen matrix of that shape; x: d values; p: a P-vector expression.
///
/// When most inputs are non-zero, Eigen's matrix-vector product (which reads and writes p once
/// per block of columns, not once per column) is faster: a streaming step with 10 dense inputs
/// takes 0.47 us with it and 0.58 us with the skipping loop (a timing loop over
/// StreamingWaveCell::step, both versions in one binary); with one non-zero input of 10 the
/// skipping loop takes 0.35 us.
template <class Weight, class Scalar, class Out>
void project_on_columns(const Weight& weight_columns, const Vector<Scalar>& bias, const Scalar* x,
                        Out&& p) {
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

/// The input projection of a chunk of samples in columns, and its gradient, for SequenceModel
/// (input_projection.hpp gives the interface it shares with LaneProjection):
///
///     p = Wx x + bx                      x: d x b, p: P x b column-major (a column is a sample)
///     dWx += dp x^T,  dbx += sum over the samples of dp
///
/// Narrow inputs (d <= narrow_input_limit): per sample on a column-major copy of Wx made before
/// each forward (project_on_columns), dWx per sample into a column-major accumulator per chunk
/// (add_column_gradient), added to the row-major gradient once, at the end of the sweep. Wider
/// inputs: one Eigen product per step.
template <class Scalar>
class ColumnProjection {
 public:
  using Map = MatrixMap<Scalar>;            ///< A P x b block of p or dp, samples in columns.
  using ConstMap = ConstMatrixMap<Scalar>;  ///< A read-only P x b block.

  /// A chunk's scratch: the narrow inputs' dWx accumulator.
  class Workspace {
    friend class ColumnProjection;
    Matrix<Scalar> grad_weight_columns;  // P x d: dWx column-major (narrow inputs)
  };

  /// The projection of d = `input_size` inputs onto P = `projection_size` rows.
  ColumnProjection(Index input_size, Index projection_size)
      : input_size_(input_size), projection_size_(projection_size) {}

  /// Sizes a chunk's scratch for b samples.
  void plan(Workspace& w, Index /*b*/) const {
    if (narrow()) w.grad_weight_columns.resize(projection_size_, input_size_);
  }

  /// Before a forward: Wx copied column-major (narrow inputs), which forward() then projects with
  /// until the next load(), also when a reverse sweep recomputes a checkpoint segment.
  void load(const Parameter<Scalar>& weight) {
    if (narrow()) weight_columns_ = weight.matrix();
  }

  /// p = Wx x + bx for one step of a chunk, each value of p written once.
  void forward(const Parameter<Scalar>& weight, const Parameter<Scalar>& bias,
               ConstMatrixMap<Scalar> x, Map p, Workspace& w) const {
    if (!narrow()) return forward_current(weight, bias, x, p, w);  // one product, no copy of Wx
    for (Index i = 0; i < x.cols(); ++i)
      project_on_columns(weight_columns_, bias.value, x.col(i).data(), p.col(i));
  }

  /// As forward(), for a caller that does not call load() because Wx may change between its steps
  /// (BatchStepper): one product on Wx as it is. A column-major copy at every step would cost
  /// more than it saves: an LSTM step of one agent (H = 100, d = 10) takes 5.4 us with it and
  /// 3.8 us without (bench_agents, M = 1).
  void forward_current(const Parameter<Scalar>& weight, const Parameter<Scalar>& bias,
                       ConstMatrixMap<Scalar> x, Map p, Workspace& /*w*/) const {
    p.colwise() = bias.value;
    p.noalias() += weight.matrix() * x;
  }

  /// Before a reverse sweep: the chunk's accumulator to zero.
  void begin_backward(Workspace& w) const {
    if (narrow()) w.grad_weight_columns.setZero();
  }

  /// dWx += dp x^T into `grad_weight` (P x d row-major) and dbx += the sum of dp over the samples
  /// into `grad_bias`, for one step of a chunk; either may be null (a frozen parameter: skipped).
  /// Narrow inputs go into the chunk's accumulator instead of grad_weight.
  void add_gradients(ConstMatrixMap<Scalar> x, ConstMap grad_p, Scalar* grad_weight,
                     Scalar* grad_bias, Workspace& w) const {
    const Index P = grad_p.rows();
    if (grad_bias != nullptr) VectorMap<Scalar>(grad_bias, P) += grad_p.rowwise().sum();
    if (grad_weight == nullptr) return;
    if (!narrow()) {
      RowMatrixMap<Scalar>(grad_weight, P, input_size_).noalias() += grad_p * x.transpose();
      return;
    }
    for (Index i = 0; i < x.cols(); ++i)
      add_column_gradient(x.col(i).data(), grad_p.col(i), w.grad_weight_columns);
  }

  /// After a reverse sweep: the chunk's accumulator into `grad_weight` (null: frozen, skipped).
  void end_backward(Scalar* grad_weight, const Workspace& w) const {
    if (narrow() && grad_weight != nullptr)
      RowMatrixMap<Scalar>(grad_weight, projection_size_, input_size_) += w.grad_weight_columns;
  }

 private:
  bool narrow() const { return input_size_ <= narrow_input_limit; }

  Index input_size_, projection_size_;
  Matrix<Scalar> weight_columns_;  // Wx column-major, for forward() (narrow inputs)
};

}  // namespace wrnn
