// The circular-convolution kernels against independent oracles:
// * the scalar reference against a naive evaluation of the formulas with `%` on every index;
// * the dispatched kernels (direct xsimd, or Winograd F(4, 3) for k = 3 rings of
//   winograd::min_channels+ channels in AVX-512 and AVX2 + FMA builds) against the reference
//   evaluated in double precision on the same inputs, for ring sizes that are not multiples of
//   the SIMD width (or of 64 or 32 units, the Winograd kernels' vector of tiles), C = 1 and
//   C > 1, k in {1, 3, 5, 7}, batch 1 and an odd batch, with and without bias, and the fused
//   activation.
// The suite builds this file three times: portably (test_kernels) and for x86-64-v3 and v4
// (test_kernels_avx2, test_kernels_avx512), where the Winograd kernels are compiled in.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "support/allocation_counter.hpp"
#include "support/conv_test_cases.hpp"
#include "wrnn/core/rng.hpp"
#include "wrnn/kernels/circular_conv.hpp"
#include "wrnn/kernels/circular_conv_parallel.hpp"

namespace test_kernels {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::ConvShape;
using wrnn::Index;
using namespace wrnn_test::conv;

// The formulas of circular_conv_reference.hpp, one `%` per term.
void naive_forward(const ConvShape& s, const std::vector<double>& u, const std::vector<double>& b,
                   const std::vector<double>& h, std::vector<double>& out, Index batch) {
  const Index n = s.ring_size, C = s.channels, k = s.kernel_size, r = s.half_width();
  for (Index sample = 0; sample < batch; ++sample)
    for (Index c = 0; c < C; ++c)
      for (Index i = 0; i < n; ++i) {
        double sum = b[c];
        for (Index ci = 0; ci < C; ++ci)
          for (Index j = 0; j < k; ++j)
            sum += u[(c * C + ci) * k + j] * h[sample * C * n + ci * n + ((i + j - r) % n + n) % n];
        out[sample * C * n + c * n + i] += sum;
      }
}

void naive_backward_state(const ConvShape& s, const std::vector<double>& u,
                          const std::vector<double>& g, std::vector<double>& grad_h, Index batch) {
  const Index n = s.ring_size, C = s.channels, k = s.kernel_size, r = s.half_width();
  for (Index sample = 0; sample < batch; ++sample)
    for (Index ci = 0; ci < C; ++ci)
      for (Index m = 0; m < n; ++m) {
        double sum = 0;
        for (Index c = 0; c < C; ++c)
          for (Index j = 0; j < k; ++j)
            sum += u[(c * C + ci) * k + j] * g[sample * C * n + c * n + ((m - j + r) % n + n) % n];
        grad_h[sample * C * n + ci * n + m] += sum;
      }
}

void naive_backward_weights(const ConvShape& s, const std::vector<double>& h,
                            const std::vector<double>& g, std::vector<double>& grad_u,
                            std::vector<double>& grad_b, Index batch) {
  const Index n = s.ring_size, C = s.channels, k = s.kernel_size, r = s.half_width();
  for (Index c = 0; c < C; ++c) {
    for (Index ci = 0; ci < C; ++ci)
      for (Index j = 0; j < k; ++j) {
        double sum = 0;
        for (Index sample = 0; sample < batch; ++sample)
          for (Index i = 0; i < n; ++i)
            sum += g[sample * C * n + c * n + i] *
                   h[sample * C * n + ci * n + ((i + j - r) % n + n) % n];
        grad_u[(c * C + ci) * k + j] += sum;
      }
    double sum = 0;
    for (Index sample = 0; sample < batch; ++sample)
      for (Index i = 0; i < n; ++i) sum += g[sample * C * n + c * n + i];
    grad_b[c] += sum;
  }
}

}  // namespace

