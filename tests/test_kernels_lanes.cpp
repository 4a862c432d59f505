// The circular-convolution kernels for states with their samples in SIMD lanes
// (wrnn/kernels/circular_conv_lanes.hpp, and its Winograd passes for k = 3 rings of 8+ channels,
// circular_conv_lanes_winograd.hpp) against the scalar reference, evaluated in double precision
// on the same inputs in the other layout (samples in columns): every shape the column kernels
// are tested on (the Winograd ones among them: 8 to 17 channels, one to 32 tiles, odd and even
// counts of tiles), for batches of a single sample, of one vector of samples and a
// few more, and of two vectors (a pair) and a few more, where the samples past the last whole
// vector run packed in scratch. Also: a sample's forward and state gradient are the same bits
// alone and in any place of a batch, a dirty scratch buffer changes nothing, calls with their
// scratch in place allocate nothing, bad shapes are refused.
// The suite builds this file three times: portably and for x86-64-v3 and v4
// (test_kernels_lanes_avx2, test_kernels_lanes_avx512), where the vectors are wider.
#include <catch2/catch.hpp>

#include <limits>
#include <vector>

#include "support/allocation_counter.hpp"
#include "support/conv_test_cases.hpp"
#include "wrnn/kernels/circular_conv_lanes.hpp"

