/// \file
/// Losses with PyTorch's default reduction (mean), returning the loss and writing dL/doutputs;
/// optionally over the last columns only (Targets::first_scored_column).
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "wrnn/core/error.hpp"
#include "wrnn/core/types.hpp"

namespace wrnn {

/// Which loss a task trains with.
enum class LossKind {
  cross_entropy,  ///< classes: cross_entropy()
  mse             ///< values: mean_squared_error()
};

/// "cross_entropy" or "mse".
inline std::string to_string(LossKind kind) {
  return kind == LossKind::cross_entropy ? "cross_entropy" : "mse";
}

/// What a batch should produce: class indices (cross-entropy) or values (MSE), laid out like the
/// model's outputs (column t*B + b).
template <class Scalar>
struct Targets {
  std::vector<int> classes;  ///< One class index per output column (cross-entropy).
  Matrix<Scalar> values;     ///< o x M target values (MSE).
  /// Columns before this one carry no loss and no gradient; the mean is over the rest. With
  /// column t*B + b, s*B scores the steps from s on: the authors' copy-task --only_last, which
  /// slices the outputs and targets to their last steps before PyTorch's mean.
  Index first_scored_column = 0;
  /// The loss and its gradient are multiplied by this: 1 is PyTorch's mean; the authors' copy
  /// task divides that mean by the batch size (1 / B).
  double loss_scale = 1.0;
};

namespace detail {
// Throws ValueError unless the first scored column leaves at least one of M columns (0 is
// always accepted: the whole batch).
inline void require_scored_columns(const char* loss, Index first_scored_column, Index columns) {
  if (first_scored_column < 0 || (first_scored_column > 0 && first_scored_column >= columns))
    throw ValueError(concat(loss, ": first scored column: expected in [0, ", columns,
                            ") (the output columns), received ", first_scored_column));
}
}  // namespace detail

/// Mean cross-entropy of logits (o x M) against M class indices over the columns from
/// `first_scored_column` = f on; writes dL/dlogits into `grad` (zero in the columns before f):
///
///     L = (1/(M-f)) sum_{m>=f} [ logsumexp(z_m) - z_m[y_m] ],
///     dL/dz_m = (softmax(z_m) - onehot(y_m)) / (M-f)
///
/// \throws ShapeError when there is not one class per column.
/// \throws ValueError when a scored column's class is not in [0, o), or f is not in [0, M).
template <class Scalar>
double cross_entropy(const Matrix<Scalar>& logits, const std::vector<int>& classes,
                     Matrix<Scalar>& grad, Index first_scored_column = 0) {
  require_size("cross_entropy: number of targets (one per output column)", logits.cols(),
               static_cast<Index>(classes.size()));
  const Index M = logits.cols(), o = logits.rows();
  detail::require_scored_columns("cross_entropy", first_scored_column, M);
  const Index scored = M - first_scored_column;
  grad.resize(o, M);
  grad.leftCols(first_scored_column).setZero();
  double total = 0.0;
  for (Index m = first_scored_column; m < M; ++m) {
    const int target = classes[static_cast<std::size_t>(m)];
    if (target < 0 || target >= o)
      throw ValueError(detail::concat("cross_entropy: target class at column ", m,
                                      ": expected in [0, ", o, "), received ", target));
    const Scalar max = logits.col(m).maxCoeff();
    grad.col(m) = (logits.col(m).array() - max).exp().matrix();
    const Scalar sum = grad.col(m).sum();
    total += static_cast<double>(std::log(sum) + max - logits(target, m));
    grad.col(m) /= sum * static_cast<Scalar>(scored);
    grad(target, m) -= Scalar(1) / static_cast<Scalar>(scored);
  }
  return total / static_cast<double>(scored);
}

/// Mean squared error of outputs against targets (both o x M) over the columns from
/// `first_scored_column` = f on; writes dL/doutputs into `grad` (zero in the columns before f):
///
///     L = (1/(o (M-f))) sum_{m>=f} (y - t)^2,    dL/dy = 2 (y - t) / (o (M-f))
///
/// \throws ShapeError when the shapes differ.
/// \throws ValueError when f is not in [0, M).
template <class Scalar>
double mean_squared_error(const Matrix<Scalar>& outputs, const Matrix<Scalar>& targets,
                          Matrix<Scalar>& grad, Index first_scored_column = 0) {
  require_size("mse: target rows", outputs.rows(), targets.rows());
  require_size("mse: target columns", outputs.cols(), targets.cols());
  detail::require_scored_columns("mse", first_scored_column, outputs.cols());
  if (first_scored_column == 0) {
    const double count = static_cast<double>(outputs.size());
    grad = (outputs - targets) * static_cast<Scalar>(2.0 / count);
    return (outputs - targets).template cast<double>().squaredNorm() / count;
  }
  const Index scored = outputs.cols() - first_scored_column;
  const double count = static_cast<double>(outputs.rows() * scored);
  grad.resize(outputs.rows(), outputs.cols());
  grad.leftCols(first_scored_column).setZero();
  grad.rightCols(scored) =
      (outputs.rightCols(scored) - targets.rightCols(scored)) * static_cast<Scalar>(2.0 / count);
  return (outputs.rightCols(scored) - targets.rightCols(scored))
             .template cast<double>()
             .squaredNorm() /
         count;
}

/// The loss of outputs against targets over the columns from targets.first_scored_column on,
/// times targets.loss_scale, dispatched on kind (see cross_entropy() and mean_squared_error() for
/// what they throw).
template <class Scalar>
double compute_loss(LossKind kind, const Matrix<Scalar>& outputs, const Targets<Scalar>& targets,
                    Matrix<Scalar>& grad) {
  const double loss =
      kind == LossKind::cross_entropy
          ? cross_entropy(outputs, targets.classes, grad, targets.first_scored_column)
          : mean_squared_error(outputs, targets.values, grad, targets.first_scored_column);
  if (targets.loss_scale == 1.0) return loss;
  grad *= static_cast<Scalar>(targets.loss_scale);
  return loss * targets.loss_scale;
}

}  // namespace wrnn