TEST_CASE("reference circular convolution matches a naive modulo evaluation", "[kernels]") {
  for (const ConvShape& shape : {ConvShape{1, 1, 3}, ConvShape{2, 5, 3}, ConvShape{3, 7, 5},
                                 ConvShape{2, 3, 7}, ConvShape{4, 10, 1}, ConvShape{3, 2, 5}}) {
    CAPTURE(shape.channels, shape.ring_size, shape.kernel_size);
    const Index batch = 3;
    const Case data = make_case<double>(shape, batch, 11);

    std::vector<double> expected = data.out, actual = data.out;
    naive_forward(shape, data.weights, data.bias, data.state, expected, batch);
    wrnn::reference::circular_conv_forward(shape, data.weights.data(), data.bias.data(),
                                           data.state.data(), actual.data(), batch);
    CHECK(relative_error(actual, expected) < 1e-14);

    expected = data.out;
    actual = data.out;
    naive_backward_state(shape, data.weights, data.grad_out, expected, batch);
    wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                  actual.data(), batch);
    CHECK(relative_error(actual, expected) < 1e-14);

    std::vector<double> expected_u = data.grad_weights, actual_u = data.grad_weights;
    std::vector<double> expected_b = data.grad_bias, actual_b = data.grad_bias;
    naive_backward_weights(shape, data.state, data.grad_out, expected_u, expected_b, batch);
    wrnn::reference::circular_conv_backward_weights(shape, data.state.data(), data.grad_out.data(),
                                                    actual_u.data(), actual_b.data(), batch);
    CHECK(relative_error(actual_u, expected_u) < 1e-14);
    CHECK(relative_error(actual_b, expected_b) < 1e-14);
  }
}

TEST_CASE("the SIMD kernels are the ones dispatched on x86-64", "[kernels]") {
#if defined(__x86_64__)
  STATIC_REQUIRE(wrnn::simd::available<float>);
  STATIC_REQUIRE(wrnn::simd::available<double>);
#else
  SUCCEED("not an x86-64 build");
#endif
}

TEST_CASE("Winograd serves k = 3 rings of min_channels+ channels on AVX-512 and AVX2, for float",
          "[kernels][winograd]") {
#if defined(__AVX512F__)
  STATIC_REQUIRE(wrnn::winograd::compiled);
  STATIC_REQUIRE(wrnn::winograd::min_channels == 6);
#elif defined(__AVX2__) && defined(__FMA__)
  STATIC_REQUIRE(wrnn::winograd::compiled);
  STATIC_REQUIRE(wrnn::winograd::min_channels == 8);
#else
  STATIC_REQUIRE_FALSE(wrnn::winograd::compiled);
#endif
  const bool compiled = wrnn::winograd::compiled;
  CHECK(wrnn::uses_winograd<float>(ConvShape{16, 256, 3}) == compiled);  // sMNIST
  CHECK(wrnn::uses_winograd<float>(ConvShape{27, 100, 3}) == compiled);  // adding
  CHECK(wrnn::uses_winograd<float>(ConvShape{12, 4, 3}) == compiled);
  CHECK(wrnn::uses_winograd<float>(ConvShape{8, 100, 3}) == compiled);
  // copy: Winograd only where it pays from 6 channels (AVX-512)
  CHECK(wrnn::uses_winograd<float>(ConvShape{6, 100, 3}) ==
        (compiled && wrnn::winograd::min_channels <= 6));
  CHECK_FALSE(wrnn::uses_winograd<float>(ConvShape{4, 100, 3}));    // too few channels
  CHECK_FALSE(wrnn::uses_winograd<float>(ConvShape{16, 257, 3}));   // n not a multiple of 4
  CHECK_FALSE(wrnn::uses_winograd<float>(ConvShape{16, 256, 5}));   // k != 3
  CHECK_FALSE(wrnn::uses_winograd<double>(ConvShape{16, 256, 3}));  // float only
  CHECK(wrnn::circular_conv_scratch_size<float>(ConvShape{16, 256, 3}) > 0);
}