namespace test_kernels_lanes {  // see "unity groups" in tests/CMakeLists.txt

namespace {

using wrnn::ConvShape;
using wrnn::Index;
using namespace wrnn_test::conv;

// Samples per SIMD vector (1 where Scalar has no SIMD register: the kernels fall back to the
// reference there).
template <class Scalar>
constexpr Index lanes() {
  if constexpr (wrnn::simd::available<Scalar>)
    return wrnn::tile::lanes<Scalar>;
  else
    return 1;
}

// The batch sizes worth testing: one sample (all of it packed), one vector and a few samples
// past it, two vectors (a pair of the tiles) and a few past them.
template <class Scalar>
std::vector<Index> batches() {
  const Index W = lanes<Scalar>();
  return {1, W + 3, 2 * W + 5};
}

}  // namespace

TEST_CASE("the lanes kernels' Winograd passes serve k = 3 rings of 8+ channels, n = 4m",
          "[kernels][lanes]") {
  CHECK(wrnn::lanes::winograd::applies(ConvShape{16, 256, 3}));  // sMNIST
  CHECK(wrnn::lanes::winograd::applies(ConvShape{27, 100, 3}));  // adding
  CHECK(wrnn::lanes::winograd::applies(ConvShape{8, 4, 3}));
  CHECK_FALSE(wrnn::lanes::winograd::applies(ConvShape{6, 100, 3}));   // copy: direct tiles
  CHECK_FALSE(wrnn::lanes::winograd::applies(ConvShape{16, 258, 3}));  // n not a multiple of 4
  CHECK_FALSE(wrnn::lanes::winograd::applies(ConvShape{16, 256, 5}));  // k != 3
}

TEMPLATE_TEST_CASE("lanes kernels match the reference", "[kernels][lanes]", float, double) {
  using Scalar = TestType;
  std::uint64_t seed = 500;
  for (const ConvShape& shape : shapes_to_test()) {
    for (Index batch : batches<Scalar>()) {
      for (bool with_bias : {true, false}) {
        CAPTURE(shape.channels, shape.ring_size, shape.kernel_size, batch, with_bias);
        const Index rows = shape.state_size();
        const Case data = make_case<Scalar>(shape, batch, ++seed);
        const std::vector<Scalar> weights = cast<Scalar>(data.weights),
                                  bias = cast<Scalar>(data.bias);
        const std::vector<Scalar> state = to_lanes<Scalar>(data.state, rows, batch),
                                  grad_out = to_lanes<Scalar>(data.grad_out, rows, batch);
        const double* expected_bias = with_bias ? data.bias.data() : nullptr;
        const Scalar* actual_bias = with_bias ? bias.data() : nullptr;

        // forward: out = act(out + b + u (*) h), element by element (the activations are
        // 1-Lipschitz, so the bound of the sum holds after them)
        const std::vector<double> magnitudes = forward_magnitudes(data, with_bias, true);
        std::vector<double> expected = data.out;
        wrnn::reference::circular_conv_forward(shape, data.weights.data(), expected_bias,
                                               data.state.data(), expected.data(), batch);
        for (wrnn::Activation activation :
             {wrnn::Activation::relu, wrnn::Activation::tanh, wrnn::Activation::identity}) {
          CAPTURE(wrnn::to_string(activation));
          std::vector<double> activated = expected;
          for (double& value : activated) value = apply(activation, value);
          std::vector<Scalar> actual = to_lanes<Scalar>(data.out, rows, batch);
          wrnn::lanes::forward_activation(shape, weights.data(), actual_bias, state.data(),
                                          actual.data(), batch, activation);
          CHECK(conditioned_error(to_columns(actual, rows, batch), activated, magnitudes) <=
                tolerance<Scalar>());
        }

        // backward to the state: grad_h += u^T (*) g
        expected = data.out;
        wrnn::reference::circular_conv_backward_state(shape, data.weights.data(),
                                                      data.grad_out.data(), expected.data(), batch);
        std::vector<Scalar> separate_state = to_lanes<Scalar>(data.out, rows, batch);
        wrnn::lanes::backward_state(shape, weights.data(), grad_out.data(), separate_state.data(),
                                    batch);
        CHECK(conditioned_error(to_columns(separate_state, rows, batch), expected,
                                backward_state_magnitudes(data, true)) <= tolerance<Scalar>());

        // backward to the weights and bias: sums over n * batch terms, each lane adding up n
        // times the vectors of samples of them one after the other (the column kernels spread
        // a sum over more lanes), so measured against the terms' magnitudes (C = 1, k = 1,
        // n = 257 on SSE: 13 samples, about a thousand terms a lane, cancel to a 40th)
        std::vector<double> expected_u = data.grad_weights, expected_b = data.grad_bias;
        wrnn::reference::circular_conv_backward_weights(
            shape, data.state.data(), data.grad_out.data(), expected_u.data(),
            with_bias ? expected_b.data() : nullptr, batch);
        std::vector<double> magnitude_u = absolute(data.grad_weights),
                            magnitude_b = absolute(data.grad_bias);
        wrnn::reference::circular_conv_backward_weights(
            shape, absolute(data.state).data(), absolute(data.grad_out).data(), magnitude_u.data(),
            magnitude_b.data(), batch);
        std::vector<Scalar> actual_u = cast<Scalar>(data.grad_weights),
                            actual_b = cast<Scalar>(data.grad_bias);
        wrnn::lanes::backward_weights(shape, state.data(), grad_out.data(), actual_u.data(),
                                      with_bias ? actual_b.data() : nullptr, batch);
        CHECK(conditioned_error(actual_u, expected_u, magnitude_u) <= tolerance<Scalar>() / 4);
        CHECK(conditioned_error(actual_b, expected_b, magnitude_b) <= tolerance<Scalar>() / 4);

        // both at once (grad_state starts as garbage: overwritten): the weight gradients bit
        // for bit those above, the state gradient those of backward_state into zeros
        std::vector<Scalar> zeroed_state(state.size(), Scalar(0));
        wrnn::lanes::backward_state(shape, weights.data(), grad_out.data(), zeroed_state.data(),
                                    batch);
        std::vector<Scalar> fused_state = to_lanes<Scalar>(data.out, rows, batch),
                            fused_u = cast<Scalar>(data.grad_weights),
                            fused_b = cast<Scalar>(data.grad_bias);
        wrnn::lanes::backward(shape, weights.data(), state.data(), grad_out.data(), fused_u.data(),
                              with_bias ? fused_b.data() : nullptr, fused_state.data(), batch);
        CHECK(fused_u == actual_u);
        CHECK(fused_b == actual_b);
        CHECK(fused_state == zeroed_state);
        std::vector<double> expected_state(data.out.size(), 0.0);
        wrnn::reference::circular_conv_backward_state(
            shape, data.weights.data(), data.grad_out.data(), expected_state.data(), batch);
        CHECK(conditioned_error(to_columns(fused_state, rows, batch), expected_state,
                                backward_state_magnitudes(data, false)) <= tolerance<Scalar>());
      }
    }
  }
}

TEST_CASE("a sample's lanes forward and state gradient do not depend on its place in the batch",
          "[kernels][lanes]") {
  // Every lane does the same arithmetic in the same order, in a pair of vectors, a single vector
  // or the packed samples past them: a sample alone (packed into lane 0) gives the bits it gets
  // in any lane of a batch. So the model's results depend only on its fixed chunks, never on
  // the threads.
  const ConvShape shape = GENERATE(ConvShape{6, 100, 3}, ConvShape{27, 100, 3},
                                   ConvShape{16, 256, 3}, ConvShape{3, 13, 5}, ConvShape{2, 3, 7});
  CAPTURE(shape.channels, shape.ring_size, shape.kernel_size);
  const Index batch = 2 * lanes<float>() + 5, rows = shape.state_size();
  const Case data = make_case<float>(shape, batch, 3);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias);
  const std::vector<float> state = to_lanes<float>(data.state, rows, batch),
                           grad_out = to_lanes<float>(data.grad_out, rows, batch);
  std::vector<float> forward = to_lanes<float>(data.out, rows, batch), grad_state = forward;
  wrnn::lanes::forward_activation(shape, weights.data(), bias.data(), state.data(), forward.data(),
                                  batch, wrnn::Activation::tanh);
  wrnn::lanes::backward_state(shape, weights.data(), grad_out.data(), grad_state.data(), batch);
  const std::vector<float> out = to_lanes<float>(data.out, rows, batch);
  for (Index s = 0; s < batch; ++s) {
    CAPTURE(s);
    std::vector<float> sample_state(rows), sample_grad(rows), sample_out(rows);
    for (Index row = 0; row < rows; ++row) {
      sample_state[row] = state[row * batch + s];
      sample_grad[row] = grad_out[row * batch + s];
      sample_out[row] = out[row * batch + s];
    }
    std::vector<float> alone = sample_out, grad_alone = sample_out;
    wrnn::lanes::forward_activation(shape, weights.data(), bias.data(), sample_state.data(),
                                    alone.data(), 1, wrnn::Activation::tanh);
    wrnn::lanes::backward_state(shape, weights.data(), sample_grad.data(), grad_alone.data(), 1);
    bool same = true, same_gradient = true;
    for (Index row = 0; row < rows; ++row) {
      same = same && alone[row] == forward[row * batch + s];
      same_gradient = same_gradient && grad_alone[row] == grad_state[row * batch + s];
    }
    CHECK(same);
    CHECK(same_gradient);
  }
}

