// wrnn::blas from an installed wrnn: the three products of an iRNN step at the copy task's shapes
// (hidden size 100, batch 128) -- forward W h, backward W^T g, weight gradient g h^T -- through
// Eigen on the system BLAS, each compared with a plain loop accumulating in double, within the
// rounding bound of a float dot product of that length. That the products call the BLAS's sgemm_
// is checked by tests/install_consumer.sh on the built program. Arguments are ignored (the script
// passes every consumer a scratch directory).
#ifndef EIGEN_USE_BLAS
#error "wrnn::blas must define EIGEN_USE_BLAS"
#endif
#include <wrnn/core/types.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace {

using Matrix = wrnn::Matrix<float>;  // wrnn's cells keep their weights and states in these

// The largest error of `product` against op(a) op(b) summed in double, in units of the bound
// k * epsilon * sum |a_il| |b_lj| that a float dot product of length k stays within.
double error_in_bounds(const Matrix& product, const Matrix& a, bool transpose_a, const Matrix& b,
                       bool transpose_b) {
  const Eigen::Index rows = transpose_a ? a.cols() : a.rows();
  const Eigen::Index inner = transpose_a ? a.rows() : a.cols();
  const Eigen::Index cols = transpose_b ? b.rows() : b.cols();
  if (product.rows() != rows || product.cols() != cols) return std::numeric_limits<double>::max();
  double worst = 0.0;
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) {
      double exact = 0.0, magnitude = 0.0;
      for (Eigen::Index l = 0; l < inner; ++l) {
        const double x = transpose_a ? a(l, i) : a(i, l);
        const double y = transpose_b ? b(j, l) : b(l, j);
        exact += x * y;
        magnitude += std::abs(x * y);
      }
      const double bound = static_cast<double>(inner) *
                               static_cast<double>(std::numeric_limits<float>::epsilon()) *
                               magnitude +
                           std::numeric_limits<float>::min();
      worst = std::fmax(worst, std::abs(static_cast<double>(product(i, j)) - exact) / bound);
    }
  }
  return worst;
}

}  // namespace

int main() {
  const Eigen::Index hidden = 100, batch = 128;
  std::srand(7);
  const Matrix w = Matrix::Random(hidden, hidden);
  const Matrix h = Matrix::Random(hidden, batch);
  const Matrix g = Matrix::Random(hidden, batch);

  const Matrix forward = w * h;
  const Matrix backward = w.transpose() * g;
  const Matrix gradient = g * h.transpose();

  const double worst = std::fmax(error_in_bounds(forward, w, false, h, false),
                                 std::fmax(error_in_bounds(backward, w, true, g, false),
                                           error_in_bounds(gradient, g, false, h, true)));
  const bool within = worst <= 1.0;
  std::printf(
      "blas: W h, W^T g, g h^T (%lldx%lld by %lld) %s the float rounding bound "
      "(worst %.3g of it)\n",
      static_cast<long long>(hidden), static_cast<long long>(hidden), static_cast<long long>(batch),
      within ? "within" : "OUTSIDE", worst);
  return within ? 0 : 1;
}
