// The products for operands with their samples in SIMD lanes (wrnn/kernels/lane_products.hpp)
// against a naive evaluation of their formulas in double precision:
//   affine:                 out[m][s]  = bias[m] + sum_k w[m][k] in[k][s]   (listed inputs k)
//   add_transposed_product: out[k][s] += sum_m w[m][k] in[m][s]
//   add_sample_products:    out[m][k] += sum_s a[m][s] b[k][s]
// for row counts that take every block size and remainder, columns below, at and past the SIMD
// width, 1 to 2W + 5 samples (pairs of vectors, single vectors, samples past them), and strides
// wider than the rows they hold; then the Readout on states with samples in lanes against the
// same Readout on the same states with samples in columns.
// The suite builds this file three times: portably and for x86-64-v3 and v4.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/naive_sums.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/kernels/lane_products.hpp"
#include "wrnn/model/readout.hpp"

namespace test_lane_products {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::Index;

using wrnn_test::close_to_sum;
using wrnn_test::random_values;

template <class Scalar>
Index lanes() {
  if constexpr (wrnn::simd::available<Scalar>)
    return wrnn::tile::lanes<Scalar>;
  else
    return 1;
}

struct Sizes {
  Index rows, cols, batch;
};

template <class Scalar>
std::vector<Sizes> sizes() {
  const Index W = lanes<Scalar>();
  std::vector<Sizes> list;
  for (Index rows : {1, 2, 3, 5, 8, 10, 12, 13, 25})
    for (Index cols : {Index{1}, Index{3}, W, W + 1, 2 * W + 3, Index{100}})
      for (Index batch : {Index{1}, Index{3}, W, W + 3, 2 * W + 5})
        list.push_back({rows, cols, batch});
  return list;
}

}  // namespace

TEMPLATE_TEST_CASE("lanes affine products match a naive evaluation", "[kernels][lanes]", float,
                   double) {
  using Scalar = TestType;
  wrnn::Rng rng(21);
  for (const Sizes& z : sizes<Scalar>()) {
    for (bool with_bias : {true, false}) {
      // every input (no list); every other one listed (the projection's inputs that are not
      // all zero); none listed (every input zero at that step: the bias alone)
      for (const char* listing : {"all", "every other", "none"}) {
        const bool listed = listing[0] != 'a';
        CAPTURE(z.rows, z.cols, z.batch, with_bias, listing);
        const Index weight_stride = z.cols + 2;  // wider than the columns it holds
        const auto weight = random_values<Scalar>(z.rows * weight_stride, rng);
        const auto bias = random_values<Scalar>(z.rows, rng);
        const auto in = random_values<Scalar>(z.cols * z.batch, rng);
        std::vector<Index> inputs;
        if (listing[0] != 'n')
          for (Index k = 0; k < z.cols; k += listed ? 2 : 1) inputs.push_back(k);
        std::vector<Scalar> out(static_cast<std::size_t>(z.rows * z.batch), Scalar(7));
        wrnn::lanes::affine(weight.data(), weight_stride, z.rows,
                            with_bias ? bias.data() : static_cast<const Scalar*>(nullptr),
                            in.data(), listed ? inputs.data() : static_cast<const Index*>(nullptr),
                            static_cast<Index>(listed ? inputs.size() : z.cols), out.data(),
                            z.batch);
        bool all_close = true;
        for (Index m = 0; m < z.rows; ++m)
          for (Index s = 0; s < z.batch; ++s) {
            double want = with_bias ? bias[m] : 0.0, scale = std::abs(want);
            for (Index k : inputs) {
              const double term = double(weight[m * weight_stride + k]) * in[k * z.batch + s];
              want += term;
              scale += std::abs(term);
            }
            all_close = all_close && close_to_sum(out[m * z.batch + s], want, scale);
          }
        CHECK(all_close);
      }
    }
  }
}

TEMPLATE_TEST_CASE("lanes transposed products match a naive evaluation", "[kernels][lanes]", float,
                   double) {
  using Scalar = TestType;
  wrnn::Rng rng(22);
  for (const Sizes& z : sizes<Scalar>()) {
    CAPTURE(z.rows, z.cols, z.batch);
    const Index weight_stride = z.cols + 3;
    const auto weight = random_values<Scalar>(z.rows * weight_stride, rng);
    const auto in = random_values<Scalar>(z.rows * z.batch, rng);
    const auto before = random_values<Scalar>(z.cols * z.batch, rng);
    std::vector<Scalar> out = before;
    wrnn::lanes::add_transposed_product(weight.data(), weight_stride, z.rows, z.cols, in.data(),
                                        out.data(), z.batch);
    bool all_close = true;
    for (Index k = 0; k < z.cols; ++k)
      for (Index s = 0; s < z.batch; ++s) {
        double want = before[k * z.batch + s], scale = std::abs(want);
        for (Index m = 0; m < z.rows; ++m) {
          const double term = double(weight[m * weight_stride + k]) * in[m * z.batch + s];
          want += term;
          scale += std::abs(term);
        }
        all_close = all_close && close_to_sum(out[k * z.batch + s], want, scale);
      }
    CHECK(all_close);
  }
}