TEMPLATE_TEST_CASE("lanes kernels give the same bits with a dirty caller-owned scratch buffer",
                   "[kernels][lanes]", float, double) {
  // A scratch buffer reused from a larger shape holds stale values; NaN makes any stale value a
  // kernel reads show up. Batches with samples past the last vector use the packed rows.
  using Scalar = TestType;
  const ConvShape large{16, 256, 3};  // a Winograd shape: the largest scratch of all below
  // direct tiles (k = 3, 5), a ring shorter than a tile, the Winograd passes (12 channels: two
  // pairs of tiles and a single one)
  const ConvShape shape =
      GENERATE(ConvShape{6, 100, 3}, ConvShape{3, 13, 5}, ConvShape{2, 3, 3}, ConvShape{12, 20, 3});
  const Index batch = GENERATE(Index{1}, 2 * lanes<Scalar>() + 3);
  CAPTURE(shape.channels, shape.ring_size, shape.kernel_size, batch);
  const Index rows = shape.state_size();
  wrnn::ScratchBuffer<Scalar> scratch(wrnn::lanes::scratch_size<Scalar>(large));
  const Index capacity = scratch.capacity();
  REQUIRE(capacity >= wrnn::lanes::scratch_size<Scalar>(shape));
  auto poison = [&] {
    std::fill(scratch.data(capacity), scratch.data(capacity) + capacity,
              std::numeric_limits<Scalar>::quiet_NaN());
  };
  const Case data = make_case<Scalar>(shape, batch, 9);
  const std::vector<Scalar> weights = cast<Scalar>(data.weights), bias = cast<Scalar>(data.bias),
                            state = to_lanes<Scalar>(data.state, rows, batch),
                            grad_out = to_lanes<Scalar>(data.grad_out, rows, batch);
  struct Results {
    std::vector<Scalar> forward, grad_state, fused_state, grad_u, grad_b;
  };
  auto run = [&](wrnn::ScratchBuffer<Scalar>& buffer) {
    Results r{to_lanes<Scalar>(data.out, rows, batch), to_lanes<Scalar>(data.out, rows, batch),
              std::vector<Scalar>(state.size()), cast<Scalar>(data.grad_weights),
              cast<Scalar>(data.grad_bias)};
    wrnn::lanes::forward_activation(shape, weights.data(), bias.data(), state.data(),
                                    r.forward.data(), batch, wrnn::Activation::relu, buffer);
    wrnn::lanes::backward_state(shape, weights.data(), grad_out.data(), r.grad_state.data(), batch,
                                buffer);
    wrnn::lanes::backward(shape, weights.data(), state.data(), grad_out.data(), r.grad_u.data(),
                          r.grad_b.data(), r.fused_state.data(), batch, buffer);
    return r;
  };
  wrnn::ScratchBuffer<Scalar> clean(wrnn::lanes::scratch_size<Scalar>(shape));
  std::fill(clean.data(clean.capacity()), clean.data(clean.capacity()) + clean.capacity(),
            Scalar(0));
  const Results expected = run(clean);
  poison();
  const Results dirty = run(scratch);
  CHECK(dirty.forward == expected.forward);
  CHECK(dirty.grad_state == expected.grad_state);
  CHECK(dirty.fused_state == expected.fused_state);
  CHECK(dirty.grad_u == expected.grad_u);
  CHECK(dirty.grad_b == expected.grad_b);
  CHECK(scratch.capacity() == capacity);  // a reserved buffer is never reallocated
}