TEMPLATE_TEST_CASE("circular convolution kernels match the reference", "[kernels]", float, double) {
  using Scalar = TestType;
  std::uint64_t seed = 100;
  for (const ConvShape& shape : shapes_to_test()) {
    for (Index batch : {1, 5}) {
      for (bool with_bias : {true, false}) {
        CAPTURE(shape.channels, shape.ring_size, shape.kernel_size, batch, with_bias);
        const Case data = make_case<Scalar>(shape, batch, ++seed);
        const std::vector<Scalar> weights = cast<Scalar>(data.weights),
                                  bias = cast<Scalar>(data.bias), state = cast<Scalar>(data.state),
                                  grad_out = cast<Scalar>(data.grad_out);
        const double* expected_bias = with_bias ? data.bias.data() : nullptr;
        const Scalar* actual_bias = with_bias ? bias.data() : nullptr;

        // forward: out += b + u (*) h
        std::vector<double> expected = data.out;
        std::vector<Scalar> actual = cast<Scalar>(data.out);
        wrnn::reference::circular_conv_forward(shape, data.weights.data(), expected_bias,
                                               data.state.data(), expected.data(), batch);
        wrnn::circular_conv_forward(shape, weights.data(), actual_bias, state.data(), actual.data(),
                                    batch);
        CHECK(relative_error(actual, expected) <= tolerance<Scalar>());

        // fused: out = act(out + b + u (*) h)
        for (wrnn::Activation activation :
             {wrnn::Activation::relu, wrnn::Activation::tanh, wrnn::Activation::identity}) {
          CAPTURE(wrnn::to_string(activation));
          std::vector<double> fused_expected = expected;
          for (double& value : fused_expected) value = apply(activation, value);
          std::vector<Scalar> fused = cast<Scalar>(data.out);
          wrnn::circular_conv_forward_activation(shape, weights.data(), actual_bias, state.data(),
                                                 fused.data(), batch, activation);
          CHECK(relative_error(fused, fused_expected) <= tolerance<Scalar>());

          // Winograd with the weights transformed once (as StreamingWaveCell keeps them): in
          // place over the state with a separate addend, accumulating (addend = out), and with
          // no addend (act(b + u (*) h)).
          if constexpr (std::is_same<Scalar, float>::value && wrnn::winograd::compiled) {
            if (wrnn::uses_winograd<float>(shape)) {
              std::vector<float> transformed(
                  static_cast<std::size_t>(wrnn::winograd::transformed_weights_size(shape)));
              wrnn::winograd::transform_forward_weights(shape, weights.data(), transformed.data());
              wrnn::ScratchBuffer<float> scratch(wrnn::winograd::scratch_size(shape));
              std::vector<float> stepped = state, addend = cast<float>(data.out);
              wrnn::winograd::forward_transformed(shape, transformed.data(), actual_bias,
                                                  stepped.data(), addend.data(), stepped.data(),
                                                  batch, activation, scratch);
              CHECK(relative_error(stepped, fused_expected) <= tolerance<float>());
              CHECK(addend == cast<float>(data.out));
              std::vector<float> accumulated = cast<float>(data.out);
              wrnn::winograd::forward_transformed(shape, transformed.data(), actual_bias,
                                                  state.data(), accumulated.data(),
                                                  accumulated.data(), batch, activation, scratch);
              CHECK(relative_error(accumulated, fused_expected) <= tolerance<float>());
              std::vector<double> plain_expected(data.out.size(), 0.0);
              wrnn::reference::circular_conv_forward(shape, data.weights.data(), expected_bias,
                                                     data.state.data(), plain_expected.data(),
                                                     batch);
              for (double& value : plain_expected) value = apply(activation, value);
              std::vector<float> plain(data.out.size(), 7.0f);  // overwritten
              wrnn::winograd::forward_transformed(shape, transformed.data(), actual_bias,
                                                  state.data(), nullptr, plain.data(), batch,
                                                  activation, scratch);
              CHECK(relative_error(plain, plain_expected) <= tolerance<float>());
            }
          }
        }

        // backward to the state: grad_h += u^T (*) g
        expected = data.out;
        actual = cast<Scalar>(data.out);
        wrnn::reference::circular_conv_backward_state(shape, data.weights.data(),
                                                      data.grad_out.data(), expected.data(), batch);
        wrnn::circular_conv_backward_state(shape, weights.data(), grad_out.data(), actual.data(),
                                           batch);
        CHECK(relative_error(actual, expected) <= tolerance<Scalar>());

        // backward to the weights and bias
        std::vector<double> expected_u = data.grad_weights, expected_b = data.grad_bias;
        std::vector<Scalar> actual_u = cast<Scalar>(data.grad_weights),
                            actual_b = cast<Scalar>(data.grad_bias);
        wrnn::reference::circular_conv_backward_weights(
            shape, data.state.data(), data.grad_out.data(), expected_u.data(),
            with_bias ? expected_b.data() : nullptr, batch);
        wrnn::circular_conv_backward_weights(shape, state.data(), grad_out.data(), actual_u.data(),
                                             with_bias ? actual_b.data() : nullptr, batch);
        CHECK(relative_error(actual_u, expected_u) <= tolerance<Scalar>());
        CHECK(relative_error(actual_b, expected_b) <= tolerance<Scalar>());

        // both backward passes at once: against the reference, and bit for bit against the two
        // kernels above run one after the other (grad_state starts as garbage: overwritten)
        std::vector<double> expected_state(data.out.size(), 0.0);
        wrnn::reference::circular_conv_backward_state(
            shape, data.weights.data(), data.grad_out.data(), expected_state.data(), batch);
        std::vector<Scalar> separate_state(data.out.size(), Scalar(0));
        wrnn::circular_conv_backward_state(shape, weights.data(), grad_out.data(),
                                           separate_state.data(), batch);
        std::vector<Scalar> fused_state = cast<Scalar>(data.out),
                            fused_u = cast<Scalar>(data.grad_weights),
                            fused_b = cast<Scalar>(data.grad_bias);
        wrnn::circular_conv_backward(shape, weights.data(), state.data(), grad_out.data(),
                                     fused_u.data(), with_bias ? fused_b.data() : nullptr,
                                     fused_state.data(), batch);
        CHECK(relative_error(fused_state, expected_state) <= tolerance<Scalar>());
        CHECK(relative_error(fused_u, expected_u) <= tolerance<Scalar>());
        CHECK(relative_error(fused_b, expected_b) <= tolerance<Scalar>());
        CHECK(fused_state == separate_state);
        CHECK(fused_u == actual_u);
        CHECK(fused_b == actual_b);
      }
    }
  }
}

