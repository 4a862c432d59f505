// The circular-convolution kernels for states with each sample's values together against
// independent oracles:
// * the scalar reference against a naive evaluation of the formulas with `%` on every index;
// * the dispatched forward (direct xsimd, or Winograd F(4, 3) for k = 3 rings of
//   winograd::min_channels+ channels in AVX-512 and AVX2 + FMA builds), what the single-sample
//   step runs, against the reference evaluated in double precision on the same inputs, element by
//   element, for ring sizes that are not multiples of the SIMD width (or of 64 or 32 units, the
//   Winograd kernels' vector of tiles), C = 1 and C > 1, k in {1, 3, 5, 7}, batch 1 and an odd
//   batch, with and without bias, and the fused activation;
// * every kernel the library runs (this forward one sample at a time, the lanes kernels on
//   chunks) on a thread pool, each thread on its own scratch: the same bits as on one thread.
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
#include "wrnn/core/thread_pool.hpp"
#include "wrnn/kernels/circular_conv.hpp"
#include "wrnn/kernels/circular_conv_lanes.hpp"

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
    CHECK(conditioned_error(actual, expected, forward_magnitudes(data, true, true)) < 1e-14);

    expected = data.out;
    actual = data.out;
    naive_backward_state(shape, data.weights, data.grad_out, expected, batch);
    wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                  actual.data(), batch);
    CHECK(conditioned_error(actual, expected, backward_state_magnitudes(data, true)) < 1e-14);

    std::vector<double> expected_u = data.grad_weights, actual_u = data.grad_weights;
    std::vector<double> expected_b = data.grad_bias, actual_b = data.grad_bias;
    naive_backward_weights(shape, data.state, data.grad_out, expected_u, expected_b, batch);
    wrnn::reference::circular_conv_backward_weights(shape, data.state.data(), data.grad_out.data(),
                                                    actual_u.data(), actual_b.data(), batch);
    std::vector<double> magnitude_u = absolute(data.grad_weights),
                        magnitude_b = absolute(data.grad_bias);
    naive_backward_weights(shape, absolute(data.state), absolute(data.grad_out), magnitude_u,
                           magnitude_b, batch);
    CHECK(conditioned_error(actual_u, expected_u, magnitude_u) < 1e-14);
    CHECK(conditioned_error(actual_b, expected_b, magnitude_b) < 1e-14);
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