TEMPLATE_TEST_CASE("lanes sample products match a naive evaluation", "[kernels][lanes]", float,
                   double) {
  // From 4 rows of `a` on the kernel transposes blocks of b; below it adds lanes across.
  using Scalar = TestType;
  wrnn::Rng rng(23);
  for (const Sizes& z : sizes<Scalar>()) {
    CAPTURE(z.rows, z.cols, z.batch);
    const Index out_stride = z.cols + 5;
    const auto a = random_values<Scalar>(z.rows * z.batch, rng);
    const auto b = random_values<Scalar>(z.cols * z.batch, rng);
    const auto before = random_values<Scalar>(z.rows * out_stride, rng);
    std::vector<Scalar> out = before;
    wrnn::lanes::add_sample_products(a.data(), z.rows, b.data(), z.cols, out.data(), out_stride,
                                     z.batch);
    bool all_close = true, gaps_kept = true;
    for (Index m = 0; m < z.rows; ++m) {
      for (Index k = 0; k < z.cols; ++k) {
        double want = before[m * out_stride + k], scale = std::abs(want);
        for (Index s = 0; s < z.batch; ++s) {
          const double term = double(a[m * z.batch + s]) * b[k * z.batch + s];
          want += term;
          scale += std::abs(term);
        }
        all_close = all_close && close_to_sum(out[m * out_stride + k], want, scale);
      }
      for (Index k = z.cols; k < out_stride; ++k)
        gaps_kept = gaps_kept && out[m * out_stride + k] == before[m * out_stride + k];
    }
    CHECK(all_close);
    CHECK(gaps_kept);
  }
}

TEMPLATE_TEST_CASE("the Readout on states in lanes equals the Readout on states in columns",
                   "[kernels][lanes][readout]", float, double) {
  using Scalar = TestType;
  for (wrnn::ReadoutKind kind : {wrnn::ReadoutKind::linear, wrnn::ReadoutKind::mlp}) {
    for (Index batch : {Index{1}, 2 * lanes<Scalar>() + 3}) {
      CAPTURE(wrnn::to_string(kind), batch);
      wrnn::ReadoutOptions options;
      options.output_size = 10;
      options.kind = kind;
      options.mlp_hidden = 13;
      const Index N = 37, o = options.output_size, H = options.mlp_hidden;
      wrnn::Readout<Scalar> readout(options, N);
      wrnn::Rng rng(5);
      readout.init(rng);
      const wrnn::Matrix<Scalar> h = wrnn::Matrix<Scalar>::Random(N, batch),
                                 dy = wrnn::Matrix<Scalar>::Random(o, batch),
                                 dh_before = wrnn::Matrix<Scalar>::Random(N, batch);
      // columns
      wrnn::Matrix<Scalar> hidden(H, batch), y(o, batch), grad_hidden(H, batch), dh = dh_before;
      readout.forward(wrnn::ConstMatrixMap<Scalar>(h.data(), N, batch),
                      wrnn::MatrixMap<Scalar>(hidden.data(), H, batch),
                      wrnn::MatrixMap<Scalar>(y.data(), o, batch));
      std::vector<wrnn::Vector<Scalar>> grads;
      std::vector<Scalar*> grad_pointers;
      for (auto* parameter : readout.parameters())
        grads.push_back(wrnn::Vector<Scalar>::Zero(parameter->size()));
      for (auto& g : grads) grad_pointers.push_back(g.data());
      readout.backward(wrnn::ConstMatrixMap<Scalar>(h.data(), N, batch),
                       wrnn::ConstMatrixMap<Scalar>(hidden.data(), H, batch),
                       wrnn::ConstMatrixMap<Scalar>(dy.data(), o, batch),
                       wrnn::MatrixMap<Scalar>(grad_hidden.data(), H, batch),
                       wrnn::MatrixMap<Scalar>(dh.data(), N, batch), grad_pointers.data());
      // lanes: the same matrices stored row-major
      const wrnn::RowMatrix<Scalar> h_lanes = h, dy_lanes = dy;
      wrnn::RowMatrix<Scalar> hidden_lanes(H, batch), y_lanes(o, batch),
          grad_hidden_lanes(H, batch), dh_lanes = dh_before;
      readout.forward(wrnn::ConstRowMatrixMap<Scalar>(h_lanes.data(), N, batch),
                      wrnn::RowMatrixMap<Scalar>(hidden_lanes.data(), H, batch),
                      wrnn::RowMatrixMap<Scalar>(y_lanes.data(), o, batch));
      std::vector<wrnn::Vector<Scalar>> lane_grads;
      std::vector<Scalar*> lane_pointers;
      for (auto* parameter : readout.parameters())
        lane_grads.push_back(wrnn::Vector<Scalar>::Zero(parameter->size()));
      for (auto& g : lane_grads) lane_pointers.push_back(g.data());
      readout.backward(wrnn::ConstRowMatrixMap<Scalar>(h_lanes.data(), N, batch),
                       wrnn::ConstRowMatrixMap<Scalar>(hidden_lanes.data(), H, batch),
                       wrnn::ConstRowMatrixMap<Scalar>(dy_lanes.data(), o, batch),
                       wrnn::RowMatrixMap<Scalar>(grad_hidden_lanes.data(), H, batch),
                       wrnn::RowMatrixMap<Scalar>(dh_lanes.data(), N, batch), lane_pointers.data());
      const double tolerance = std::is_same<Scalar, float>::value ? 1e-5 : 1e-13;
      auto differ = [](const auto& a, const auto& b) {
        return (a.template cast<double>() - b.template cast<double>()).cwiseAbs().maxCoeff();
      };
      CHECK(differ(wrnn::Matrix<Scalar>(y_lanes), y) <= tolerance);
      CHECK(differ(wrnn::Matrix<Scalar>(dh_lanes), dh) <= tolerance * 10);
      for (std::size_t p = 0; p < grads.size(); ++p) {
        CAPTURE(p);
        CHECK(differ(lane_grads[p], grads[p]) <= tolerance * 10);
      }
    }
  }
}

}  // namespace test_lane_products