TEMPLATE_TEST_CASE("kernels give the same result with a dirty caller-owned scratch buffer",
                   "[kernels]", float, double) {
  // A scratch buffer reused from a larger shape holds stale values; NaN makes any stale value
  // that a kernel reads show up in its result.
  using Scalar = TestType;
  const auto [large, shape] =
      GENERATE(std::pair<ConvShape, ConvShape>{{6, 257, 7}, {3, 13, 5}},
               std::pair<ConvShape, ConvShape>{{6, 257, 7}, {6, 100, 3}},  // the copy task's
               std::pair<ConvShape, ConvShape>{{6, 257, 7}, {2, 3, 3}},    // a ring < one vector
               // n = 1 mod W, r = 2: the weight tiles read the padded rows' zeros past the ring
               std::pair<ConvShape, ConvShape>{{6, 257, 7}, {2, 17, 5}},
               std::pair<ConvShape, ConvShape>{{16, 256, 3}, {13, 20, 3}},  // Winograd
               // Winograd, packed: 11 samples of 5 tiles in a group's row of 8 samples
               std::pair<ConvShape, ConvShape>{{27, 256, 3}, {16, 20, 3}});
  CAPTURE(shape.channels, shape.ring_size, shape.kernel_size);
  // More samples than one staging group of the backward to the weights (at most 8): the rows'
  // zero ends, set once per call, must hold for every group.
  const Index batch = 11;
  wrnn::ScratchBuffer<Scalar> scratch(wrnn::circular_conv_scratch_size<Scalar>(large));
  const Index capacity = scratch.capacity();
  REQUIRE(capacity >= wrnn::circular_conv_scratch_size<Scalar>(shape));

  const Case data = make_case<Scalar>(shape, batch, 7);
  const std::vector<Scalar> weights = cast<Scalar>(data.weights), bias = cast<Scalar>(data.bias),
                            state = cast<Scalar>(data.state),
                            grad_out = cast<Scalar>(data.grad_out);
  auto poison = [&] {
    std::fill(scratch.data(capacity), scratch.data(capacity) + capacity,
              std::numeric_limits<Scalar>::quiet_NaN());
  };

  std::vector<double> expected = data.out;
  wrnn::reference::circular_conv_forward(shape, data.weights.data(), data.bias.data(),
                                         data.state.data(), expected.data(), batch);
  std::vector<Scalar> actual = cast<Scalar>(data.out);
  poison();
  wrnn::circular_conv_forward(shape, weights.data(), bias.data(), state.data(), actual.data(),
                              batch, scratch);
  CHECK(relative_error(actual, expected) <= tolerance<Scalar>());

  expected = data.out;
  wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                expected.data(), batch);
  actual = cast<Scalar>(data.out);
  poison();
  wrnn::circular_conv_backward_state(shape, weights.data(), grad_out.data(), actual.data(), batch,
                                     scratch);
  CHECK(relative_error(actual, expected) <= tolerance<Scalar>());

  std::vector<double> expected_u = data.grad_weights, expected_b = data.grad_bias;
  wrnn::reference::circular_conv_backward_weights(shape, data.state.data(), data.grad_out.data(),
                                                  expected_u.data(), expected_b.data(), batch);
  std::vector<Scalar> actual_u = cast<Scalar>(data.grad_weights),
                      actual_b = cast<Scalar>(data.grad_bias);
  poison();
  wrnn::circular_conv_backward_weights(shape, state.data(), grad_out.data(), actual_u.data(),
                                       actual_b.data(), batch, scratch);
  CHECK(relative_error(actual_u, expected_u) <= tolerance<Scalar>());
  CHECK(relative_error(actual_b, expected_b) <= tolerance<Scalar>());

  std::vector<double> expected_state(data.out.size(), 0.0);
  wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                expected_state.data(), batch);
  std::vector<Scalar> fused_state = cast<Scalar>(data.out),
                      fused_u = cast<Scalar>(data.grad_weights),
                      fused_b = cast<Scalar>(data.grad_bias);
  poison();
  wrnn::circular_conv_backward(shape, weights.data(), state.data(), grad_out.data(), fused_u.data(),
                               fused_b.data(), fused_state.data(), batch, scratch);
  CHECK(relative_error(fused_state, expected_state) <= tolerance<Scalar>());
  CHECK(relative_error(fused_u, expected_u) <= tolerance<Scalar>());
  CHECK(relative_error(fused_b, expected_b) <= tolerance<Scalar>());

  CHECK(scratch.capacity() == capacity);  // a reserved buffer is never reallocated
}