TEMPLATE_TEST_CASE("the column forward matches the reference element by element", "[kernels]",
                   float, double) {
  using Scalar = TestType;
  std::uint64_t seed = 100;
  for (const ConvShape& shape : shapes_to_test()) {
    for (Index batch : {1, 5}) {
      for (bool with_bias : {true, false}) {
        CAPTURE(shape.channels, shape.ring_size, shape.kernel_size, batch, with_bias);
        const Case data = make_case<Scalar>(shape, batch, ++seed);
        const std::vector<Scalar> weights = cast<Scalar>(data.weights),
                                  bias = cast<Scalar>(data.bias), state = cast<Scalar>(data.state);
        const double* expected_bias = with_bias ? data.bias.data() : nullptr;
        const Scalar* actual_bias = with_bias ? bias.data() : nullptr;
        const std::vector<double> magnitudes = forward_magnitudes(data, with_bias, true);

        // out = act(out + b + u (*) h), the plain forward being the identity; the activations
        // are 1-Lipschitz, so the bound on the sum holds for them too
        std::vector<double> expected = data.out;
        wrnn::reference::circular_conv_forward(shape, data.weights.data(), expected_bias,
                                               data.state.data(), expected.data(), batch);
        for (wrnn::Activation activation :
             {wrnn::Activation::relu, wrnn::Activation::tanh, wrnn::Activation::identity}) {
          CAPTURE(wrnn::to_string(activation));
          std::vector<double> fused_expected = expected;
          for (double& value : fused_expected) value = apply(activation, value);
          std::vector<Scalar> fused = cast<Scalar>(data.out);
          wrnn::circular_conv_forward_activation(shape, weights.data(), actual_bias, state.data(),
                                                 fused.data(), batch, activation);
          CHECK(conditioned_error(fused, fused_expected, magnitudes) <= tolerance<Scalar>());

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
              CHECK(conditioned_error(stepped, fused_expected, magnitudes) <= tolerance<float>());
              CHECK(addend == cast<float>(data.out));
              std::vector<float> accumulated = cast<float>(data.out);
              wrnn::winograd::forward_transformed(shape, transformed.data(), actual_bias,
                                                  state.data(), accumulated.data(),
                                                  accumulated.data(), batch, activation, scratch);
              CHECK(conditioned_error(accumulated, fused_expected, magnitudes) <=
                    tolerance<float>());
              std::vector<double> plain_expected(data.out.size(), 0.0);
              wrnn::reference::circular_conv_forward(shape, data.weights.data(), expected_bias,
                                                     data.state.data(), plain_expected.data(),
                                                     batch);
              for (double& value : plain_expected) value = apply(activation, value);
              std::vector<float> plain(data.out.size(), 7.0f);  // overwritten
              wrnn::winograd::forward_transformed(shape, transformed.data(), actual_bias,
                                                  state.data(), nullptr, plain.data(), batch,
                                                  activation, scratch);
              CHECK(conditioned_error(plain, plain_expected,
                                      forward_magnitudes(data, with_bias, false)) <=
                    tolerance<float>());
            }
          }
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("the column forward gives the same result with a dirty caller-owned scratch",
                   "[kernels]", float, double) {
  // A scratch buffer reused from a larger shape holds stale values; NaN makes any stale value
  // that a kernel reads show up in its result.
  using Scalar = TestType;
  const auto [large, shape] =
      GENERATE(std::pair<ConvShape, ConvShape>{{6, 257, 7}, {3, 13, 5}},
               std::pair<ConvShape, ConvShape>{{6, 257, 7}, {6, 100, 3}},   // the copy task's
               std::pair<ConvShape, ConvShape>{{6, 257, 7}, {2, 3, 3}},     // a ring < one vector
               std::pair<ConvShape, ConvShape>{{6, 257, 7}, {2, 17, 5}},    // n = 1 mod W, r = 2
               std::pair<ConvShape, ConvShape>{{16, 256, 3}, {13, 20, 3}},  // Winograd
               // Winograd, packed: 11 samples of 5 tiles in a group's row of 8 samples
               std::pair<ConvShape, ConvShape>{{27, 256, 3}, {16, 20, 3}});
  CAPTURE(shape.channels, shape.ring_size, shape.kernel_size);
  const Index batch = 11;
  wrnn::ScratchBuffer<Scalar> scratch(wrnn::circular_conv_scratch_size<Scalar>(large));
  const Index capacity = scratch.capacity();
  REQUIRE(capacity >= wrnn::circular_conv_scratch_size<Scalar>(shape));

  const Case data = make_case<Scalar>(shape, batch, 7);
  const std::vector<Scalar> weights = cast<Scalar>(data.weights), bias = cast<Scalar>(data.bias),
                            state = cast<Scalar>(data.state);
  std::fill(scratch.data(capacity), scratch.data(capacity) + capacity,
            std::numeric_limits<Scalar>::quiet_NaN());
  std::vector<double> expected = data.out;
  wrnn::reference::circular_conv_forward(shape, data.weights.data(), data.bias.data(),
                                         data.state.data(), expected.data(), batch);
  for (double& value : expected) value = std::tanh(value);
  std::vector<Scalar> actual = cast<Scalar>(data.out);
  wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(), state.data(),
                                         actual.data(), batch, wrnn::Activation::tanh, scratch);
  CHECK(conditioned_error(actual, expected, forward_magnitudes(data, true, true)) <=
        tolerance<Scalar>());
  CHECK(scratch.capacity() == capacity);  // a reserved buffer is never reallocated
}

TEST_CASE("a sample's column forward does not depend on its batch", "[kernels]") {
  // Each sample is computed on its own, so running it alone gives exactly the same bits as inside
  // a batch. From 16 channels on, the Winograd kernels pack up to 8 samples into one row where a
  // ring leaves lanes empty (n = 100: 25 tiles in 32 lanes; n = 20: 5 tiles; n = 68: 17), so 19
  // samples make two full groups and a partial one, and every sample sits at another place in
  // its group than when alone.
  const ConvShape shape = GENERATE(
      ConvShape{5, 100, 3}, ConvShape{6, 100, 3}, ConvShape{16, 100, 3}, ConvShape{27, 100, 3},
      ConvShape{16, 20, 3}, ConvShape{17, 68, 3}, ConvShape{13, 20, 3}, ConvShape{16, 256, 3});
  CAPTURE(shape.channels, shape.ring_size);
  const Index batch = 19;
  const Case data = make_case<float>(shape, batch, 3);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias),
                           state = cast<float>(data.state);
  std::vector<float> together = cast<float>(data.out), alone = cast<float>(data.out);
  wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(), state.data(),
                                         together.data(), batch, wrnn::Activation::tanh);
  const Index size = shape.state_size();
  for (Index b = batch - 1; b >= 0; --b)
    wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(),
                                           state.data() + b * size, alone.data() + b * size, 1,
                                           wrnn::Activation::tanh);
  CHECK(together == alone);
}

