// The readout's narrow kernels (wrnn/kernels/narrow_products.hpp) against a naive evaluation of
// their formulas in double precision:
//   y[r][m] = b[r] + sum_i w[r][i] h[i][m]        dw[r][i] += sum_m dy[r][m] h[i][m]
// for 1 to 12 rows (every tile height, one and several row blocks), unit counts below, at and
// past the SIMD width and not multiples of it, 1 to 33 samples (whole tiles and remainders),
// and strides wider than the rows and columns they hold (a readout reads the first rows of a
// longer state column). Also: a sample's outputs do not depend on the samples beside it, and
// the Readout built on the kernels still matches Eigen's products.
// The suite builds this file three times: portably and for x86-64-v3 and v4
// (test_narrow_products_avx2, test_narrow_products_avx512), where the vectors are wider.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/naive_sums.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/kernels/narrow_products.hpp"
#include "wrnn/model/readout.hpp"

namespace test_narrow_products {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::Index;

using wrnn_test::random_values;

template <class Scalar>
void require_close(Scalar got, double want, double scale) {
  INFO("got " << got << ", want " << want);
  REQUIRE(wrnn_test::close_to_sum(got, want, scale));
}

struct Case {
  Index rows, units, samples;
};

std::vector<Case> cases() {
  std::vector<Case> list;
  for (Index rows : {1, 2, 3, 4, 5, 6, 7, 10, 12})
    for (Index units : {1, 3, 7, 8, 15, 16, 17, 33, 64, 100, 601})
      for (Index samples : {1, 2, 3, 5, 33}) list.push_back({rows, units, samples});
  return list;
}

template <class Scalar>
void check_affine(const Case& c, wrnn::Rng& rng) {
  // Strides wider than what they hold: w's rows, h's columns (4 more units) and y's columns
  // (2 more rows); the kernel must leave the gaps as they were.
  const Index w_stride = c.units + 3, h_stride = c.units + 4, y_stride = c.rows + 2;
  const auto w = random_values<Scalar>(c.rows * w_stride, rng);
  const auto bias = random_values<Scalar>(c.rows, rng);
  const auto h = random_values<Scalar>(h_stride * c.samples, rng);
  std::vector<Scalar> y(static_cast<std::size_t>(y_stride * c.samples), Scalar(7));
  wrnn::simd::narrow_affine(w.data(), w_stride, bias.data(), c.rows, c.units, h.data(), h_stride,
                            c.samples, y.data(), y_stride);
  for (Index m = 0; m < c.samples; ++m) {
    for (Index r = 0; r < c.rows; ++r) {
      double want = bias[r], scale = std::abs(double(bias[r]));
      for (Index i = 0; i < c.units; ++i) {
        const double term = double(w[r * w_stride + i]) * double(h[m * h_stride + i]);
        want += term;
        scale += std::abs(term);
      }
      require_close(y[m * y_stride + r], want, scale);
    }
    for (Index r = c.rows; r < y_stride; ++r) REQUIRE(y[m * y_stride + r] == Scalar(7));
  }
}

template <class Scalar>
void check_weight_gradient(const Case& c, wrnn::Rng& rng) {
  const Index dy_stride = c.rows + 1, h_stride = c.units + 2, dw_stride = c.units + 5;
  const auto dy = random_values<Scalar>(dy_stride * c.samples, rng);
  const auto h = random_values<Scalar>(h_stride * c.samples, rng);
  const auto dw_before = random_values<Scalar>(c.rows * dw_stride, rng);
  std::vector<Scalar> dw = dw_before;
  wrnn::simd::narrow_weight_gradient(dy.data(), dy_stride, c.rows, h.data(), h_stride, c.units,
                                     c.samples, dw.data(), dw_stride);
  for (Index r = 0; r < c.rows; ++r) {
    for (Index i = 0; i < c.units; ++i) {
      double want = dw_before[r * dw_stride + i], scale = std::abs(want);
      for (Index m = 0; m < c.samples; ++m) {
        const double term = double(dy[m * dy_stride + r]) * double(h[m * h_stride + i]);
        want += term;
        scale += std::abs(term);
      }
      require_close(dw[r * dw_stride + i], want, scale);
    }
    for (Index i = c.units; i < dw_stride; ++i)
      REQUIRE(dw[r * dw_stride + i] == dw_before[r * dw_stride + i]);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("narrow_affine matches y = W h + b evaluated naively", "[narrow]", float,
                   double) {
  wrnn::Rng rng(11);
  for (const Case& c : cases()) {
    INFO("rows " << c.rows << ", units " << c.units << ", samples " << c.samples);
    check_affine<TestType>(c, rng);
  }
}

TEMPLATE_TEST_CASE("narrow_weight_gradient matches dW += dy h^T evaluated naively", "[narrow]",
                   float, double) {
  wrnn::Rng rng(12);
  for (const Case& c : cases()) {
    INFO("rows " << c.rows << ", units " << c.units << ", samples " << c.samples);
    check_weight_gradient<TestType>(c, rng);
  }
}

TEST_CASE("narrow_affine gives a sample the same outputs, bit for bit, alone or in any batch",
          "[narrow]") {
  wrnn::Rng rng(13);
  const Index rows = 10, units = 601, samples = 7;
  const auto w = random_values<float>(rows * units, rng);
  const auto bias = random_values<float>(rows, rng);
  const auto h = random_values<float>(units * samples, rng);
  std::vector<float> together(static_cast<std::size_t>(rows * samples));
  wrnn::simd::narrow_affine(w.data(), units, bias.data(), rows, units, h.data(), units, samples,
                            together.data(), rows);
  for (Index m = 0; m < samples; ++m) {
    std::vector<float> alone(static_cast<std::size_t>(rows));
    wrnn::simd::narrow_affine(w.data(), units, bias.data(), rows, units, h.data() + m * units,
                              units, 1, alone.data(), rows);
    for (Index r = 0; r < rows; ++r) REQUIRE(alone[r] == together[m * rows + r]);
  }
}

TEST_CASE("a linear and an MLP Readout on the narrow kernels match Eigen's products", "[narrow]") {
  for (const auto kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
    wrnn::ReadoutOptions options;
    options.output_size = 10;
    options.kind = kind;
    options.mlp_hidden = 20;
    const Index units = 37, samples = 5,
                stride = 40;  // a state column longer than the readout reads
    wrnn::Readout<double> readout(options, units);
    wrnn::Rng rng(14);
    readout.init(rng);
    const auto params = readout.parameters();
    const auto weight = [&](std::size_t i) { return params[i]->matrix(); };
    const auto bias = [&](std::size_t i) { return params[i]->value; };

    const wrnn::Matrix<double> state = wrnn::Matrix<double>::Random(stride, samples);
    const wrnn::ConstStridedMatrixMap<double> inputs(state.data(), units, samples,
                                                     Eigen::OuterStride<>(stride));
    wrnn::Matrix<double> hidden(readout.hidden_size(), samples), outputs(10, samples);
    readout.forward(inputs, wrnn::MatrixMap<double>(hidden.data(), hidden.rows(), samples),
                    wrnn::MatrixMap<double>(outputs.data(), 10, samples));

    wrnn::Matrix<double> want_hidden, want_outputs;
    if (kind == wrnn::ReadoutKind::linear) {
      want_outputs = (weight(0) * inputs).colwise() + bias(1);
    } else {
      want_hidden = ((weight(0) * inputs).colwise() + bias(1)).cwiseMax(0.0);
      want_outputs = (weight(2) * want_hidden).colwise() + bias(3);
      REQUIRE((hidden - want_hidden).cwiseAbs().maxCoeff() < 1e-12);
    }
    REQUIRE((outputs - want_outputs).cwiseAbs().maxCoeff() < 1e-12);

    // Backward: parameter gradients and dL/dinputs from Eigen's products of the same formulas.
    const wrnn::Matrix<double> grad_outputs = wrnn::Matrix<double>::Random(10, samples);
    std::vector<wrnn::Matrix<double>> grads;
    std::vector<double*> grad_pointers;
    for (auto* p : params) grads.push_back(wrnn::Matrix<double>::Zero(p->size(), 1));
    for (auto& g : grads) grad_pointers.push_back(g.data());
    wrnn::Matrix<double> grad_state = wrnn::Matrix<double>::Zero(stride, samples);
    wrnn::Matrix<double> grad_hidden(readout.hidden_size(), samples);
    readout.backward(inputs, wrnn::ConstMatrixMap<double>(hidden.data(), hidden.rows(), samples),
                     wrnn::ConstMatrixMap<double>(grad_outputs.data(), 10, samples),
                     wrnn::MatrixMap<double>(grad_hidden.data(), grad_hidden.rows(), samples),
                     wrnn::StridedMatrixMap<double>(grad_state.data(), units, samples,
                                                    Eigen::OuterStride<>(stride)),
                     grad_pointers.data());

    const auto as_row_major = [](const wrnn::Matrix<double>& g, Index rows, Index cols) {
      return wrnn::RowMatrix<double>(wrnn::ConstRowMatrixMap<double>(g.data(), rows, cols));
    };
    wrnn::Matrix<double> want_grad_inputs;
    if (kind == wrnn::ReadoutKind::linear) {
      const wrnn::RowMatrix<double> want_dw = grad_outputs * inputs.transpose();
      REQUIRE((as_row_major(grads[0], 10, units) - want_dw).cwiseAbs().maxCoeff() < 1e-12);
      REQUIRE((grads[1] - grad_outputs.rowwise().sum()).cwiseAbs().maxCoeff() < 1e-12);
      want_grad_inputs = weight(0).transpose() * grad_outputs;
    } else {
      const wrnn::RowMatrix<double> want_dw2 = grad_outputs * want_hidden.transpose();
      const wrnn::Matrix<double> da = ((weight(2).transpose() * grad_outputs).array() *
                                       (want_hidden.array() > 0).cast<double>())
                                          .matrix();
      const wrnn::RowMatrix<double> want_dw0 = da * inputs.transpose();
      REQUIRE((as_row_major(grads[2], 10, 20) - want_dw2).cwiseAbs().maxCoeff() < 1e-12);
      REQUIRE((as_row_major(grads[0], 20, units) - want_dw0).cwiseAbs().maxCoeff() < 1e-12);
      REQUIRE((grads[1] - da.rowwise().sum()).cwiseAbs().maxCoeff() < 1e-12);
      want_grad_inputs = weight(0).transpose() * da;
    }
    REQUIRE((grad_state.topRows(units) - want_grad_inputs).cwiseAbs().maxCoeff() < 1e-12);
    REQUIRE(grad_state.bottomRows(stride - units).isZero());  // rows the readout does not read
  }
}

}  // namespace test_narrow_products