TEST_CASE("forward and backward-to-state results of a sample do not depend on its batch",
          "[kernels]") {
  // Splitting a batch across threads must give bit-identical results: each sample is computed
  // on its own, so running it alone gives exactly the same bits as inside a batch. From 16
  // channels on, the Winograd kernels pack up to 8 samples into one row where a ring leaves
  // lanes empty (n = 100: 25 tiles in 32 lanes; n = 20: 5 tiles; n = 68: 17), so 19 samples
  // make two full groups and a partial one, and every sample sits at another place in its
  // group than when alone. The fused backward's state gradient mixes the same groups.
  const ConvShape shape = GENERATE(
      ConvShape{5, 100, 3}, ConvShape{6, 100, 3}, ConvShape{16, 100, 3}, ConvShape{27, 100, 3},
      ConvShape{16, 20, 3}, ConvShape{17, 68, 3}, ConvShape{13, 20, 3}, ConvShape{16, 256, 3});
  CAPTURE(shape.channels, shape.ring_size);
  const Index batch = 19;
  const Case data = make_case<float>(shape, batch, 3);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias),
                           state = cast<float>(data.state), grad_out = cast<float>(data.grad_out);
  std::vector<float> together = cast<float>(data.out), alone = cast<float>(data.out);
  wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(), state.data(),
                                         together.data(), batch, wrnn::Activation::tanh);
  std::vector<float> grad_together = cast<float>(data.out), grad_alone = grad_together;
  wrnn::circular_conv_backward_state(shape, weights.data(), state.data(), grad_together.data(),
                                     batch);
  std::vector<float> fused_together(data.out.size()), fused_alone(data.out.size());
  std::vector<float> grad_u(data.grad_weights.size()), grad_b(data.grad_bias.size());
  wrnn::circular_conv_backward(shape, weights.data(), state.data(), grad_out.data(), grad_u.data(),
                               grad_b.data(), fused_together.data(), batch);
  const Index size = shape.state_size();
  for (Index b = batch - 1; b >= 0; --b) {
    wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(),
                                           state.data() + b * size, alone.data() + b * size, 1,
                                           wrnn::Activation::tanh);
    wrnn::circular_conv_backward_state(shape, weights.data(), state.data() + b * size,
                                       grad_alone.data() + b * size, 1);
    wrnn::circular_conv_backward(shape, weights.data(), state.data() + b * size,
                                 grad_out.data() + b * size, grad_u.data(), grad_b.data(),
                                 fused_alone.data() + b * size, 1);
  }
  CHECK(together == alone);
  CHECK(grad_together == grad_alone);
  CHECK(fused_together == fused_alone);
  // and right: against the reference, for the whole batch
  std::vector<double> expected = data.out;
  wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.state.data(),
                                                expected.data(), batch);
  CHECK(relative_error(grad_together, expected) <= tolerance<float>());
  std::vector<double> expected_fused(data.out.size(), 0.0);
  wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                expected_fused.data(), batch);
  CHECK(relative_error(fused_together, expected_fused) <= tolerance<float>());
}