TEST_CASE("kernels on a thread pool: each thread on its own scratch, the bits of one thread",
          "[kernels][threads]") {
  // What the library runs on several threads: the lanes kernels on the model's chunks of a
  // batch, and the column forward one sample a task (a stepper's one-agent chunks). Direct, then
  // Winograd in both layouts (16 channels; 6 channels only in the column layout on AVX-512).
  const ConvShape shape =
      GENERATE(ConvShape{5, 100, 3}, ConvShape{6, 100, 3}, ConvShape{16, 64, 3});
  CAPTURE(shape.channels);
  const Index batch = 21, chunk = 8, chunks = 3, rows = shape.state_size();
  const Case data = make_case<float>(shape, batch, 9);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias),
                           state = cast<float>(data.state);

  struct Results {
    std::vector<float> column, forward, grad_state;
    std::vector<std::vector<float>> grad_weights, grad_bias;  // per chunk, summed in order after
  };
  // The lanes layout per chunk, as SequenceModel keeps it: chunk c's rows x size block at
  // c * chunk * rows.
  auto chunk_size = [&](Index c) { return std::min(chunk, batch - c * chunk); };
  auto chunked = [&](const std::vector<double>& columns) {
    std::vector<float> blocks(columns.size());
    for (Index c = 0; c < chunks; ++c) {
      const auto first = columns.begin() + c * chunk * rows;
      const std::vector<double> part(first, first + chunk_size(c) * rows);
      const std::vector<float> block = to_lanes<float>(part, rows, chunk_size(c));
      std::copy(block.begin(), block.end(), blocks.begin() + c * chunk * rows);
    }
    return blocks;
  };
  auto unchunked = [&](const std::vector<float>& blocks) {
    std::vector<double> columns(blocks.size());
    for (Index c = 0; c < chunks; ++c) {
      const auto first = blocks.begin() + c * chunk * rows;
      const std::vector<double> part =
          to_columns(std::vector<float>(first, first + chunk_size(c) * rows), rows, chunk_size(c));
      std::copy(part.begin(), part.end(), columns.begin() + c * chunk * rows);
    }
    return columns;
  };
  const std::vector<float> chunked_state = chunked(data.state);
  const std::vector<float> chunked_grad_out = chunked(data.grad_out);
  auto fresh = [&] {
    return Results{cast<float>(data.out), chunked(data.out), std::vector<float>(data.out.size()),
                   std::vector<std::vector<float>>(chunks, cast<float>(data.grad_weights)),
                   std::vector<std::vector<float>>(chunks, cast<float>(data.grad_bias))};
  };
  auto run = [&](wrnn::ThreadPool& pool, Results& r) {
    pool.parallel_for(batch, [&](Index b) {
      wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(),
                                             state.data() + b * rows, r.column.data() + b * rows, 1,
                                             wrnn::Activation::relu);
    });
    pool.parallel_for(chunks, [&](Index c) {
      const Index offset = c * chunk * rows;
      wrnn::lanes::forward_activation(shape, weights.data(), bias.data(),
                                      chunked_state.data() + offset, r.forward.data() + offset,
                                      chunk_size(c), wrnn::Activation::relu);
      wrnn::lanes::backward(shape, weights.data(), chunked_state.data() + offset,
                            chunked_grad_out.data() + offset, r.grad_weights[c].data(),
                            r.grad_bias[c].data(), r.grad_state.data() + offset, chunk_size(c));
    });
  };

  wrnn::ThreadPool serial(1);
  Results one = fresh();
  run(serial, one);
  for (Index threads : {2, 3, 5}) {
    CAPTURE(threads);
    wrnn::ThreadPool pool(threads);
    Results many = fresh();
    run(pool, many);
    CHECK(many.column == one.column);
    CHECK(many.forward == one.forward);
    CHECK(many.grad_state == one.grad_state);
    CHECK(many.grad_weights == one.grad_weights);
    CHECK(many.grad_bias == one.grad_bias);
    // Each thread grows its scratch (for the column forward, then for the lanes kernels) the
    // first times it happens to run a task, which depends on scheduling; after that never, so
    // many calls allocate at most two buffers per thread in all. Counted where allocations can
    // be (not under the sanitizers, whose allocator must stay in place); the values above are
    // checked either way.
    if (wrnn_test::kCanCountAllocations) {
      CHECK(wrnn_test::count_allocations([&] {
              for (int repeat = 0; repeat < 10; ++repeat) run(pool, many);
            }) <= 2 * pool.thread_count());
    }
  }

  // and right: one thread against the reference, element by element
  std::vector<double> expected = data.out;
  wrnn::reference::circular_conv_forward(shape, data.weights.data(), data.bias.data(),
                                         data.state.data(), expected.data(), batch);
  for (double& value : expected) value = std::max(value, 0.0);
  const std::vector<double> magnitudes = forward_magnitudes(data, true, true);
  CHECK(conditioned_error(one.column, expected, magnitudes) <= tolerance<float>());
  CHECK(conditioned_error(unchunked(one.forward), expected, magnitudes) <= tolerance<float>());
  std::vector<double> expected_state(data.out.size(), 0.0);
  wrnn::reference::circular_conv_backward_state(shape, data.weights.data(), data.grad_out.data(),
                                                expected_state.data(), batch);
  CHECK(conditioned_error(unchunked(one.grad_state), expected_state,
                          backward_state_magnitudes(data, false)) <= tolerance<float>());
}