TEST_CASE("lanes kernel calls allocate nothing once their scratch is in place",
          "[kernels][lanes][allocation]") {
  const ConvShape shape = GENERATE(ConvShape{6, 100, 3}, ConvShape{16, 64, 3});  // direct, Winograd
  const Index batch = lanes<float>() + 3, rows = shape.state_size();
  const Case data = make_case<float>(shape, batch, 13);
  const std::vector<float> weights = cast<float>(data.weights), bias = cast<float>(data.bias),
                           state = to_lanes<float>(data.state, rows, batch),
                           grad_out = to_lanes<float>(data.grad_out, rows, batch);
  std::vector<float> out = to_lanes<float>(data.out, rows, batch), grad_state = out,
                     grad_weights = cast<float>(data.grad_weights),
                     grad_bias = cast<float>(data.grad_bias);
  wrnn::ScratchBuffer<float> scratch(wrnn::lanes::scratch_size<float>(shape));
  auto calls = [&](auto&&... scratch_argument) {
    for (wrnn::Activation activation : {wrnn::Activation::relu, wrnn::Activation::tanh})
      wrnn::lanes::forward_activation(shape, weights.data(), bias.data(), state.data(), out.data(),
                                      batch, activation, scratch_argument...);
    wrnn::lanes::backward_state(shape, weights.data(), grad_out.data(), grad_state.data(), batch,
                                scratch_argument...);
    wrnn::lanes::backward(shape, weights.data(), state.data(), grad_out.data(), grad_weights.data(),
                          grad_bias.data(), grad_state.data(), batch, scratch_argument...);
  };
  // A caller-owned, reserved buffer: not even the first call allocates.
  CHECK(wrnn_test::count_allocations([&] { calls(scratch); }) == 0);
  // This thread's own buffer: the first call may allocate, later ones never.
  calls();
  CHECK(wrnn_test::count_allocations([&] {
          for (int repeat = 0; repeat < 3; ++repeat) calls();
        }) == 0);
}

TEST_CASE("lanes kernels reject a shape whose padding exceeds the ring", "[kernels][lanes]") {
  const ConvShape too_wide{2, 3, 9};  // r = 4 > n = 3
  std::vector<float> weights(static_cast<std::size_t>(too_wide.weight_count()), 0.0f),
      state(6, 0.0f), out(6, 0.0f);
  CHECK_THROWS_AS(
      wrnn::lanes::forward_activation(too_wide, weights.data(), static_cast<const float*>(nullptr),
                                      state.data(), out.data(), 1, wrnn::Activation::relu),
      wrnn::ValueError);
  CHECK_THROWS_AS(
      wrnn::lanes::backward_state(too_wide, weights.data(), state.data(), out.data(), 1),
      wrnn::ValueError);
  CHECK_THROWS_AS(wrnn::lanes::backward_weights(too_wide, state.data(), out.data(), weights.data(),
                                                static_cast<float*>(nullptr), 1),
                  wrnn::ValueError);
}

}  // namespace test_kernels_lanes