TEST_CASE("weight gradient over batches larger than one staging group", "[kernels]") {
  // The weight-gradient kernel stages up to 8 samples at once (fewer for large C*n): batches of
  // several groups plus a remainder, and a shape whose group is a single sample.
  // The Winograd kernels stage up to 8 too: several groups at n = 256, one-sample groups at
  // C = 27, n = 1024, and packed groups where a ring leaves lanes empty (C >= 16 at n = 100
  // and 20).
  for (const auto& [shape, batch] :
       {std::pair<ConvShape, Index>{{3, 13, 5}, 19}, std::pair<ConvShape, Index>{{6, 100, 3}, 17},
        std::pair<ConvShape, Index>{{27, 257, 3}, 3}, std::pair<ConvShape, Index>{{16, 256, 3}, 19},
        std::pair<ConvShape, Index>{{27, 1024, 3}, 3},
        std::pair<ConvShape, Index>{{27, 100, 3}, 19},
        std::pair<ConvShape, Index>{{16, 20, 3}, 19}}) {
    CAPTURE(shape.channels, shape.ring_size, shape.kernel_size, batch);
    const Case data = make_case<float>(shape, batch, 5);
    std::vector<double> expected_u = data.grad_weights, expected_b = data.grad_bias;
    wrnn::reference::circular_conv_backward_weights(shape, data.state.data(), data.grad_out.data(),
                                                    expected_u.data(), expected_b.data(), batch);
    std::vector<float> actual_u = cast<float>(data.grad_weights),
                       actual_b = cast<float>(data.grad_bias);
    wrnn::circular_conv_backward_weights(shape, cast<float>(data.state).data(),
                                         cast<float>(data.grad_out).data(), actual_u.data(),
                                         actual_b.data(), batch);
    CHECK(relative_error(actual_u, expected_u) <= tolerance<float>());
    CHECK(relative_error(actual_b, expected_b) <= tolerance<float>());

    // the fused backward stages the same groups and runs the backward to the state per group
    std::vector<double> expected_state(data.out.size(), 0.0);
    wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                  expected_state.data(), batch);
    std::vector<float> fused_u = cast<float>(data.grad_weights),
                       fused_b = cast<float>(data.grad_bias), fused_state = cast<float>(data.out);
    wrnn::circular_conv_backward(shape, cast<float>(data.weights).data(),
                                 cast<float>(data.state).data(), cast<float>(data.grad_out).data(),
                                 fused_u.data(), fused_b.data(), fused_state.data(), batch);
    CHECK(fused_u == actual_u);
    CHECK(fused_b == actual_b);
    CHECK(relative_error(fused_state, expected_state) <= tolerance<float>());
  }
}