TEST_CASE("column forward calls allocate nothing once their scratch is in place",
          "[kernels][allocation]") {
  // direct, then Winograd on AVX-512 (6 channels) and on both AVX-512 and AVX2 (16), the last
  // with a group's samples packed into the lanes a ring of 25 tiles leaves idle
  const ConvShape shape = GENERATE(ConvShape{5, 100, 3}, ConvShape{6, 100, 3}, ConvShape{16, 64, 3},
                                   ConvShape{16, 100, 3});
  CAPTURE(shape.channels);
  const Index batch = 9;
  const Case data = make_case<float>(shape, batch, 13);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias),
                           state = cast<float>(data.state);
  std::vector<float> out = cast<float>(data.out);
  wrnn::ScratchBuffer<float> scratch(wrnn::circular_conv_scratch_size<float>(shape));
  auto calls = [&](auto&&... scratch_argument) {
    for (wrnn::Activation activation :
         {wrnn::Activation::identity, wrnn::Activation::relu, wrnn::Activation::tanh})
      wrnn::circular_conv_forward_activation(shape, weights.data(), bias.data(), state.data(),
                                             out.data(), batch, activation, scratch_argument...);
  };
  // A caller-owned, reserved buffer: not even the first call allocates.
  CHECK(wrnn_test::count_allocations([&] { calls(scratch); }) == 0);
  // This thread's own buffer: the first call may allocate, later ones never.
  calls();
  CHECK(wrnn_test::count_allocations([&] {
          for (int repeat = 0; repeat < 3; ++repeat) calls();
        }) == 0);
}

TEST_CASE("the column forward rejects a shape whose padding exceeds the ring", "[kernels]") {
  const ConvShape too_wide{2, 3, 9};  // r = 4 > n = 3
  std::vector<float> weights(static_cast<std::size_t>(too_wide.weight_count()), 0.0f),
      state(6, 0.0f), out(6, 0.0f);
  CHECK_THROWS_AS(wrnn::circular_conv_forward_activation(
                      too_wide, weights.data(), static_cast<const float*>(nullptr), state.data(),
                      out.data(), 1, wrnn::Activation::identity),
                  wrnn::ValueError);
}

}  // namespace test_kernels
