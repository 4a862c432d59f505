/// \file
/// Losses with PyTorch's default reduction (mean), returning the loss and writing dL/doutputs.
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
};

/// Mean cross-entropy of logits (o x M) against M class indices; writes dL/dlogits into `grad`:
///
///     L = (1/M) sum_m [ logsumexp(z_m) - z_m[y_m] ],   dL/dz_m = (softmax(z_m) - onehot(y_m)) / M
///
/// \throws ShapeError when there is not one class per column.
/// \throws ValueError when a class is not in [0, o).
template <class Scalar>
double cross_entropy(const Matrix<Scalar>& logits, const std::vector<int>& classes,
                     Matrix<Scalar>& grad) {
  require_size("cross_entropy: number of targets (one per output column)", logits.cols(),
               static_cast<Index>(classes.size()));
  const Index M = logits.cols(), o = logits.rows();
  grad.resize(o, M);
  double total = 0.0;
  for (Index m = 0; m < M; ++m) {
    const int target = classes[static_cast<std::size_t>(m)];
    if (target < 0 || target >= o)
      throw ValueError(detail::concat("cross_entropy: target class at column ", m,
                                      ": expected in [0, ", o, "), received ", target));
    const Scalar max = logits.col(m).maxCoeff();
    grad.col(m) = (logits.col(m).array() - max).exp().matrix();
    const Scalar sum = grad.col(m).sum();
    total += static_cast<double>(std::log(sum) + max - logits(target, m));
    grad.col(m) /= sum * static_cast<Scalar>(M);
    grad(target, m) -= Scalar(1) / static_cast<Scalar>(M);
  }
  return total / static_cast<double>(M);
}

/// Mean squared error of outputs against targets (both o x M); writes dL/doutputs into `grad`:
///
///     L = (1/(o M)) sum (y - t)^2,    dL/dy = 2 (y - t) / (o M)
///
/// \throws ShapeError when the shapes differ.
template <class Scalar>
double mean_squared_error(const Matrix<Scalar>& outputs, const Matrix<Scalar>& targets,
                          Matrix<Scalar>& grad) {
  require_size("mse: target rows", outputs.rows(), targets.rows());
  require_size("mse: target columns", outputs.cols(), targets.cols());
  const double count = static_cast<double>(outputs.size());
  grad = (outputs - targets) * static_cast<Scalar>(2.0 / count);
  return (outputs - targets).template cast<double>().squaredNorm() / count;
}

/// The loss of outputs against targets, dispatched on kind (see cross_entropy() and
/// mean_squared_error() for what they throw).
template <class Scalar>
double compute_loss(LossKind kind, const Matrix<Scalar>& outputs, const Targets<Scalar>& targets,
                    Matrix<Scalar>& grad) {
  return kind == LossKind::cross_entropy ? cross_entropy(outputs, targets.classes, grad)
                                         : mean_squared_error(outputs, targets.values, grad);
}

}  // namespace wrnn