TEST_CASE("kernels on a thread pool: bit-identical for any thread count, close to the reference",
          "[kernels][threads]") {
  if (!wrnn_test::kCanCountAllocations) {
    WARN("heap allocations cannot be counted in this build (sanitizer or not glibc); skipped");
    return;
  }
  // The counter sees the scratch buffers' aligned operator new.
  CHECK(wrnn_test::count_allocations([] { wrnn::ScratchBuffer<float> grown(1000); }) == 1);
  // direct, then Winograd on AVX-512 (6 channels) and on both AVX-512 and AVX2 (16), the last
  // with a group's samples packed into the lanes a ring of 25 tiles leaves idle
  const ConvShape shape = GENERATE(ConvShape{5, 100, 3}, ConvShape{6, 100, 3}, ConvShape{16, 64, 3},
                                   ConvShape{16, 100, 3});
  CAPTURE(shape.channels);
  const Index batch = 21;  // three weight-gradient chunks, the last one partial
  const Case data = make_case<float>(shape, batch, 9);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias),
                           state = cast<float>(data.state), grad_out = cast<float>(data.grad_out);

  struct Results {
    std::vector<float> forward, fused, grad_state, grad_weights, grad_bias;
  };
  auto run = [&](Index threads) {
    wrnn::ThreadPool pool(threads);
    Results r{cast<float>(data.out), cast<float>(data.out), cast<float>(data.out),
              cast<float>(data.grad_weights), cast<float>(data.grad_bias)};
    wrnn::circular_conv_forward(pool, shape, weights.data(), bias.data(), state.data(),
                                r.forward.data(), batch);
    wrnn::circular_conv_forward_activation(pool, shape, weights.data(), bias.data(), state.data(),
                                           r.fused.data(), batch, wrnn::Activation::relu);
    wrnn::circular_conv_backward_state(pool, shape, weights.data(), grad_out.data(),
                                       r.grad_state.data(), batch);
    wrnn::circular_conv_backward_weights(pool, shape, state.data(), grad_out.data(),
                                         r.grad_weights.data(), r.grad_bias.data(), batch);
    return r;
  };

  const Results one = run(1);
  for (Index threads : {2, 3, 5}) {
    CAPTURE(threads);
    const Results many = run(threads);
    CHECK(many.forward == one.forward);
    CHECK(many.fused == one.fused);
    CHECK(many.grad_state == one.grad_state);
    CHECK(many.grad_weights == one.grad_weights);
    CHECK(many.grad_bias == one.grad_bias);
  }

  std::vector<double> expected = data.out;
  wrnn::reference::circular_conv_forward(shape, data.weights.data(), data.bias.data(),
                                         data.state.data(), expected.data(), batch);
  CHECK(relative_error(one.forward, expected) <= tolerance<float>());
  for (double& value : expected) value = std::max(value, 0.0);
  CHECK(relative_error(one.fused, expected) <= tolerance<float>());
  expected = data.out;
  wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                expected.data(), batch);
  CHECK(relative_error(one.grad_state, expected) <= tolerance<float>());
  std::vector<double> expected_u = data.grad_weights, expected_b = data.grad_bias;
  wrnn::reference::circular_conv_backward_weights(shape, data.state.data(), data.grad_out.data(),
                                                  expected_u.data(), expected_b.data(), batch);
  CHECK(relative_error(one.grad_weights, expected_u) <= tolerance<float>());
  CHECK(relative_error(one.grad_bias, expected_b) <= tolerance<float>());
}

TEST_CASE("kernel calls allocate nothing once their scratch is in place", "[kernels][allocation]") {
  // direct, then Winograd on AVX-512 (6 channels) and on both AVX-512 and AVX2 (16), the last
  // with a group's samples packed into the lanes a ring of 25 tiles leaves idle
  const ConvShape shape = GENERATE(ConvShape{5, 100, 3}, ConvShape{6, 100, 3}, ConvShape{16, 64, 3},
                                   ConvShape{16, 100, 3});
  CAPTURE(shape.channels);
  const Index batch = 9;
  const Case data = make_case<float>(shape, batch, 13);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias),
                           state = cast<float>(data.state), grad_out = cast<float>(data.grad_out);
  std::vector<float> out = cast<float>(data.out), grad_state = out,
                     grad_weights = cast<float>(data.grad_weights),
                     grad_bias = cast<float>(data.grad_bias);
  wrnn::ScratchBuffer<float> scratch(wrnn::circular_conv_scratch_size<float>(shape));
  wrnn::ThreadPool pool(3);

  auto serial_calls = [&](auto&&... scratch_argument) {
    wrnn::circular_conv_forward(shape, weights.data(), bias.data(), state.data(), out.data(), 1,
                                scratch_argument...);
    for (wrnn::Activation activation : {wrnn::Activation::relu, wrnn::Activation::tanh})
      wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(), state.data(),
                                             out.data(), batch, activation, scratch_argument...);
    wrnn::circular_conv_backward_state(shape, weights.data(), grad_out.data(), grad_state.data(),
                                       batch, scratch_argument...);
    wrnn::circular_conv_backward_weights(shape, state.data(), grad_out.data(), grad_weights.data(),
                                         grad_bias.data(), batch, scratch_argument...);
  };
  auto parallel_calls = [&] {
    wrnn::circular_conv_forward_activation(pool, shape, weights.data(), bias.data(), state.data(),
                                           out.data(), batch, wrnn::Activation::relu);
    wrnn::circular_conv_backward_state(pool, shape, weights.data(), grad_out.data(),
                                       grad_state.data(), batch);
    wrnn::circular_conv_backward_weights(pool, shape, state.data(), grad_out.data(),
                                         grad_weights.data(), grad_bias.data(), batch);
  };

  // A caller-owned, reserved buffer: not even the first call allocates.
  CHECK(wrnn_test::count_allocations([&] { serial_calls(scratch); }) == 0);

  // This thread's own buffer: the first call may allocate, later ones never.
  serial_calls();
  CHECK(wrnn_test::count_allocations([&] {
          for (int repeat = 0; repeat < 3; ++repeat) serial_calls();
        }) == 0);

  // On a pool, each thread allocates its scratch (two slots: rows, and the weight gradient's
  // chunk partials) the first time it happens to run a task, which depends on scheduling; after
  // that never, so many calls allocate at most two buffers per thread in all.
  CHECK(wrnn_test::count_allocations([&] {
          for (int repeat = 0; repeat < 20; ++repeat) parallel_calls();
        }) <= 2 * pool.thread_count());
}

TEST_CASE("kernels reject a shape whose padding exceeds the ring", "[kernels]") {
  const ConvShape too_wide{2, 3, 9};  // r = 4 > n = 3
  std::vector<float> weights(static_cast<std::size_t>(too_wide.weight_count()), 0.0f),
      state(6, 0.0f), out(6, 0.0f);
  CHECK_THROWS_AS(
      wrnn::circular_conv_forward(too_wide, weights.data(), static_cast<const float*>(nullptr),
                                  state.data(), out.data(), 1),
      wrnn::ValueError);
  CHECK_THROWS_AS(
      wrnn::circular_conv_backward_state(too_wide, weights.data(), state.data(), out.data(), 1),
      wrnn::ValueError);
}

}  // namespace test_kernels
